package runtime

// The bit-sliced window round and the log-depth trees (the boolean part of
// comparisons, exact truncation and A2B), with the U role rotated over
// three segments of the elements (proto_slice.go). The window round is the
// mixed round of proto_mixed.go over GF(2); a block of 64 elements is
// transposed into words, one per bit position, so that every gate below
// acts on 64 elements.
//
// Trees. After a window round every element holds its windows' generate
// and propagate bits (G, P), low window first. A level combines adjacent
// windows,
//
//	G = G_hi ⊕ P_hi·G_lo,   P = P_hi·P_lo,
//
// with replicated AND gates (a local 3-out-of-3 share plus a zero sharing,
// sent to the previous party: one round for all gates of a level); the
// propagate of the lowest window is never needed and not computed. After
// log2(W) levels one word per block remains: the carry out of 64 elements.
// The AND tree of an equality test is the same with one AND per pair.

//go:generate go run gen_winfn.go

import (
	"context"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// ---- window functions on bit-sliced rows ----

// winOut is one output of a window round: in window win, ⊕_S A_S·B_{t[S]}
// over the U-monomials A_S (S ≠ 0) and the N/R-monomials B_T, plus the
// N/R-only term B_{t[0]}; noTerm marks an absent term.
type winOut struct {
	win int
	t   [16]uint8
}

// winFn is the function of a window round on L rows: window j covers rows
// [off[j], off[j]+w[j]) (w[j] <= 4); a block's U message holds, window after
// window, its monomials S = 1 .. 2^w[j]-1; outputs are per block in order.
type winFn struct {
	kind   int // winGP, winEq, winPrefix or winTable
	L      int
	off, w []int
	mono   []int // first monomial word of window j
	M      int   // monomial words per block
	outs   []winOut
}

func newWinFn(L int, widths []int) *winFn {
	f := &winFn{L: L, w: widths}
	o := 0
	for _, w := range widths {
		f.off = append(f.off, o)
		f.mono = append(f.mono, f.M)
		f.M += 1<<w - 1
		o += w
	}
	if o != L {
		panic("window widths do not cover the rows")
	}
	return f
}

// Kinds of window functions: the carry function of gpFn, the equality
// function of eqFn (both evaluated by the generated code of
// proto_winfn.go), or any other (by the tables).
const (
	winTable = iota
	winGP
	winEq
	winPrefix // prefixFn (A2B)
)

// evenWidths cuts L rows into W windows of widths differing by at most one
// (the wider ones on top).
func evenWidths(L, W int) []int {
	w := make([]int, W)
	for j := range w {
		w[j] = L / W
		if j >= W-L%W {
			w[j]++
		}
	}
	return w
}

// cmpWindows returns the number of windows (a power of two) of a
// comparison on m bits: the rounds of its tree, log2 of it, are those of
// 4-bit windows.
func cmpWindows(m int) int {
	W := 1
	for 4*W < m {
		W *= 2
	}
	return W
}

// gpFn is the carry function on L rows in W windows: per block G_0, then
// G_j, P_j for j = 1 .. W-1 (the propagate of the lowest window is never
// needed).
func gpFn(L, W int) *winFn {
	f := newWinFn(L, evenWidths(L, W))
	f.kind = winGP
	for j, w := range f.w {
		f.outs = append(f.outs, winOut{j, gTerms(w - 1)})
		if j > 0 {
			f.outs = append(f.outs, winOut{j, pTerms(w - 1)})
		}
	}
	return f
}

// eqFn is the all-bits-differ function ∏ (a_i ⊕ b_i) of every window (with
// b the complement of the value to compare, it tests equality).
func eqFn(L, W int) *winFn {
	f := newWinFn(L, evenWidths(L, W))
	f.kind = winEq
	for j, w := range f.w {
		f.outs = append(f.outs, winOut{j, pTerms(w - 1)})
	}
	return f
}

// monoWords sets m[S-1] = ∏_{i∈S} rows[off+i] for S = 1 .. 2^w-1.
func monoWords(m []uint64, rows []uint64, w int) {
	var t [16]uint64
	t[0] = ^uint64(0)
	for s := 1; s < 1<<w; s++ {
		t[s] = t[s&(s-1)] & rows[bits.TrailingZeros8(uint8(s))]
	}
	copy(m, t[1:1<<w])
}

// evalBlock computes the outputs of one block: out[o] = ⊕_S ev[S]·B_{t[S]}
// (+ B_{t[0]} if withConst), with ev the block's U-side words (masks or
// masked monomials) and rows the block's N/R rows.
func (f *winFn) evalBlock(out, ev, rows []uint64, withConst bool) {
	if f.kind == winPrefix {
		// The prefixes of bits 0..t of a window are the functions of the
		// window of its low t+1 bits, whose monomials come first.
		for j := range f.w {
			e, r, o := ev[f.mono[j]:], rows[f.off[j]:], out[11*j:]
			o[0], o[4] = evalG1P1(e, r, withConst)
			o[1], o[5] = evalG2P2(e, r, withConst)
			o[2], o[6] = evalG3P3(e, r, withConst)
			o[3], o[7] = evalG4P4(e, r, withConst)
			for t := 1; t < 4; t++ {
				x := e[1<<t-1]
				if withConst {
					x ^= r[t]
				}
				o[7+t] = x
			}
		}
		return
	}
	if f.kind != winTable {
		for j, w := range f.w {
			e, r := ev[f.mono[j]:], rows[f.off[j]:]
			var g, p uint64
			switch w {
			case 4:
				g, p = evalG4P4(e, r, withConst)
			case 3:
				g, p = evalG3P3(e, r, withConst)
			case 2:
				g, p = evalG2P2(e, r, withConst)
			default:
				g, p = evalG1P1(e, r, withConst)
			}
			switch {
			case f.kind == winEq:
				out[j] = p
			case j == 0:
				out[0] = g
			default:
				out[2*j-1], out[2*j] = g, p
			}
		}
		return
	}
	f.evalTable(out, ev, rows, withConst)
}

// evalTable is evalBlock by the term tables.
func (f *winFn) evalTable(out, ev, rows []uint64, withConst bool) {
	var bm [16]uint64
	cur := -1
	for o := range f.outs {
		wo := &f.outs[o]
		j := wo.win
		w := f.w[j]
		if j != cur {
			cur = j
			r := rows[f.off[j]:]
			bm[0] = ^uint64(0)
			for s := 1; s < 1<<w; s++ {
				bm[s] = bm[s&(s-1)] & r[bits.TrailingZeros8(uint8(s))]
			}
		}
		t := &wo.t
		var y uint64
		if withConst && t[0] != noTerm {
			y = bm[t[0]&15]
		}
		e := ev[f.mono[j]:]
		for s := 1; s < 1<<w; s++ {
			if tt := t[s]; tt != noTerm {
				y ^= e[s-1] & bm[tt&15]
			}
		}
		out[o] = y
	}
}

// ---- the window round ----

// Numbered-stream purposes of one invocation (prg.go): a mixed round of
// segment s uses sub ids base + 8s + i.
const (
	subWin  = 0      // the window round
	subInj  = 32     // the injection
	subTree = 1 << 8 // tree level l: subTree + l
)

// winBatch is how many blocks a window round processes at a time.
const winBatch = 16

// winRound evaluates f in one round on every block: rows holds, for every
// block of the whole vector, this party's rows (a in the segments where it
// is U, b elsewhere), L words per block (L >= f.L). It returns this party's
// replicated shares of the outputs, len(f.outs) words per block.
func (e *Engine) winRound(ctx context.Context, call uint64, segs [3]segment, rows []uint64, L int, f *winFn) ([2][]uint64, error) {
	w := e.newWin(call, segs, rows, L, f)
	me := e.me
	e.beginRound()
	if err := w.sendU(true); err != nil {
		return w.res, err
	}
	// N in segment me-1 (U = prev, R = next) and R in segment me+1 (U =
	// next, N = prev): the correction B = Σ mask·B_T + ρ to the other.
	sN, sR := segs[Prev(me)], segs[Next(me)]
	bN := w.corr(sN, e.prev, 0) // key with U = prev: k_UN; y_N = ρ_N is N's component 0
	if err := e.send(Next(me), packedBlocks(&bN, sN.blocks(), w.nOut, sN.tailLanes())); err != nil {
		return w.res, err
	}
	bR := w.corr(sR, e.next, 1) // key with U = next: k_RU; y_U = ρ_U is R's component 1
	if err := e.send(Prev(me), packedBlocks(&bR, sR.blocks(), w.nOut, sR.tailLanes())); err != nil {
		return w.res, err
	}
	// Receive: from prev the masked monomials of segment me-1, then B_N of
	// segment me+1; from next the masked monomials of segment me+1, then
	// B_R of segment me-1.
	eN, eR, fromN, fromR, err := e.recvMixed(ctx, w.uBytes(sN), w.uBytes(sR), w.oBytes(sR), w.oBytes(sN))
	if err != nil {
		return w.res, err
	}
	w.final(sN, eN, fromR, 0, 1) // N: (y_N, y_R)
	w.final(sR, eR, fromN, 1, 0) // R: (y_R, y_U)
	releaseMsg(eN, eR, fromN, fromR)
	return w.res, nil
}

// winRun is one evaluation of a window function (winRound, or sendU and
// finishEarly).
type winRun struct {
	e       *Engine
	call    uint64
	segs    [3]segment
	rows    []uint64
	L       int
	f       *winFn
	M, nOut int
	res     [2][]uint64
}

func (e *Engine) newWin(call uint64, segs [3]segment, rows []uint64, L int, f *winFn) *winRun {
	w := &winRun{e: e, call: call, segs: segs, rows: rows, L: L, f: f, M: f.M, nOut: len(f.outs)}
	nb := segs[2].b1
	w.res[0], w.res[1] = getBuf(nb*w.nOut), getBuf(nb*w.nOut)
	return w
}

func (w *winRun) sid(s, i int) uint32 { return uint32(subWin + 8*s + i) }

func (w *winRun) uBytes(s segment) int { return blockBytes(s.blocks(), w.M, s.tailLanes()) }
func (w *winRun) oBytes(s segment) int { return blockBytes(s.blocks(), w.nOut, s.tailLanes()) }

// sendU sends U's part of segment me, its monomials masked with σ (the key
// of R and U) to N and, if toR, masked with τ (the key of U and N) to R,
// and draws its shares y_U = ρ_U, y_N = ρ_N. It needs only the rows of
// segment me.
func (w *winRun) sendU(toR bool) error {
	e, f, M, nOut := w.e, w.f, w.M, w.nOut
	me := e.me
	sU := w.segs[me]
	nbU := sU.blocks()
	kRU, kUN := e.prev, e.next
	toN := newOutWords(nbU * M)
	var toRw outWords
	var tau *keyStream
	if toR {
		toRw = newOutWords(nbU * M)
		tau = kUN.stream(w.call, w.sid(me, 0))
	}
	sigma := kRU.stream(w.call, w.sid(me, 0))
	mono := getBuf(winBatch * M)
	for b := 0; b < nbU; b += winBatch {
		bn := min(winBatch, nbU-b)
		for i := range bn {
			r := w.rows[(sU.b0+b+i)*w.L:]
			m := mono[i*M:]
			for j, width := range f.w {
				monoWords(m[f.mono[j]:], r[f.off[j]:], width)
			}
		}
		sigma.xorWords(toN.w[b*M:(b+bn)*M], mono[:bn*M])
		if toR {
			tau.xorWords(toRw.w[b*M:(b+bn)*M], mono[:bn*M])
		}
	}
	putBuf(mono)
	kRU.stream(w.call, w.sid(me, 1)).words(w.res[0][sU.b0*nOut : sU.b1*nOut]) // y_U = ρ_U
	kUN.stream(w.call, w.sid(me, 1)).words(w.res[1][sU.b0*nOut : sU.b1*nOut]) // y_N = ρ_N
	if err := e.send(Next(me), packedBlocks(&toN, nbU, M, sU.tailLanes())); err != nil {
		return err
	}
	if toR {
		return e.send(Prev(me), packedBlocks(&toRw, nbU, M, sU.tailLanes()))
	}
	return nil
}

// corr returns the correction Σ mask·B_T ⊕ ρ of segment s, in which this
// party is N (key k_UN, ρ_N its component 0) or R (key k_RU, ρ_U its
// component 1), drawing ρ into res[rhoComp].
func (w *winRun) corr(s segment, key *pairPRG, rhoComp int) outWords {
	f, M, nOut := w.f, w.M, w.nOut
	nbS := s.blocks()
	out := newOutWords(nbS * nOut)
	mask := getBuf(winBatch * M)
	defer putBuf(mask)
	si := segIndex(s, w.segs)
	mk := key.stream(w.call, w.sid(si, 0))
	rho := w.res[rhoComp][s.b0*nOut : s.b1*nOut]
	key.stream(w.call, w.sid(si, 1)).words(rho)
	for b := 0; b < nbS; b += winBatch {
		bn := min(winBatch, nbS-b)
		mk.words(mask[:bn*M])
		for i := range bn {
			f.evalBlock(out.w[(b+i)*nOut:(b+i+1)*nOut], mask[i*M:], w.rows[(s.b0+b+i)*w.L:], false)
		}
		o := out.w[b*nOut : (b+bn)*nOut]
		vm.Xor64(o, o, rho[b*nOut:(b+bn)*nOut])
	}
	return out
}

// final sets res[outComp] on segment s to Σ e·B + B_T0 ⊕ ρ (res[rhoComp])
// ⊕ other (if not nil): y_R.
func (w *winRun) final(s segment, ev, other []byte, rhoComp, outComp int) {
	f, M, nOut := w.f, w.M, w.nOut
	nbS := s.blocks()
	evw := blockWords(ev, nbS, M, s.tailLanes())
	var ow []uint64
	if other != nil {
		ow = blockWords(other, nbS, nOut, s.tailLanes())
	}
	rho := w.res[rhoComp][s.b0*nOut : s.b1*nOut]
	y := w.res[outComp][s.b0*nOut : s.b1*nOut]
	for b := 0; b < nbS; b += winBatch {
		b1 := min(b+winBatch, nbS)
		for i := b; i < b1; i++ {
			f.evalBlock(y[i*nOut:(i+1)*nOut], evw[i*M:], w.rows[(s.b0+i)*w.L:], true)
		}
		o := y[b*nOut : b1*nOut]
		vm.Xor64(o, o, rho[b*nOut:b1*nOut])
		if ow != nil {
			vm.Xor64(o, o, ow[b*nOut:b1*nOut])
		}
	}
}

// finishEarly completes a window evaluation whose U part travelled in an
// earlier round (sendU(false) once U's rows are known, e.g. in the round of
// a fused multiplication), to N only; its round then completes it:
//
//	R → N S = Σ σ·B_T ⊕ ρ_U         (B_R of the one-round version)
//	N → R T = Σ e·B ⊕ B_T0 ⊕ ρ_N     (e = the monomials masked with σ)
//	y_U = ρ_U, y_N = ρ_N, y_R = T ⊕ S
//
// N sees e masked by σ and S by ρ_U, R sees T masked by ρ_N: as many
// rounds as winRound after the earlier one, and U's monomials sent once
// instead of twice.
func (w *winRun) finishEarly(ctx context.Context) ([2][]uint64, error) {
	e, nOut := w.e, w.nOut
	me := e.me
	sN, sR := w.segs[Prev(me)], w.segs[Next(me)]
	e.beginRound()
	sMsg := w.corr(sR, e.next, 1)
	copy(w.res[0][sR.b0*nOut:sR.b1*nOut], sMsg.w[:sR.blocks()*nOut]) // y_R = S ⊕ T
	if err := e.send(Prev(me), packedBlocks(&sMsg, sR.blocks(), nOut, sR.tailLanes())); err != nil {
		return w.res, err
	}
	eN, err := e.recv(ctx, Prev(me), w.uBytes(sN))
	if err != nil {
		return w.res, err
	}
	e.prev.stream(w.call, w.sid(Prev(me), 1)).words(w.res[0][sN.b0*nOut : sN.b1*nOut]) // y_N = ρ_N
	w.final(sN, eN, nil, 0, 1)                                                         // T
	releaseMsg(eN)
	t := newOutWords(sN.blocks() * nOut)
	copy(t.w, w.res[1][sN.b0*nOut:sN.b1*nOut])
	if err := e.send(Next(me), packedBlocks(&t, sN.blocks(), nOut, sN.tailLanes())); err != nil {
		return w.res, err
	}
	fromR, err := e.recv(ctx, Next(me), w.oBytes(sN))
	if err != nil {
		return w.res, err
	}
	fromN, err := e.recv(ctx, Prev(me), w.oBytes(sR))
	if err != nil {
		return w.res, err
	}
	xorBlocksPer(w.res[1][sN.b0*nOut:sN.b1*nOut], fromR, sN, nOut) // N: y_R = T ⊕ S
	xorBlocksPer(w.res[0][sR.b0*nOut:sR.b1*nOut], fromN, sR, nOut) // R: y_R = S ⊕ T
	releaseMsg(fromR, fromN)
	return w.res, nil
}

// xorBlocksPer adds to w the received block vector msg of segment s (per
// words per block).
func xorBlocksPer(w []uint64, msg []byte, s segment, per int) {
	if nb := s.blocks(); nb > 0 {
		vm.Xor64(w, w, blockWords(msg, nb, per, s.tailLanes()))
	}
}

// segIndex returns which of segs s is.
func segIndex(s segment, segs [3]segment) int {
	for i := range segs {
		if segs[i] == s {
			return i
		}
	}
	panic("segment not found")
}

// packedBlocks returns the wire bytes of the block vector o (nb blocks of
// per words, the last with r elements), packing its tail in place.
func packedBlocks(o *outWords, nb, per, r int) []byte {
	n := blockBytes(nb, per, r)
	if nb == 0 {
		return nil
	}
	if r == 64 {
		return o.bytes(n)
	}
	full := per * (nb - 1)
	tail := append([]uint64(nil), o.w[full:full+per]...)
	b := o.bytes(8 * len(o.w))
	putBlocks(b[8*full:], tail, 1, per, r)
	return b[:n]
}

// ---- AND rounds and trees ----

// andRound completes local AND terms: z holds this party's
// x_i·y_i ⊕ x_i·y_{i+1} ⊕ x_{i+1}·y_i for nb blocks of per words; it adds
// the zero sharing of stream sub, sends z to the previous party and returns
// (z, z_next). n is the number of elements (the last block's lanes).
func (e *Engine) andRound(ctx context.Context, call uint64, sub uint32, n, per int, z outWords) ([2][]uint64, error) {
	nb := (n + 63) / 64
	w := z.w[:nb*per]
	e.zeroShare(call, sub, w)
	own := getBuf(nb * per)
	copy(own, w)
	e.beginRound()
	if err := e.send(Prev(e.me), packedBlocks(&z, nb, per, lanesOf(n))); err != nil {
		return [2][]uint64{}, err
	}
	msg, err := e.recv(ctx, Next(e.me), blockBytes(nb, per, lanesOf(n)))
	if err != nil {
		return [2][]uint64{}, err
	}
	next := getBuf(nb * per)
	getBlocks(next, msg, nb, per, lanesOf(n))
	releaseMsg(msg)
	return [2][]uint64{own, next}, nil
}

// zeroShare adds this party's part of the zero sharing of stream sub to w:
// local AND terms become its XOR component (of three) of the gates.
func (e *Engine) zeroShare(call uint64, sub uint32, w []uint64) {
	e.next.stream(call, sub).xorWords(w, w)
	e.prev.stream(call, sub).xorWords(w, w)
}

// crossAnd is the local part of a replicated AND.
func crossAnd(x0, x1, y0, y1 uint64) uint64 { return x0&(y0^y1) ^ x1&y0 }

// carryTree2 reduces the (G, P) outputs of gpFn over W windows (per block
// G_0, G_1, P_1, ...) to the carry out: one word per block (replicated). It
// owns gp (returns its buffers to the pool). With last (and W > 1) the last
// level's round is left to the caller: the result is in [0], this party's
// XOR component (of three) of the carry (injIn.z).
func (e *Engine) carryTree2(ctx context.Context, call uint64, n, W int, gp [2][]uint64, last bool) ([2][]uint64, error) {
	nb := (n + 63) / 64
	per := 2*W - 1
	gi := func(j int) int { // index of G_j
		if j == 0 {
			return 0
		}
		return 2*j - 1
	}
	for level := 0; W > 1; level++ {
		W2 := W / 2
		per2 := 2*W2 - 1
		z := newOutWords(nb * per2)
		for b := range nb {
			g0, g1 := gp[0][b*per:], gp[1][b*per:]
			o := z.w[b*per2:]
			for i := range W2 {
				hi, lo := 2*i+1, 2*i
				ph := 2 * hi
				o[gi(i)] = crossAnd(g0[ph], g1[ph], g0[gi(lo)], g1[gi(lo)])
				if i > 0 {
					o[2*i] = crossAnd(g0[ph], g1[ph], g0[2*lo], g1[2*lo])
				}
			}
		}
		if last && W2 == 1 { // G = G_1 ⊕ P_1·G_0: this party's component of G_1 too
			for b := range nb {
				z.w[b] ^= gp[0][b*per+gi(1)]
			}
			return e.lastLevel(call, uint32(subTree+level), nb, z, gp), nil
		}
		zz, err := e.andRound(ctx, call, uint32(subTree+level), n, per2, z)
		if err != nil {
			return zz, err
		}
		for c := range 2 {
			for b := range nb {
				g := gp[c][b*per:]
				o := zz[c][b*per2:]
				for i := range W2 {
					o[gi(i)] ^= g[gi(2*i+1)]
				}
			}
			putBuf(gp[c])
		}
		gp, W, per = zz, W2, per2
	}
	return gp, nil
}

// lastLevel returns the gates z of a tree's last level (one word per block)
// as this party's XOR component (of three), in [0], and frees the level's
// inputs.
func (e *Engine) lastLevel(call uint64, sub uint32, nb int, z outWords, in [2][]uint64) [2][]uint64 {
	e.zeroShare(call, sub, z.w[:nb])
	putBuf(in[0])
	putBuf(in[1])
	return [2][]uint64{z.w[:nb]}
}

// andTree2 reduces W outputs per block to their AND: one word per block. It
// owns v. last is as for carryTree2.
func (e *Engine) andTree2(ctx context.Context, call uint64, n, W int, v [2][]uint64, last bool) ([2][]uint64, error) {
	nb := (n + 63) / 64
	for level := 0; W > 1; level++ {
		W2 := W / 2
		z := newOutWords(nb * W2)
		for b := range nb {
			a0, a1 := v[0][b*W:], v[1][b*W:]
			o := z.w[b*W2:]
			for i := range W2 {
				o[i] = crossAnd(a0[2*i+1], a1[2*i+1], a0[2*i], a1[2*i])
			}
		}
		if last && W2 == 1 {
			return e.lastLevel(call, uint32(subTree+level), nb, z, v), nil
		}
		zz, err := e.andRound(ctx, call, uint32(subTree+level), n, W2, z)
		if err != nil {
			return zz, err
		}
		putBuf(v[0])
		putBuf(v[1])
		v, W = zz, W2
	}
	return v, nil
}

// ---- flat operands and results ----

// flatShares returns the two components of the concatenation of xs (ring
// k): the operands themselves when there is one group.
func (e *Engine) flatShares(xs []vm.Share) (x0, x1 vm.Vec) {
	if len(xs) == 1 {
		return e.norm(xs[0][0]), e.norm(xs[0][1])
	}
	n := 0
	for _, s := range xs {
		n += s.Len()
	}
	x0, x1 = vm.NewVec(e.k, n), vm.NewVec(e.k, n)
	off := 0
	for _, s := range xs {
		m := s.Len()
		for c, dst := range [2]vm.Vec{x0, x1} {
			src := e.norm(s[c])
			copy(dst.Lo[off:], src.Lo)
			if dst.Hi != nil {
				copy(dst.Hi[off:], src.Hi)
			}
		}
		off += m
	}
	return x0, x1
}

// groupShares cuts flat result components into per-group shares of the
// given lengths (views of r0 and r1).
func groupShares(r0, r1 vm.Vec, lens []int) []vm.Share {
	rs := make([]vm.Share, len(lens))
	off := 0
	for g, n := range lens {
		rs[g] = vm.Share{subVec(r0, off, off+n), subVec(r1, off, off+n)}
		off += n
	}
	return rs
}

func subVec(v vm.Vec, lo, hi int) vm.Vec {
	r := vm.Vec{Lo: v.Lo[lo:hi:hi]}
	if v.Hi != nil {
		r.Hi = v.Hi[lo:hi:hi]
	}
	return r
}
