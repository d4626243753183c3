package runtime

// Multiplication, dot product, AND and opening (Araki, Furukawa, Lindell,
// Nof, Ohara, "High-throughput semi-honest secure three-party computation
// with an honest majority", CCS 2016).
//
// Party i holds (x_i, x_{i+1}) and (y_i, y_{i+1}); it computes its share of
// a 3-out-of-3 sharing of xy,
//
//	z_i = x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i + α_i,
//
// where α_i = F(k_{i,i+1}) - F(k_{i-1,i}) is a zero sharing from the pairwise
// PRGs, and sends z_i to party i-1, which then holds (z_{i-1}, z_i): one
// round, one ring element sent per party and product. A dot product sums the
// local terms first and sends one element whatever the length. AND is the
// same over GF(2) on 64-bit words. Opening sends x_i to party i+1, the one
// party that lacks it.
//
// Every call handles all argument groups of one instruction together: one
// message per peer, the groups' elements concatenated in order. Mul, BAnd
// and Open lay a group out planar (its low words, then for k = 128 its high
// words, little-endian), so that the sender copies its vector into the
// message and the receiver uses the message's memory as its share without
// decoding; Dot sends each element as k/8 little-endian bytes (low word
// first). The zero sharings of Mul and BAnd come from numbered PRG streams
// (prg.go), read in planar chunks of mulChunk elements.

import (
	"context"
	"encoding/binary"

	"github.com/mpcs/mpcs/vm"
)

// mulChunk is the number of elements whose PRG output is generated at once.
const mulChunk = 2048

func stride(v vm.Vec) int {
	if len(v.Lo) == 1 {
		return 0
	}
	return 1
}

// putRing encodes the ring vector v at b (k/8 bytes per element).
func putRing(k int, b []byte, v vm.Vec) {
	if k == 64 {
		putWords(b, v.Lo)
		return
	}
	for i, x := range v.Lo {
		binary.LittleEndian.PutUint64(b[16*i:], x)
		binary.LittleEndian.PutUint64(b[16*i+8:], v.Hi[i])
	}
}

// getRing decodes len(v) ring elements from b into v.
func getRing(k int, v vm.Vec, b []byte) {
	if k == 64 {
		getWords(v.Lo, b)
		return
	}
	for i := range v.Lo {
		v.Lo[i] = binary.LittleEndian.Uint64(b[16*i:])
		v.Hi[i] = binary.LittleEndian.Uint64(b[16*i+8:])
	}
}

// reshare completes multiplications: own[g] holds this party's z_i of every
// group; it sends them to Prev(me) in one message and receives z_{i+1}
// from Next(me). It returns the shares (z_i, z_{i+1}).
func (e *Engine) reshare(ctx context.Context, own []vm.Vec) ([]vm.Share, error) {
	eb := ringBytes(e.k)
	total := 0
	for _, v := range own {
		total += v.Len()
	}
	msg := make([]byte, total*eb)
	off := 0
	for _, v := range own {
		putRing(e.k, msg[off:], v)
		off += v.Len() * eb
	}
	var out [3][]byte
	out[Prev(e.me)] = msg
	want := [3]int{-1, -1, -1}
	want[Next(e.me)] = total * eb
	in, err := e.round(ctx, out, want)
	if err != nil {
		return nil, err
	}
	b := in[Next(e.me)]
	rs := make([]vm.Share, len(own))
	off = 0
	for g, v := range own {
		r := vm.NewVec(e.k, v.Len())
		getRing(e.k, r, b[off:])
		off += v.Len() * eb
		rs[g] = vm.Share{v, r}
	}
	return rs, nil
}

// Mul implements vm.Engine (AMUL): one round, one ring element sent per
// party and product. The message goes in pieces (pieceElems elements, each
// planar), each sent as soon as it is computed, so that the transfer of a
// piece overlaps the computation of the next.
func (e *Engine) Mul(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	return e.mul(ctx, x, y)
}

func (e *Engine) mul(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	call := e.newCall()
	k, kw := e.k, e.k/64
	lens := make([]int, len(x))
	own := make([]vm.Vec, len(x))
	xs, ys := make([]vm.Share, len(x)), make([]vm.Share, len(x))
	total := 0
	for g := range x {
		lens[g] = blen(x[g].Len(), y[g].Len())
		total += lens[g]
		own[g] = vm.NewVec(k, lens[g])
		xs[g], ys[g] = e.normShare(x[g]), e.normShare(y[g])
	}
	zn, zp := e.next.stream(call, 0), e.prev.stream(call, 0)
	scratch := getBuf(4 * mulChunk)
	defer putBuf(scratch)
	// local products plus the zero sharing of elements [s, s+m) of group g
	local := func(g, s, m int) {
		n := lens[g]
		zc := subVec(own[g], s, s+m)
		crossMul(k, zc, xs[g], ys[g], n, s)
		// + F(k_{i,i+1}) - F(k_{i-1,i}), planar per chunk
		fn, fp := scratch[:kw*m], scratch[2*mulChunk:2*mulChunk+kw*m]
		zn.words(fn)
		zp.words(fp)
		if k == 64 {
			vm.Add64(zc.Lo, zc.Lo, fn)
			vm.Sub64(zc.Lo, zc.Lo, fp)
		} else {
			vm.Add128(zc.Lo, zc.Hi, zc.Lo, zc.Hi, fn[:m], fn[m:2*m])
			vm.Sub128(zc.Lo, zc.Hi, zc.Lo, zc.Hi, fp[:m], fp[m:2*m])
		}
	}
	e.beginRound()
	for _, pc := range pieces(lens, pieceElems(k)) {
		msg := getMsgBuf(8 * kw * pc.n)
		mw := wordsIn(msg, kw*pc.n)
		for _, r := range pc.runs {
			for s := r.s; s < r.s+r.m; s += mulChunk {
				local(r.g, s, min(mulChunk, r.s+r.m-s))
			}
			copy(mw[r.at:], own[r.g].Lo[r.s:r.s+r.m])
			if kw == 2 {
				copy(mw[pc.n+r.at:], own[r.g].Hi[r.s:r.s+r.m])
			}
		}
		if !littleEndian { // mw was a decoded copy
			putWords(msg, mw)
		}
		if err := e.send(Prev(e.me), msg); err != nil {
			return nil, err
		}
	}
	rs := make([]vm.Share, len(x))
	for g := range x {
		rs[g] = vm.Share{own[g], vm.NewVec(k, lens[g])}
	}
	if err := e.recvPieces(ctx, Next(e.me), lens, kw, func(g int) vm.Vec { return rs[g][1] }); err != nil {
		return nil, err
	}
	return rs, nil
}

// crossMul sets z to the local cross terms x_i·y_i + x_i·y_{i+1} +
// x_{i+1}·y_i of the elements [s, s+z.Len()) of x and y (a group of n
// elements; an operand of length 1 is broadcast).
func crossMul(k int, z vm.Vec, x, y vm.Share, n, s int) {
	if x[0].Len() != n || y[0].Len() != n {
		crossMulBroadcast(z, x, y, s)
		return
	}
	t := s + z.Len()
	a0, a1, b0, b1 := subVec(x[0], s, t), subVec(x[1], s, t), subVec(y[0], s, t), subVec(y[1], s, t)
	if k == 64 {
		vm.CrossMul64(z.Lo, a0.Lo, a1.Lo, b0.Lo, b1.Lo)
		return
	}
	vm.CrossMul128(z.Lo, z.Hi, a0.Lo, a0.Hi, a1.Lo, a1.Hi, b0.Lo, b0.Hi, b1.Lo, b1.Hi)
}

// pieceBytes is the size of the pieces a bulk message is sent in.
var pieceBytes = 1 << 20

func pieceElems(k int) int { return pieceBytes / (k / 8) }

// piece is one piece of a message over groups: runs of elements [s, s+m)
// of group g at element offset at within the piece.
type piece struct {
	n    int
	runs []pieceRun
}

type pieceRun struct{ g, s, m, at int }

// pieces cuts the concatenation of groups of the given lengths into pieces
// of at most per elements.
func pieces(lens []int, per int) []piece {
	var ps []piece
	cur := piece{}
	for g, n := range lens {
		for s := 0; s < n; {
			m := min(n-s, per-cur.n)
			cur.runs = append(cur.runs, pieceRun{g, s, m, cur.n})
			cur.n += m
			s += m
			if cur.n == per {
				ps = append(ps, cur)
				cur = piece{}
			}
		}
	}
	if cur.n > 0 {
		ps = append(ps, cur)
	}
	return ps
}

// recvPieces receives from p the pieces of a planar message over groups of
// the given lengths (kw words per element) into the vectors dst(g).
func (e *Engine) recvPieces(ctx context.Context, p int, lens []int, kw int, dst func(g int) vm.Vec) error {
	for _, pc := range pieces(lens, pieceBytes/(8*kw)) {
		msg, err := e.recv(ctx, p, 8*kw*pc.n)
		if err != nil {
			return err
		}
		w := wordsIn(msg, kw*pc.n)
		for _, r := range pc.runs {
			v := dst(r.g)
			copy(v.Lo[r.s:r.s+r.m], w[r.at:])
			if kw == 2 {
				copy(v.Hi[r.s:r.s+r.m], w[pc.n+r.at:])
			}
		}
		releaseMsg(msg)
	}
	return nil
}

// normShare gives both components the layout of ring k.
func (e *Engine) normShare(s vm.Share) vm.Share { return vm.Share{e.norm(s[0]), e.norm(s[1])} }

// crossMulBroadcast sets z (elements s.. of the result) to the local cross
// terms when x or y has length 1.
func crossMulBroadcast(z vm.Vec, x, y vm.Share, s int) {
	sx, sy := stride(x[0]), stride(y[0])
	for j := range z.Lo {
		i := s + j
		a0, a1 := ringElem(x[0], i*sx), ringElem(x[1], i*sx)
		b0, b1 := ringElem(y[0], i*sy), ringElem(y[1], i*sy)
		setRingElem(z, j, a0.mul(b0.add(b1)).add(a1.mul(b0)))
	}
}

// Dot implements vm.Engine (ADOT): the local terms are summed before the
// re-sharing, so a dot product of any length costs one element per party.
func (e *Engine) Dot(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	own := make([]vm.Vec, len(x))
	for g := range x {
		n := blen(x[g].Len(), y[g].Len())
		if x[g].Len() == 0 || y[g].Len() == 0 {
			n = 0
		}
		own[g] = e.dotLocal(x[g], y[g], n)
	}
	return e.reshare(ctx, own)
}

// dotLocal returns Σ_j (x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i)_j + α as a
// length-1 vector.
func (e *Engine) dotLocal(x, y vm.Share, n int) vm.Vec {
	sx, sy := stride(x[0]), stride(y[0])
	var acc u128
	if e.k == 64 {
		x0, x1, y0, y1 := x[0].Lo, x[1].Lo, y[0].Lo, y[1].Lo
		var s uint64
		for i := 0; i < n; i++ {
			a0, a1 := x0[i*sx], x1[i*sx]
			b0, b1 := y0[i*sy], y1[i*sy]
			s += a0*(b0+b1) + a1*b0
		}
		acc.lo = s
	} else {
		for i := 0; i < n; i++ {
			a0, a1 := ringElem(x[0], i*sx), ringElem(x[1], i*sx)
			b0, b1 := ringElem(y[0], i*sy), ringElem(y[1], i*sy)
			acc = acc.add(a0.mul(b0.add(b1))).add(a1.mul(b0))
		}
	}
	w := e.k / 64
	fn := e.next.g[prgZero].wordSlice(w)
	fp := e.prev.g[prgZero].wordSlice(w)
	if w == 1 {
		acc = acc.add(u128{fn[0], 0}).sub(u128{fp[0], 0})
	} else {
		acc = acc.add(u128{fn[0], fn[1]}).sub(u128{fp[0], fp[1]})
	}
	r := vm.NewVec(e.k, 1)
	setRingElem(r, 0, acc)
	return r
}

// BAnd implements vm.Engine (BAND): the multiplication over GF(2)^64.
func (e *Engine) BAnd(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	call := e.newCall()
	lens := make([]int, len(x))
	total := 0
	for g := range x {
		lens[g] = blen(x[g].Len(), y[g].Len())
		total += lens[g]
	}
	msg := getMsgBuf(8 * total)
	mw := wordsIn(msg, total)
	zn, zp := e.next.stream(call, 0), e.prev.stream(call, 0)
	own := make([]vm.Vec, len(x))
	off := 0
	for g := range x {
		n := lens[g]
		z := vm.NewWords(n)
		x0, x1, y0, y1 := x[g][0].Lo, x[g][1].Lo, y[g][0].Lo, y[g][1].Lo
		if len(x0) == n && len(y0) == n {
			vm.CrossAnd64(z.Lo, x0, x1, y0, y1)
		} else {
			sx, sy := stride(x[g][0]), stride(y[g][0])
			for i := range n {
				z.Lo[i] = crossAnd(x0[i*sx], x1[i*sx], y0[i*sy], y1[i*sy])
			}
		}
		zn.xorWords(z.Lo, z.Lo)
		zp.xorWords(z.Lo, z.Lo)
		copy(mw[off:], z.Lo)
		own[g] = z
		off += n
	}
	if !littleEndian {
		putWords(msg, mw)
	}
	e.beginRound()
	if err := e.send(Prev(e.me), msg); err != nil {
		return nil, err
	}
	in, err := e.recv(ctx, Next(e.me), 8*total)
	if err != nil {
		return nil, err
	}
	w := wordsIn(in, total)
	rs := make([]vm.Share, len(x))
	off = 0
	for g, n := range lens {
		rs[g] = vm.Share{own[g], vm.Vec{Lo: w[off : off+n : off+n]}}
		off += n
	}
	return rs, nil
}

// Open implements vm.Engine (AOPEN): each party sends x_i to party i+1.
func (e *Engine) Open(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return e.open(ctx, x, e.k, false)
}

// BOpen implements vm.Engine (BOPEN): as Open with XOR; the words come back
// as unsigned ring elements.
func (e *Engine) BOpen(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return e.open(ctx, x, 64, true)
}

func (e *Engine) open(ctx context.Context, x []vm.Share, k int, boolean bool) ([]vm.Vec, error) {
	kw := k / 64
	total := 0
	for _, s := range x {
		total += s.Len()
	}
	msg := getMsgBuf(8 * kw * total)
	mw := wordsIn(msg, kw*total)
	off := 0
	for _, s := range x {
		n := s.Len()
		c := s[0]
		if !boolean {
			c = e.norm(c)
		}
		copy(mw[kw*off:], c.Lo)
		if kw == 2 {
			copy(mw[kw*off+n:], c.Hi)
		}
		off += n
	}
	if !littleEndian {
		putWords(msg, mw)
	}
	e.beginRound()
	e.kind = "open"
	err := e.send(Next(e.me), msg)
	e.kind = ""
	if err != nil {
		return nil, err
	}
	in, err := e.recv(ctx, Prev(e.me), 8*kw*total)
	if err != nil {
		return nil, err
	}
	w := wordsIn(in, kw*total)
	rs := make([]vm.Vec, len(x))
	off = 0
	for g, s := range x {
		n := s.Len()
		if e.tr != nil {
			c := s[1]
			if !boolean {
				c = e.norm(c)
			}
			e.noteOpen(c, w[kw*off:kw*(off+n)])
		}
		r := vm.NewVec(e.k, n)
		if boolean {
			vm.Xor64(r.Lo, s[0].Lo, s[1].Lo)
			vm.Xor64(r.Lo, r.Lo, w[off:off+n])
		} else {
			third := vm.Vec{Lo: w[kw*off : kw*off+n]}
			if kw == 2 {
				third.Hi = w[kw*off+n : kw*off+2*n]
			}
			vm.AddVec(e.k, r, e.norm(s[0]), e.norm(s[1]))
			vm.AddVec(e.k, r, r, third)
		}
		rs[g] = r
		off += n
	}
	releaseMsg(in)
	return rs, nil
}

// ---- multiplication fused with truncation ----
//
// MulTrunc computes Trunc(Mul(x, y), m) with the multiplication's result
// produced straight in the split form the truncation starts from (a known
// to the element's U alone, b to N and R; proto_trunc.go), instead of a
// replicated sharing that the truncation then splits. Every party computes
// its local cross terms z_i (z_U + z_N + z_R = x·y); in the segment where U
// is party s,
//
//	N → R: z_N + α_N      (α_N from the key of U and N; R does not know it)
//	R → N: z_R + α_R      (α_R from the key of R and U; N does not know it)
//	a = z_U - α_N - α_R at U,   b = (z_N + α_N) + (z_R + α_R) at N and R,
//
// so a + b = x·y: two ring elements per product instead of three, in the
// same one round. N sees z_R masked by α_R and R sees z_N masked by α_N,
// both uniform; a is uniform to N and to R (masked by the α each lacks),
// and the split is distributed as the one the truncation makes from a
// replicated sharing, so the rest of the protocol and its view are
// unchanged.

var _ vm.MulTruncer = (*Engine)(nil)

// MulTrunc implements the fused AMUL + ATRUNC of the VM (vm.MulTruncer):
// floor(x·y / 2^m) exactly for products in [-2^(k-2), 2^(k-2)), per group.
// Groups with m = 0 or no elements fall back to Mul then Trunc.
func (e *Engine) MulTrunc(ctx context.Context, x, y []vm.Share, ms []uint) ([]vm.Share, error) {
	n := 0
	lens := make([]int, len(x))
	fuse := true
	for g := range x {
		lens[g] = blen(x[g].Len(), y[g].Len())
		if x[g].Len() == 0 || y[g].Len() == 0 {
			lens[g] = 0
		}
		n += lens[g]
		if ms[g] == 0 || ms[g] >= uint(e.k) || lens[g] == 0 {
			fuse = false
		}
	}
	if !fuse || n == 0 {
		z, err := e.Mul(ctx, x, y)
		if err != nil {
			return nil, err
		}
		return e.Trunc(ctx, z, ms)
	}
	// The truncation's window round starts in the multiplication's round:
	// U knows its part of the split before any message arrives, so its
	// masked monomials go to N then (winRun.sendU, to N only), and the
	// window round completes without them (winRun.finishEarly).
	sh := shiftsOf(lens, ms)
	var t *truncRun
	var w *winRun
	sp, err := e.mulSplit(ctx, x, y, lens, n, func(sp vm.Vec) error {
		t = e.newTrunc(e.newCall(), sp, sp, true, sh)
		t.fill(only(t.segs, e.me))
		w = t.window()
		return w.sendU(false)
	})
	if err != nil {
		return nil, err
	}
	t.fill(only(t.segs, Prev(e.me)))
	t.fill(only(t.segs, Next(e.me)))
	r0, r1, err := t.run(ctx, w)
	putBuf(sp.Lo)
	putBuf(sp.Hi)
	if err != nil {
		return nil, err
	}
	return groupShares(r0, r1, lens), nil
}

// mulSplit computes the products of the groups (flat, n elements) in split
// form: a where this party is the element's U, b elsewhere. afterU runs
// once this party's a are computed, before anything is received.
func (e *Engine) mulSplit(ctx context.Context, x, y []vm.Share, lens []int, n int, afterU func(sp vm.Vec) error) (vm.Vec, error) {
	call := e.newCall()
	k, kw, me := e.k, e.k/64, e.me
	xs, ys := make([]vm.Share, len(x)), make([]vm.Share, len(x))
	offs := make([]int, len(x))
	off := 0
	for g := range x {
		xs[g], ys[g] = e.normShare(x[g]), e.normShare(y[g])
		offs[g] = off
		off += lens[g]
	}
	// a temporary (pooled; every element is written below)
	sp := vm.Vec{Lo: getBuf(n)}
	if k == 128 {
		sp.Hi = getBuf(n)
	}
	// cross terms of the flat elements [lo, hi)
	cross := func(lo, hi int) {
		for g := range xs {
			glo, ghi := max(lo, offs[g]), min(hi, offs[g]+lens[g])
			if glo >= ghi {
				continue
			}
			crossMul(k, subVec(sp, glo, ghi), xs[g], ys[g], lens[g], glo-offs[g])
		}
	}
	// z ± the keystream of st, planar per chunk of mulChunk elements
	scratch := getBuf(2 * mulChunk)
	defer putBuf(scratch)
	addMask := func(z vm.Vec, st *keyStream, sub bool) {
		m := z.Len()
		r := scratch[:kw*m]
		st.words(r)
		switch {
		case k == 64 && sub:
			vm.Sub64(z.Lo, z.Lo, r)
		case k == 64:
			vm.Add64(z.Lo, z.Lo, r)
		case sub:
			vm.Sub128(z.Lo, z.Hi, z.Lo, z.Hi, r[:m], r[m:2*m])
		default:
			vm.Add128(z.Lo, z.Hi, z.Lo, z.Hi, r[:m], r[m:2*m])
		}
	}
	segs := segmentsOf(n)
	subN := func(s int) uint32 { return uint32(s) }     // α_N of segment s
	subR := func(s int) uint32 { return uint32(3 + s) } // α_R of segment s
	per := pieceElems(k)
	e.beginRound()
	// As N (segment me-1, key with U = prev) and R (segment me+1, key with
	// U = next): z + α to the other, piece by piece.
	for _, side := range [2]struct {
		s, to int
		st    *keyStream
	}{
		{Prev(me), Next(me), e.prev.stream(call, subN(Prev(me)))},
		{Next(me), Prev(me), e.next.stream(call, subR(Next(me)))},
	} {
		sg := segs[side.s]
		for p0 := sg.lo; p0 < sg.hi; p0 += per {
			p1 := min(p0+per, sg.hi)
			for c := p0; c < p1; c += mulChunk {
				c1 := min(c+mulChunk, p1)
				cross(c, c1)
				addMask(subVec(sp, c, c1), side.st, false)
			}
			cnt := p1 - p0
			msg := getMsgBuf(8 * kw * cnt)
			mw := wordsIn(msg, kw*cnt)
			copy(mw, sp.Lo[p0:p1])
			if kw == 2 {
				copy(mw[cnt:], sp.Hi[p0:p1])
			}
			if !littleEndian {
				putWords(msg, mw)
			}
			if err := e.send(side.to, msg); err != nil {
				return sp, err
			}
		}
	}
	// As U: a = z - α_N - α_R.
	{
		sg := segs[me]
		aN, aR := e.next.stream(call, subN(me)), e.prev.stream(call, subR(me))
		// chunks as N and R cut them (the masks' layout is per chunk)
		for p0 := sg.lo; p0 < sg.hi; p0 += per {
			p1 := min(p0+per, sg.hi)
			for c := p0; c < p1; c += mulChunk {
				c1 := min(c+mulChunk, p1)
				cross(c, c1)
				z := subVec(sp, c, c1)
				addMask(z, aN, true)
				addMask(z, aR, true)
			}
		}
	}
	if err := afterU(sp); err != nil {
		return sp, err
	}
	// b = own + the other's, from next (segment me-1) and prev (segment me+1).
	for _, side := range [2]struct{ s, from int }{{Prev(me), Next(me)}, {Next(me), Prev(me)}} {
		sg := segs[side.s]
		for p0 := sg.lo; p0 < sg.hi; p0 += per {
			p1 := min(p0+per, sg.hi)
			cnt := p1 - p0
			msg, err := e.recv(ctx, side.from, 8*kw*cnt)
			if err != nil {
				return sp, err
			}
			w := wordsIn(msg, kw*cnt)
			z := subVec(sp, p0, p1)
			if kw == 1 {
				vm.Add64(z.Lo, z.Lo, w)
			} else {
				vm.Add128(z.Lo, z.Hi, z.Lo, z.Hi, w[:cnt], w[cnt:2*cnt])
			}
			releaseMsg(msg)
		}
	}
	return sp, nil
}
