package runtime

// The injection round of LTZ, EQZ and exact truncation on segments (the
// U role rotated, proto_slice.go): mixed bits c ⊕ d (c at U, d at N and R)
// become arithmetic shares in one round (proto_mixed.go for the protocol).
//
// For element i the result is
//
//	v0·c + d' + [ v1·a_t + u0 + floor(B/2^m) - 2^(k-m)·b_t ]      (truncation)
//
// with v0 = 1 - 2d and d' = d (so v0·c + d' = c ⊕ d), or v0 = 2d - 1 and
// d' = -d for a negated bit; the bracket only for truncation by m < k-1:
// v1 = -2^(k-m)·(1 - b_t) (so only a_t mod 2^m matters), a_t and b_t the top
// bits of A' = a + 2^(k-2) and B = b, u0 = floor(A'/2^m) - 2^(k-2-m).
//
// Streams of segment s (sub ids subInj + 8s + i): from the key of R and U
// σ0 (i = 0), σ1 (1), ρ_U (2); from the key of U and N τ0, τ1, ρ_N and ρ'
// (3, truncation only). Ring values of a segment are laid out interleaved:
// each element's low word, then (k = 128) its high word, in streams and
// messages alike. Messages: U → N e0 = c + σ0, e1 = a_t + σ1 mod 2^m
// (packed); U → R e0' = c + τ0, D = u0 - ρ' (truncation), e1' = a_t + τ1;
// N → R B_N = v0·τ0 + v1·τ1 + ρ_N; R → N B_R = v0·σ0 + v1·σ1 + ρ_U.
// Shares: y_U = ρ_U + D, y_N = ρ_N + ρ', y_R = v0·e0 + v1·e1 - B_other -
// ρ_own + the constant.

import (
	"context"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// injIn is the input of an injection.
type injIn struct {
	n    int
	bits []uint64 // the mixed bits, one word per block (c at U, d at N and R)
	// truncation (mOf != nil): the operand and the shift of every element;
	// an element with m = k-1 injects -(c ⊕ d) (its bits hold the sign).
	mOf    []uint8
	x0, x1 vm.Vec
	// split: the operand is given split (shrSplit): x0 = x1 holds a at the
	// elements where this party is U and b elsewhere.
	split bool
}

func (in *injIn) trunc() bool { return in.mOf != nil }

// w1 is the width of element i's wrap term (0: none).
func (in *injIn) w1(i, k int) uint {
	if in.mOf == nil {
		return 0
	}
	if m := uint(in.mOf[i]); m != uint(k-1) {
		return m
	}
	return 0
}

// fields of packed bit streams (width <= 128)

func getField(w []uint64, off, width uint) u128 {
	if width <= 64 {
		return u128{getBits(w, off, width), 0}
	}
	return u128{getBits(w, off, 64), getBits(w, off+64, width-64)}
}

func getBits(w []uint64, off, width uint) uint64 {
	i, s := off/64, off%64
	v := w[i] >> s
	if s+width > 64 {
		v |= w[i+1] << (64 - s)
	}
	if width < 64 {
		v &= 1<<width - 1
	}
	return v
}

func setField(w []uint64, off, width uint, x u128) {
	if width <= 64 {
		setBits(w, off, width, x.lo)
		return
	}
	setBits(w, off, 64, x.lo)
	setBits(w, off+64, width-64, x.hi)
}

func setBits(w []uint64, off, width uint, v uint64) {
	m := ^uint64(0)
	if width < 64 {
		m = 1<<width - 1
	}
	v &= m
	i, s := off/64, off%64
	w[i] = w[i]&^(m<<s) | v<<s
	if s+width > 64 {
		r := 64 - s
		w[i+1] = w[i+1]&^(m>>r) | v>>r
	}
}

// injChunk is how many elements' keystream an injection loop draws at a
// time (it stays in the first-level cache).
const injChunk = 1024

// zeroWords is injChunk zero words (read only).
var zeroWords = make([]uint64, injChunk)

// injRun is one injection.
type injRun struct {
	e     *Engine
	in    *injIn
	k, kw int
	uk    uint
	call  uint64
	segs  [3]segment
	w1Tot [3]int
	hasU0 bool
	path  int  // 0 general, 1 bits, 2 uniform truncation
	m     uint // the shift of path 2
}

func (r *injRun) sid(s, i int) uint32 { return uint32(subInj + 8*s + i) }

func (r *injRun) e0Words(s int) int { return r.kw * r.segs[s].n() }
func (r *injRun) uBytes(s int) int  { return 8*r.e0Words(s) + bytesFor(r.w1Tot[s]) }
func (r *injRun) dWords(s int) int {
	if r.hasU0 {
		return r.e0Words(s)
	}
	return 0
}

// inject2 runs the injection round and returns this party's arithmetic
// shares of the n results. Ring values are laid out interleaved (low word,
// then high word for k = 128) in streams and messages.
func (e *Engine) inject2(ctx context.Context, call uint64, segs [3]segment, in *injIn) (vm.Vec, vm.Vec, error) {
	k := e.k
	r := &injRun{e: e, in: in, k: k, kw: k / 64, uk: uint(k), call: call, segs: segs, hasU0: in.trunc()}
	r.path, r.m = in.fast(k)
	if in.trunc() {
		for s := range 3 {
			for i := segs[s].lo; i < segs[s].hi; i++ {
				r.w1Tot[s] += int(in.w1(i, k))
			}
		}
	}
	r0, r1 := vm.NewVec(k, in.n), vm.NewVec(k, in.n)
	me := e.me
	toN, toR := r.uPart(r0, r1)
	e.beginRound()
	if err := e.send(Next(me), toN); err != nil {
		return r0, r1, err
	}
	if err := e.send(Prev(me), toR); err != nil {
		return r0, r1, err
	}
	if err := e.send(Next(me), r.side(Prev(me), e.prev, roleN)); err != nil {
		return r0, r1, err
	}
	if err := e.send(Prev(me), r.side(Next(me), e.next, roleR)); err != nil {
		return r0, r1, err
	}
	uN, uR, fromN, fromR, err := e.recvMixed(ctx, r.uBytes(Prev(me)), r.uBytes(Next(me))+8*r.dWords(Next(me)),
		8*r.e0Words(Next(me)), 8*r.e0Words(Prev(me)))
	if err != nil {
		return r0, r1, err
	}
	r.finish(Prev(me), e.prev, roleN, uN, fromR, r0, r1)
	r.finish(Next(me), e.next, roleR, uR, fromN, r0, r1)
	releaseMsg(uN, uR, fromN, fromR)
	return r0, r1, nil
}

// uPart computes U's messages for segment me (wire: to N e0 ‖ e1, to R
// e0' ‖ D ‖ e1') and its shares y_U = ρ_U + D, y_N = ρ_N + ρ'.
func (r *injRun) uPart(r0, r1 vm.Vec) (toN, toR []byte) {
	e := r.e
	me := e.me
	s := r.segs[me]
	ns, kw := s.n(), r.kw
	kRU, kUN := e.prev, e.next
	e0w, dw, w1w := r.e0Words(me), r.dWords(me), wordsFor(r.w1Tot[me])
	oN, oR := newOutWords(e0w+w1w), newOutWords(e0w+dw+w1w)
	eN, eR, dd := oN.w[:e0w], oR.w[:e0w], oR.w[e0w:e0w+dw]
	e1N, e1R := oN.w[e0w:e0w+w1w], oR.w[e0w+dw:e0w+dw+w1w]
	kRU.stream(r.call, r.sid(me, 1)).words(e1N) // σ1
	kUN.stream(r.call, r.sid(me, 1)).words(e1R) // τ1
	sig, tau := kRU.stream(r.call, r.sid(me, 0)), kUN.stream(r.call, r.sid(me, 0))
	rU, rN := kRU.stream(r.call, r.sid(me, 2)), kUN.stream(r.call, r.sid(me, 2))
	var rP *keyStream
	if r.hasU0 {
		rP = kUN.stream(r.call, r.sid(me, 3))
	}
	scratch := getBuf(3 * kw * injChunk)
	defer putBuf(scratch)
	off := uint(0)
	for c0 := 0; c0 < ns; c0 += injChunk {
		cn := min(injChunk, ns-c0)
		w0, w1 := kw*c0, kw*(c0+cn)
		sig.words(eN[w0:w1])
		tau.words(eR[w0:w1])
		ru, rn, rp := scratch[:kw*cn], scratch[kw*cn:2*kw*cn], scratch[2*kw*cn:3*kw*cn]
		rU.words(ru)
		rN.words(rn)
		if r.hasU0 {
			rP.words(dd[w0:w1])
			copy(rp, dd[w0:w1])
		}
		y0, y1 := subVec(r0, s.lo+c0, s.lo+c0+cn), subVec(r1, s.lo+c0, s.lo+c0+cn)
		off = r.uChunk(s.lo+c0, cn, off, eN[w0:w1], eR[w0:w1], ru, rn, rp, dd[min(w0, len(dd)):min(w1, len(dd))], e1N, e1R, y0, y1)
	}
	return oN.bytes(r.uBytes(me)), oR.bytes(r.uBytes(me) + 8*dw)
}

// uChunk is U's loop over cn elements from global index i0: e0 += c; for a
// truncation e1 += a_t, D = u0 - ρ' (D holds ρ' on entry); y0 = ρ_U + D,
// y1 = ρ_N + ρ'. It returns the bit offset of the next wrap field.
func (r *injRun) uChunk(i0, cn int, off uint, eN, eR, ru, rn, rp, D, e1N, e1R []uint64, y0, y1 vm.Vec) uint {
	in := r.in
	cw := in.bits
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		var x0, x1 []uint64
		if r.path == 2 {
			x0, x1 = in.x0.Lo[i0:i0+cn], in.x1.Lo[i0:i0+cn]
			if in.split {
				x1 = zeroWords[:cn]
			}
		}
		sub := uint64(1) << (62 - m)
		for j := range cn {
			c := bitAtW(cw, i0+j)
			eN[j] += c
			eR[j] += c
			if r.path != 2 {
				y0.Lo[j], y1.Lo[j] = ru[j], rn[j]
				continue
			}
			a := x0[j] + x1[j] + 1<<62
			o := off + uint(j)*m
			setBits(e1N, o, m, getBits(e1N, o, m)+a>>63)
			setBits(e1R, o, m, getBits(e1R, o, m)+a>>63)
			p := rp[j]
			d := a>>m - sub - p
			D[j] = d
			y0.Lo[j] = ru[j] + d
			y1.Lo[j] = rn[j] + p
		}
		return off + uint(cn)*m*uint(r.path/2)
	case r.path != 0:
		m := r.m
		var x0l, x0h, x1l, x1h []uint64
		if r.path == 2 {
			x0l, x0h = in.x0.Lo[i0:i0+cn], in.x0.Hi[i0:i0+cn]
			x1l, x1h = in.x1.Lo[i0:i0+cn], in.x1.Hi[i0:i0+cn]
			if in.split {
				x1l, x1h = zeroWords[:cn], zeroWords[:cn]
			}
		}
		sub := uint64(1) << (62 - m) // 2^(126-m) in the high word
		var cy uint64
		for j := range cn {
			c := bitAtW(cw, i0+j)
			eN[2*j], cy = bits.Add64(eN[2*j], c, 0)
			eN[2*j+1] += cy
			eR[2*j], cy = bits.Add64(eR[2*j], c, 0)
			eR[2*j+1] += cy
			if r.path != 2 {
				y0.Lo[j], y0.Hi[j] = ru[2*j], ru[2*j+1]
				y1.Lo[j], y1.Hi[j] = rn[2*j], rn[2*j+1]
				continue
			}
			al, c2 := bits.Add64(x0l[j], x1l[j], 0)
			ah := x0h[j] + x1h[j] + c2 + 1<<62
			at := ah >> 63
			o := off + uint(j)*m
			setBits(e1N, o, m, getBits(e1N, o, m)+at)
			setBits(e1R, o, m, getBits(e1R, o, m)+at)
			ul, uh := al>>m|ah<<(64-m), ah>>m-sub
			pl, ph := rp[2*j], rp[2*j+1]
			dl, b := bits.Sub64(ul, pl, 0)
			dh := uh - ph - b
			D[2*j], D[2*j+1] = dl, dh
			y0.Lo[j], cy = bits.Add64(ru[2*j], dl, 0)
			y0.Hi[j] = ru[2*j+1] + dh + cy
			y1.Lo[j], cy = bits.Add64(rn[2*j], pl, 0)
			y1.Hi[j] = rn[2*j+1] + ph + cy
		}
		return off + uint(cn)*m*uint(r.path/2)
	}
	// general
	uk := r.uk
	offset := u128{1, 0}.shl(uk - 2)
	one := u128{1, 0}
	for j := range cn {
		i := i0 + j
		cc := u128{bitAtW(cw, i), 0}
		setWordElem(eN, r.kw, j, r.e.mask(wordElem(eN, r.kw, j).add(cc)))
		setWordElem(eR, r.kw, j, r.e.mask(wordElem(eR, r.kw, j).add(cc)))
		y0v, y1v := wordElem(ru, r.kw, j), wordElem(rn, r.kw, j)
		if r.hasU0 {
			var u0 u128
			if w := in.w1(i, r.k); w > 0 {
				a := ringElem(in.x0, i)
				if !in.split {
					a = a.add(ringElem(in.x1, i))
				}
				a = r.e.mask(a.add(offset))
				at := u128{a.bit(uk - 1), 0}
				setField(e1N, off, w, getField(e1N, off, w).add(at))
				setField(e1R, off, w, getField(e1R, off, w).add(at))
				off += w
				u0 = r.e.mask(a.lshr(w).sub(one.shl(uk - 2 - w)))
			}
			p := wordElem(rp, r.kw, j)
			d := r.e.mask(u0.sub(p))
			setWordElem(D, r.kw, j, d)
			y0v, y1v = y0v.add(d), y1v.add(p)
		}
		setRingElem(y0, j, r.e.mask(y0v))
		setRingElem(y1, j, r.e.mask(y1v))
	}
	return off
}

// side computes this party's correction for segment si, in which it plays
// role (N: key = the key with U, k_UN; R: k_RU): B = v0·mask0 + v1·mask1 +
// ρ_own.
func (r *injRun) side(si int, key *pairPRG, role int) []byte {
	s := r.segs[si]
	ns, kw := s.n(), r.kw
	out := newOutWords(kw * ns)
	var m1 []uint64
	if w := wordsFor(r.w1Tot[si]); w > 0 {
		m1 = getBuf(w)
		defer putBuf(m1)
		key.stream(r.call, r.sid(si, 1)).words(m1)
	}
	mk, rs := key.stream(r.call, r.sid(si, 0)), key.stream(r.call, r.sid(si, 2))
	x := r.in.x1 // b = x_R: component 1 at N, 0 at R
	if role == roleR {
		x = r.in.x0
	}
	rho := getBuf(kw * injChunk)
	defer putBuf(rho)
	off := uint(0)
	for c0 := 0; c0 < ns; c0 += injChunk {
		cn := min(injChunk, ns-c0)
		b := out.w[kw*c0 : kw*(c0+cn)]
		mk.words(b)
		rs.words(rho[:kw*cn])
		off = r.sideChunk(s.lo+c0, cn, off, x, b, rho, m1)
	}
	return out.bytes(8 * kw * ns)
}

// vconst returns, at N and R, element i's d, b_t, constant and whether
// v0 = 2d - 1, for b its b part.
func (r *injRun) vconst(i int, b u128) (d, bt uint64, cst u128, neg bool) {
	in, uk := r.in, r.uk
	d = bitAtW(in.bits, i)
	if !in.trunc() {
		return d, 0, u128{d, 0}, false
	}
	w := in.w1(i, r.k)
	if w == 0 { // m = k-1: -(c ⊕ d)
		return d, 0, r.e.mask(u128{d, 0}.neg()), true
	}
	bt = b.bit(uk - 1)
	cst = b.lshr(w).add(u128{d, 0})
	if bt == 1 {
		cst = cst.sub(u128{1, 0}.shl(uk - w))
	}
	return d, bt, r.e.mask(cst), false
}

// sideChunk sets b = v0·b + v1·(mask1 field) + ρ for cn elements.
func (r *injRun) sideChunk(i0, cn int, off uint, x vm.Vec, b, rho, m1 []uint64) uint {
	cw := r.in.bits
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		for j := range cn {
			d := bitAtW(cw, i0+j)
			v := b[j] ^ -d + d
			if r.path == 2 {
				v -= getBits(m1, off+uint(j)*m, m) << (64 - m) & (x.Lo[i0+j]>>63 - 1)
			}
			b[j] = v + rho[j]
		}
		return off + uint(cn)*m*uint(r.path/2)
	case r.path != 0:
		m := r.m
		b, rho = b[:2*cn], rho[:2*cn]
		var xh []uint64
		if r.path == 2 {
			xh = x.Hi[i0 : i0+cn]
		}
		for j := range cn {
			d := bitAtW(cw, i0+j)
			nd := -d
			vl, c := bits.Add64(b[2*j]^nd, d, 0)
			vh := b[2*j+1] ^ nd + c
			if r.path == 2 {
				vh -= getBits(m1, off+uint(j)*m, m) << (64 - m) & (xh[j]>>63 - 1)
			}
			l, c := bits.Add64(vl, rho[2*j], 0)
			b[2*j], b[2*j+1] = l, vh+rho[2*j+1]+c
		}
		return off + uint(cn)*m*uint(r.path/2)
	}
	for j := range cn {
		var v u128
		v, _, off = r.term(x, i0+j, wordElem(b, r.kw, j), m1, off)
		setWordElem(b, r.kw, j, r.e.mask(v.add(wordElem(rho, r.kw, j))))
	}
	return off
}

// term returns, at N and R, element i's v0·e0 + v1·(its field of e1 at
// off), its constant and the offset past its field.
func (r *injRun) term(x vm.Vec, i int, e0 u128, e1 []uint64, off uint) (v, cst u128, next uint) {
	var bv u128
	if r.in.trunc() {
		bv = ringElem(x, i)
	}
	d, bt, cst, neg := r.vconst(i, bv)
	v = e0
	if (d == 1) != neg {
		v = v.neg()
	}
	if w := r.in.w1(i, r.k); w > 0 {
		v = v.add(mulV1(getField(e1, off, w), w, bt, r.uk))
		off += w
	}
	return v, cst, off
}

// mulV1 returns v1·x = -(1 - b_t)·2^(k-w)·x.
func mulV1(x u128, w uint, bt uint64, uk uint) u128 {
	if bt == 1 {
		return u128{}
	}
	return x.shl(uk - w).neg()
}

// finish computes, after the round, this party's shares of segment si:
// y_R = v0·e0 + v1·e1 - B_other - ρ_own + cst, and y_N = ρ_N + ρ' (N) or
// y_U = ρ_U + D (R), regenerating ρ_own (and ρ') from their streams.
func (r *injRun) finish(si int, key *pairPRG, role int, msgU, other []byte, r0, r1 vm.Vec) {
	s := r.segs[si]
	ns, kw := s.n(), r.kw
	e0w := r.e0Words(si)
	e0 := wordsIn(msgU, e0w)
	ow := wordsIn(other, e0w)
	var D []uint64
	e1Off := 8 * e0w
	if r.hasU0 && role == roleR {
		D = wordsIn(msgU[8*e0w:], e0w)
		e1Off += 8 * e0w
	}
	var e1 []uint64
	if r.w1Tot[si] > 0 {
		e1 = bytesToWords(msgU[e1Off : e1Off+bytesFor(r.w1Tot[si])])
	}
	x := r.in.x1
	yR, yO := r1, r0 // N: (y_N, y_R)
	if role == roleR {
		x = r.in.x0
		yR, yO = r0, r1 // R: (y_R, y_U)
	}
	rs := key.stream(r.call, r.sid(si, 2))
	var rP *keyStream
	if r.hasU0 && role == roleN {
		rP = key.stream(r.call, r.sid(si, 3))
	}
	scratch := getBuf(2 * kw * injChunk)
	defer putBuf(scratch)
	off := uint(0)
	for c0 := 0; c0 < ns; c0 += injChunk {
		cn := min(injChunk, ns-c0)
		w0, w1 := kw*c0, kw*(c0+cn)
		rho, adj := scratch[:kw*cn], scratch[kw*cn:2*kw*cn]
		rs.words(rho)
		switch {
		case rP != nil:
			rP.words(adj)
		case D != nil:
			copy(adj, D[w0:w1])
		default:
			clear(adj)
		}
		off = r.finishChunk(s.lo+c0, cn, off, x, e0[w0:w1], ow[w0:w1], rho, adj, e1,
			subVec(yR, s.lo+c0, s.lo+c0+cn), subVec(yO, s.lo+c0, s.lo+c0+cn))
	}
}

// finishChunk: yR = v0·e0 + v1·e1 - ow - ρ + cst, yO = ρ + adj.
func (r *injRun) finishChunk(i0, cn int, off uint, x vm.Vec, e0, ow, rho, adj, e1 []uint64, yR, yO vm.Vec) uint {
	cw := r.in.bits
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		for j := range cn {
			d := bitAtW(cw, i0+j)
			v := e0[j] ^ -d + d
			cst := d
			if r.path == 2 {
				bv := x.Lo[i0+j]
				bt := bv >> 63
				v -= getBits(e1, off+uint(j)*m, m) << (64 - m) & (bt - 1)
				cst += bv>>m - bt<<(64-m)
			}
			yR.Lo[j] = v - ow[j] - rho[j] + cst
			yO.Lo[j] = rho[j] + adj[j]
		}
		return off + uint(cn)*m*uint(r.path/2)
	case r.path != 0:
		m := r.m
		e0, ow, rho, adj = e0[:2*cn], ow[:2*cn], rho[:2*cn], adj[:2*cn]
		yRl, yRh, yOl, yOh := yR.Lo[:cn], yR.Hi[:cn], yO.Lo[:cn], yO.Hi[:cn]
		var xl, xh []uint64
		if r.path == 2 {
			xl, xh = x.Lo[i0:i0+cn], x.Hi[i0:i0+cn]
		}
		for j := range cn {
			d := bitAtW(cw, i0+j)
			nd := -d // all ones when d = 1: v0 = -1
			var c uint64
			vl, c := bits.Add64(e0[2*j]^nd, d, 0)
			vh := e0[2*j+1] ^ nd + c
			cl, ch := d, uint64(0)
			if r.path == 2 {
				bl, bh := xl[j], xh[j]
				bt := bh >> 63
				vh -= getBits(e1, off+uint(j)*m, m) << (64 - m) & (bt - 1)
				cl, c = bits.Add64(bl>>m|bh<<(64-m), d, 0)
				ch = bh>>m - bt<<(64-m) + c
			}
			rl, rh := rho[2*j], rho[2*j+1]
			l, b := bits.Sub64(vl, ow[2*j], 0)
			h := vh - ow[2*j+1] - b
			l, b = bits.Sub64(l, rl, 0)
			h = h - rh - b
			yRl[j], c = bits.Add64(l, cl, 0)
			yRh[j] = h + ch + c
			yOl[j], c = bits.Add64(rl, adj[2*j], 0)
			yOh[j] = rh + adj[2*j+1] + c
		}
		return off + uint(cn)*m*uint(r.path/2)
	}
	for j := range cn {
		var v, cst u128
		v, cst, off = r.term(x, i0+j, wordElem(e0, r.kw, j), e1, off)
		rho := wordElem(rho, r.kw, j)
		setRingElem(yR, j, r.e.mask(v.sub(wordElem(ow, r.kw, j)).sub(rho).add(cst)))
		setRingElem(yO, j, r.e.mask(rho.add(wordElem(adj, r.kw, j))))
	}
	return off
}

// ---- fast paths ----

// fast says which fast path applies: 0 none, 1 bits, 2 truncation of every
// element by one m in [1, 62].
func (in *injIn) fast(k int) (int, uint) {
	if in.mOf == nil {
		return 1, 0
	}
	if in.n == 0 || !uniformM(in.mOf) {
		return 0, 0
	}
	m := in.mOf[0]
	if m < 1 || m > 62 || int(m) == k-1 {
		return 0, 0
	}
	return 2, uint(m)
}

func bitAtW(w []uint64, i int) uint64 { return w[i>>6] >> (i & 63) & 1 }
