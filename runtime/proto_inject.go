package runtime

// The injection of LTZ, EQZ and exact truncation, on segments (the U role
// rotated, proto_slice.go): bits b = c ⊕ d known in mixed form (c at U, d
// at N and R) become arithmetic shares. For element i the result is
//
//	y = v0·c + cst + [ v1·a_t + u0 ]                    (truncation)
//
// with v0 = 1 - 2d and cst = d (so v0·c + d = c ⊕ d), or v0 = 2d - 1 and
// cst = -d for a negated bit; for a truncation by m < k-1 also the
// bracket and cst += floor(B/2^m) - 2^(k-m)·b_t: v1 = -2^(k-m)·(1 - b_t)
// (so only a_t mod 2^m matters), a_t and b_t the top bits of A' = a +
// 2^(k-2) and B = b, u0 = floor(A'/2^m) - 2^(k-2-m). U knows c, a_t and
// u0; N and R know v0, v1 and cst.
//
// The input is each party's XOR component (of three) of the bits: the
// last AND level of a carry or equality tree computed without its round
// (or the window round's result, zOf). U's component is c itself, so U's
// message travels in the round that makes d:
//
//	round A  N → R z_N, R → N z_R          (d = z_N ⊕ z_R at both)
//	         U → N e0 = c + σ0, D = u0 + σ2, e1 = a_t + σ1 mod 2^m
//	round B  R → N S = v0·σ0 + v1·σ1 + σ2 + ρ_U
//	         N → R T = v0·e0 + v1·e1 + D - ρ_N + cst
//	shares   y_U = ρ_U, y_N = ρ_N, y_R = T - S = y - ρ_U - ρ_N
//
// σ0, σ1, σ2 and ρ_U from the key of R and U (streams subInj + 8s + 0, 1,
// 2, 3 of segment s), ρ_N from the key of U and N (4). N sees e0, D, e1
// masked by σ0, σ2, σ1 and S masked by ρ_U; R sees T masked by ρ_N; z_N
// and z_R carry the zero sharing of the pair the receiver lacks; U
// receives nothing. Ring values are laid out as all their low words, then
// (k = 128) all their high words: a segment's in messages and in the
// streams of ρ_U and ρ_N, each chunk of injChunk elements' in the streams
// of σ0 and σ2.
// Compared with a one-round injection in which U sends its masked values
// to both N and R, this sends one ring element (and the packed a_t) fewer
// per bit, in as many rounds.

import (
	"context"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// injIn is the input of an injection.
type injIn struct {
	n int
	// z is this party's XOR component (of three) of the bits, one word per
	// block; the injection owns it (and overwrites it with the mixed bits).
	z []uint64
	// truncation (mOf != nil): the operand and the shift of every element;
	// an element with m = k-1 injects -(c ⊕ d) (its bits hold the sign).
	mOf     []uint8
	uniform bool // every mOf is the same
	x0, x1  vm.Vec
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
	path  int  // 0 general, 1 bits, 2 uniform truncation
	m     uint // the shift of path 2
}

func (r *injRun) sid(s, i int) uint32 { return uint32(subInj + 8*s + i) }

// dWords is the words of segment s's D (0 unless a truncation).
func (r *injRun) dWords(s int) int {
	if r.in.trunc() {
		return r.kw * r.segs[s].n()
	}
	return 0
}

// uBytes is the size of U's message in segment s.
func (r *injRun) uBytes(s int) int {
	return 8*(r.kw*r.segs[s].n()+r.dWords(s)) + bytesFor(r.w1Tot[s])
}

// ringView is the n ring values stored in w as n low words, then (kw = 2)
// n high words.
func ringView(w []uint64, n, kw int) vm.Vec {
	v := vm.Vec{Lo: w[:n:n]}
	if kw == 2 {
		v.Hi = w[n : 2*n : 2*n]
	}
	return v
}

// drawRing fills v from st: its low words, then its high words.
func drawRing(st *keyStream, v vm.Vec) {
	st.words(v.Lo)
	if v.Hi != nil {
		st.words(v.Hi)
	}
}

// inject runs the injection (rounds A and B above) and returns this
// party's arithmetic shares of the n results.
func (e *Engine) inject(ctx context.Context, call uint64, segs [3]segment, in *injIn) (vm.Vec, vm.Vec, error) {
	k := e.k
	r := &injRun{e: e, in: in, k: k, kw: k / 64, uk: uint(k), call: call, segs: segs}
	r.path, r.m = in.fast(k)
	for s := range 3 {
		switch {
		case in.trunc() && in.uniform && in.n > 0:
			r.w1Tot[s] = int(in.w1(0, k)) * segs[s].n()
		case in.trunc():
			for i := segs[s].lo; i < segs[s].hi; i++ {
				r.w1Tot[s] += int(in.w1(i, k))
			}
		}
	}
	prev, next := Prev(e.me), Next(e.me)
	sN, sR := segs[prev], segs[next] // this party is N, R there
	r0, r1 := vm.NewVec(k, in.n), vm.NewVec(k, in.n)

	// round A: N and R exchange their components, U's message rides along
	e.beginRound()
	if err := e.send(next, zBlocks(in.z, sN)); err != nil {
		return r0, r1, err
	}
	if err := e.send(prev, zBlocks(in.z, sR)); err != nil {
		return r0, r1, err
	}
	if err := e.send(next, r.uPart(r0, r1)); err != nil {
		return r0, r1, err
	}
	zR, err := e.recv(ctx, next, blockBytes(sN.blocks(), 1, sN.tailLanes()))
	if err != nil {
		return r0, r1, err
	}
	zN, err := e.recv(ctx, prev, blockBytes(sR.blocks(), 1, sR.tailLanes()))
	if err != nil {
		return r0, r1, err
	}
	// in.z now holds c (segment me) and d (the others)
	xorBlocksPer(in.z[sN.b0:sN.b1], zR, sN, 1)
	xorBlocksPer(in.z[sR.b0:sR.b1], zN, sR, 1)
	releaseMsg(zR, zN)

	// round B: R → N S, N → R T
	e.beginRound()
	if err := e.send(prev, r.rPart(r0, r1)); err != nil {
		return r0, r1, err
	}
	msgU, err := e.recv(ctx, prev, r.uBytes(prev))
	if err != nil {
		return r0, r1, err
	}
	t := r.nPart(msgU, r0, r1)
	releaseMsg(msgU)
	if err := e.send(next, t); err != nil {
		return r0, r1, err
	}
	sMsg, err := e.recv(ctx, next, 8*r.kw*sN.n())
	if err != nil {
		return r0, r1, err
	}
	tMsg, err := e.recv(ctx, prev, 8*r.kw*sR.n())
	if err != nil {
		return r0, r1, err
	}
	if n := sN.n(); n > 0 { // N: y_R = T - S
		y := subVec(r1, sN.lo, sN.hi)
		vm.SubVec(k, y, y, ringView(wordsIn(sMsg, r.kw*n), n, r.kw))
	}
	if n := sR.n(); n > 0 { // R: y_R = -S + T
		y := subVec(r0, sR.lo, sR.hi)
		vm.AddVec(k, y, y, ringView(wordsIn(tMsg, r.kw*n), n, r.kw))
	}
	releaseMsg(sMsg, tMsg)
	return r0, r1, nil
}

// zBlocks is the message of segment s's words of z.
func zBlocks(z []uint64, s segment) []byte {
	nb := s.blocks()
	if nb == 0 {
		return nil
	}
	o := newOutWords(nb)
	copy(o.w, z[s.b0:s.b1])
	return packedBlocks(&o, nb, 1, s.tailLanes())
}

// uPart computes U's message of segment me, e0 ‖ D ‖ e1, and its shares
// y_U = ρ_U, y_N = ρ_N.
func (r *injRun) uPart(r0, r1 vm.Vec) []byte {
	e := r.e
	me := e.me
	s := r.segs[me]
	ns, kw := s.n(), r.kw
	kRU, kUN := e.prev, e.next
	ew, dw := kw*ns, r.dWords(me)
	out := newOutWords(ew + dw + wordsFor(r.w1Tot[me]))
	e0 := ringView(out.w[:ew], ns, kw)
	e1 := out.w[ew+dw:]
	kRU.stream(r.call, r.sid(me, 1)).words(e1) // σ1
	drawRing(kRU.stream(r.call, r.sid(me, 3)), subVec(r0, s.lo, s.hi))
	drawRing(kUN.stream(r.call, r.sid(me, 4)), subVec(r1, s.lo, s.hi))
	sig0 := kRU.stream(r.call, r.sid(me, 0))
	var D vm.Vec
	var sig2 *keyStream
	if dw > 0 {
		D = ringView(out.w[ew:ew+dw], ns, kw)
		sig2 = kRU.stream(r.call, r.sid(me, 2))
	}
	off := uint(0)
	for c0 := 0; c0 < ns; c0 += injChunk {
		c1 := min(c0+injChunk, ns)
		ev := subVec(e0, c0, c1)
		drawRing(sig0, ev)
		var dv vm.Vec
		if sig2 != nil {
			dv = subVec(D, c0, c1)
			drawRing(sig2, dv)
		}
		off = r.uChunk(s.lo+c0, c1-c0, off, ev, dv, e1)
	}
	return out.bytes(r.uBytes(me))
}

// uChunk is U's loop over cn elements from global index i0: e0 += c, and
// for a truncation e1 += a_t, D += u0. It returns the bit offset of the
// next wrap field.
func (r *injRun) uChunk(i0, cn int, off uint, e0, D vm.Vec, e1 []uint64) uint {
	in := r.in
	cw := in.z
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		if r.path == 1 {
			for j := range cn {
				e0.Lo[j] += bitAtW(cw, i0+j)
			}
			return off
		}
		x0, x1 := in.x0.Lo[i0:i0+cn], in.x1.Lo[i0:i0+cn]
		if in.split {
			x1 = zeroWords[:cn]
		}
		sub := uint64(1) << (62 - m)
		for j := range cn {
			e0.Lo[j] += bitAtW(cw, i0+j)
			a := x0[j] + x1[j] + 1<<62
			o := off + uint(j)*m
			setBits(e1, o, m, getBits(e1, o, m)+a>>63)
			D.Lo[j] += a>>m - sub
		}
		return off + uint(cn)*m
	case r.path != 0:
		m := r.m
		var cy uint64
		if r.path == 1 {
			for j := range cn {
				e0.Lo[j], cy = bits.Add64(e0.Lo[j], bitAtW(cw, i0+j), 0)
				e0.Hi[j] += cy
			}
			return off
		}
		x0l, x0h := in.x0.Lo[i0:i0+cn], in.x0.Hi[i0:i0+cn]
		x1l, x1h := in.x1.Lo[i0:i0+cn], in.x1.Hi[i0:i0+cn]
		if in.split {
			x1l, x1h = zeroWords[:cn], zeroWords[:cn]
		}
		sub := uint64(1) << (62 - m) // 2^(126-m) in the high word
		for j := range cn {
			e0.Lo[j], cy = bits.Add64(e0.Lo[j], bitAtW(cw, i0+j), 0)
			e0.Hi[j] += cy
			al, c2 := bits.Add64(x0l[j], x1l[j], 0)
			ah := x0h[j] + x1h[j] + c2 + 1<<62
			o := off + uint(j)*m
			setBits(e1, o, m, getBits(e1, o, m)+ah>>63)
			D.Lo[j], cy = bits.Add64(D.Lo[j], al>>m|ah<<(64-m), 0)
			D.Hi[j] += ah>>m - sub + cy
		}
		return off + uint(cn)*m
	}
	// general
	uk := r.uk
	offset := u128{1, 0}.shl(uk - 2)
	one := u128{1, 0}
	for j := range cn {
		i := i0 + j
		setRingElem(e0, j, r.e.mask(ringElem(e0, j).add(u128{bitAtW(cw, i), 0})))
		if !in.trunc() {
			continue
		}
		var u0 u128
		if w := in.w1(i, r.k); w > 0 {
			a := ringElem(in.x0, i)
			if !in.split {
				a = a.add(ringElem(in.x1, i))
			}
			a = r.e.mask(a.add(offset))
			setField(e1, off, w, getField(e1, off, w).add(u128{a.bit(uk - 1), 0}))
			off += w
			u0 = r.e.mask(a.lshr(w).sub(one.shl(uk - 2 - w)))
		}
		setRingElem(D, j, r.e.mask(ringElem(D, j).add(u0)))
	}
	return off
}

// rPart computes, in the segment where this party is R, its message S =
// v0·σ0 + v1·σ1 + σ2 + ρ_U to N and its shares y_R = -S (T is added on
// arrival) and y_U = ρ_U.
func (r *injRun) rPart(r0, r1 vm.Vec) []byte {
	si := Next(r.e.me)
	s := r.segs[si]
	ns, kw := s.n(), r.kw
	key := r.e.next // the key of R and U
	out := newOutWords(kw * ns)
	S := ringView(out.w, ns, kw)
	var s1 []uint64
	if w := wordsFor(r.w1Tot[si]); w > 0 {
		s1 = getBuf(w)
		defer putBuf(s1)
		key.stream(r.call, r.sid(si, 1)).words(s1)
	}
	rhoU := subVec(r1, s.lo, s.hi)
	drawRing(key.stream(r.call, r.sid(si, 3)), rhoU)
	sig0 := key.stream(r.call, r.sid(si, 0))
	var sig2 *keyStream
	var tmp vm.Vec
	if r.in.trunc() {
		sig2 = key.stream(r.call, r.sid(si, 2))
		buf := getBuf(kw * injChunk)
		defer putBuf(buf)
		tmp = ringView(buf, injChunk, kw)
	}
	off := uint(0)
	for c0 := 0; c0 < ns; c0 += injChunk {
		c1 := min(c0+injChunk, ns)
		sv := subVec(S, c0, c1)
		drawRing(sig0, sv)
		var t2 vm.Vec
		if sig2 != nil {
			t2 = subVec(tmp, 0, c1-c0)
			drawRing(sig2, t2)
		}
		off = r.rChunk(s.lo+c0, c1-c0, off, r.in.x0, sv, t2, s1, subVec(rhoU, c0, c1), subVec(r0, s.lo+c0, s.lo+c1))
	}
	return out.bytes(8 * kw * ns)
}

// rChunk sets S = v0·S + v1·(σ1 field) + σ2 + ρ_U and y = -S for cn
// elements from global index i0 (x: R's b).
func (r *injRun) rChunk(i0, cn int, off uint, x, S, sig2 vm.Vec, s1 []uint64, rho, y vm.Vec) uint {
	cw := r.in.z
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		for j := range cn {
			d := bitAtW(cw, i0+j)
			v := S.Lo[j] ^ -d + d
			if r.path == 2 {
				v -= getBits(s1, off+uint(j)*m, m) << (64 - m) & (x.Lo[i0+j]>>63 - 1)
				v += sig2.Lo[j]
			}
			v += rho.Lo[j]
			S.Lo[j], y.Lo[j] = v, -v
		}
		return off + uint(cn)*m*uint(r.path/2)
	case r.path != 0:
		m := r.m
		for j := range cn {
			d := bitAtW(cw, i0+j)
			nd := -d
			l, c := bits.Add64(S.Lo[j]^nd, d, 0)
			h := S.Hi[j] ^ nd + c
			if r.path == 2 {
				h -= getBits(s1, off+uint(j)*m, m) << (64 - m) & (x.Hi[i0+j]>>63 - 1)
				l, c = bits.Add64(l, sig2.Lo[j], 0)
				h += sig2.Hi[j] + c
			}
			l, c = bits.Add64(l, rho.Lo[j], 0)
			h += rho.Hi[j] + c
			S.Lo[j], S.Hi[j] = l, h
			var b uint64
			y.Lo[j], b = bits.Sub64(0, l, 0)
			y.Hi[j] = -h - b
		}
		return off + uint(cn)*m*uint(r.path/2)
	}
	for j := range cn {
		var v u128
		v, _, off = r.term(x, i0+j, ringElem(S, j), s1, off)
		if r.in.trunc() {
			v = v.add(ringElem(sig2, j))
		}
		v = r.e.mask(v.add(ringElem(rho, j)))
		setRingElem(S, j, v)
		setRingElem(y, j, r.e.mask(v.neg()))
	}
	return off
}

// nPart computes, in the segment where this party is N, from U's message
// its shares y_N = ρ_N and y_R = T (S is subtracted on arrival) and its
// message T = v0·e0 + v1·e1 + D - ρ_N + cst to R.
func (r *injRun) nPart(msgU []byte, r0, r1 vm.Vec) []byte {
	si := Prev(r.e.me)
	s := r.segs[si]
	ns, kw := s.n(), r.kw
	ew, dw := kw*ns, r.dWords(si)
	e0 := ringView(wordsIn(msgU, ew), ns, kw)
	var D vm.Vec
	if dw > 0 {
		D = ringView(wordsIn(msgU[8*ew:], dw), ns, kw)
	}
	var e1 []uint64
	if r.w1Tot[si] > 0 {
		o := 8 * (ew + dw)
		e1 = bytesToWords(msgU[o : o+bytesFor(r.w1Tot[si])])
	}
	rhoN := subVec(r0, s.lo, s.hi)
	drawRing(r.e.prev.stream(r.call, r.sid(si, 4)), rhoN) // the key of U and N
	out := newOutWords(ew)
	r.nLoop(s.lo, ns, r.in.x1, e0, D, e1, rhoN, ringView(out.w, ns, kw), subVec(r1, s.lo, s.hi))
	return out.bytes(8 * ew)
}

// nLoop sets T and y to v0·e0 + v1·e1 + D - ρ_N + cst for the n elements
// from global index i0 (x: N's b).
func (r *injRun) nLoop(i0, n int, x, e0, D vm.Vec, e1 []uint64, rho, T, y vm.Vec) {
	cw := r.in.z
	switch {
	case r.path != 0 && r.kw == 1:
		m := r.m
		for j := range n {
			d := bitAtW(cw, i0+j)
			v := e0.Lo[j] ^ -d + d + d - rho.Lo[j]
			if r.path == 2 {
				bv := x.Lo[i0+j]
				bt := bv >> 63
				v -= getBits(e1, uint(j)*m, m) << (64 - m) & (bt - 1)
				v += D.Lo[j] + bv>>m - bt<<(64-m)
			}
			T.Lo[j], y.Lo[j] = v, v
		}
		return
	case r.path != 0:
		m := r.m
		for j := range n {
			d := bitAtW(cw, i0+j)
			nd := -d // all ones when d = 1: v0 = -1
			l, c := bits.Add64(e0.Lo[j]^nd, d, 0)
			h := e0.Hi[j] ^ nd + c
			l, c = bits.Add64(l, d, 0) // cst = d
			h += c
			if r.path == 2 {
				bl, bh := x.Lo[i0+j], x.Hi[i0+j]
				bt := bh >> 63
				h -= getBits(e1, uint(j)*m, m) << (64 - m) & (bt - 1)
				l, c = bits.Add64(l, D.Lo[j], 0)
				h += D.Hi[j] + c
				l, c = bits.Add64(l, bl>>m|bh<<(64-m), 0) // + floor(B/2^m)
				h += bh>>m - bt<<(64-m) + c
			}
			var b uint64
			l, b = bits.Sub64(l, rho.Lo[j], 0)
			h -= rho.Hi[j] + b
			T.Lo[j], T.Hi[j] = l, h
			y.Lo[j], y.Hi[j] = l, h
		}
		return
	}
	off := uint(0)
	for j := range n {
		var v, cst u128
		v, cst, off = r.term(x, i0+j, ringElem(e0, j), e1, off)
		if r.in.trunc() {
			v = v.add(ringElem(D, j))
		}
		v = r.e.mask(v.add(cst).sub(ringElem(rho, j)))
		setRingElem(T, j, v)
		setRingElem(y, j, v)
	}
}

// vconst returns, at N and R, element i's d, b_t, constant and whether
// v0 = 2d - 1, for b its b part.
func (r *injRun) vconst(i int, b u128) (d, bt uint64, cst u128, neg bool) {
	in, uk := r.in, r.uk
	d = bitAtW(in.z, i)
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

// ---- fast paths ----

// fast says which fast path applies: 0 none, 1 bits, 2 truncation of every
// element by one m in [1, 62].
func (in *injIn) fast(k int) (int, uint) {
	if in.mOf == nil {
		return 1, 0
	}
	if in.n == 0 || !in.uniform {
		return 0, 0
	}
	m := in.mOf[0]
	if m < 1 || m > 62 || int(m) == k-1 {
		return 0, 0
	}
	return 2, uint(m)
}

func bitAtW(w []uint64, i int) uint64 { return w[i>>6] >> (i & 63) & 1 }
