package runtime

// Verified conversions and comparisons for the malicious mode, built only
// from steps the mode verifies: local operations, verified ANDs and
// multiplications (security_mul.go), and trivial sharings of share
// components. Component x_j is held by exactly the two parties that hold
// component j of any sharing, so the sharing of x_j (or of its bits) with
// the other components 0 takes no message and leaves nothing to fake.
//
//   - A2B: the components' words as trivial boolean sharings, a carry-save
//     layer (two ANDs) and a Kogge–Stone adder (one AND to start, two per
//     level, log2 of the width levels): 8 verified ANDs for a 64-bit word,
//     9 for the high word of a 128-bit ring.
//   - Bit to arithmetic: with the components' bits b_j as trivial
//     arithmetic sharings, u = b_0 + b_1 − 2·b_0·b_1 and b = u + b_2 −
//     2·u·b_2 (two verified multiplications).
//   - LTZ: the top bit of the A2B sum, to arithmetic. EQZ: the AND of the
//     complemented bits of the sum (a tree of verified ANDs), to
//     arithmetic. B2A: every bit of the word to arithmetic, weighted by
//     2^i (−2^63 for the sign bit).
//
// These cost far more than the semi-honest protocols (which use windows,
// injections and one-party splits that redundancy cannot check); they are
// correct first, to be made cheaper later (docs/security.md).

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

// wide is a boolean-shared value of several 64-bit words, low word first.
type wide []vm.Share

// compOf returns which component of this party's shares holds share j (0
// or 1), or -1.
func (e *Engine) compOf(j int) int {
	c := (j - e.me + 3) % 3
	if c == 2 {
		return -1
	}
	return c
}

// trivial returns the sharing of component j's value v (only read where
// this party holds component j) whose other components are 0: boolean
// words, or ring elements of width k.
func (e *Engine) trivial(j int, v func(c int) vm.Vec, k, n int) vm.Share {
	r := vm.Share{vm.NewVec(k, n), vm.NewVec(k, n)}
	if c := e.compOf(j); c >= 0 {
		src := v(c)
		copy(r[c].Lo, src.Lo)
		copy(r[c].Hi, src.Hi)
	}
	return r
}

func (v verifiedEngine) xorW(a, b wide) wide {
	r := make(wide, len(a))
	for i := range a {
		r[i] = v.e.BXor(a[i], b[i])
	}
	return r
}

// shlW shifts a left by d bits across its words.
func (v verifiedEngine) shlW(a wide, d int) wide {
	e := v.e
	r := make(wide, len(a))
	for i := range a {
		n := a[i].Len()
		r[i] = newB(n)
		if j := i - d/64; j >= 0 {
			r[i] = e.BShl(a[j], uint(d%64))
			if d%64 != 0 && j > 0 {
				r[i] = e.BXor(r[i], e.BShr(a[j-1], uint(64-d%64)))
			}
		}
	}
	return r
}

// andW computes the ANDs of the pairs of wide values in one verified
// instruction.
func (v verifiedEngine) andW(ctx context.Context, pairs ...[2]wide) ([]wide, error) {
	var xs, ys []vm.Share
	for _, p := range pairs {
		xs = append(xs, p[0]...)
		ys = append(ys, p[1]...)
	}
	zs, err := v.BAnd(ctx, xs, ys)
	if err != nil {
		return nil, err
	}
	rs := make([]wide, len(pairs))
	for i, p := range pairs {
		rs[i], zs = wide(zs[:len(p[0])]), zs[len(p[0]):]
	}
	return rs, nil
}

// add3 returns a + b + c modulo 2^(64·len(a)).
func (v verifiedEngine) add3(ctx context.Context, a, b, c wide) (wide, error) {
	r, err := v.add3s(ctx, [][3]wide{{a, b, c}})
	if err != nil {
		return nil, err
	}
	return r[0], nil
}

// add3s returns the sums of several triples (each modulo 2^(64·its
// width)), their levels side by side: the rounds of the widest.
func (v verifiedEngine) add3s(ctx context.Context, ins [][3]wide) ([]wide, error) {
	// carry-save: s = a ⊕ b ⊕ c, carry = a·b ⊕ c·(a ⊕ b)
	var pairs [][2]wide
	s := make([]wide, len(ins))
	for i, in := range ins {
		ab := v.xorW(in[0], in[1])
		s[i] = v.xorW(ab, in[2])
		pairs = append(pairs, [2]wide{in[0], in[1]}, [2]wide{in[2], ab})
	}
	m, err := v.andW(ctx, pairs...)
	if err != nil {
		return nil, err
	}
	// s + (carry << 1) by Kogge–Stone: G, P of every prefix
	pairs = pairs[:0]
	cs := make([]wide, len(ins))
	for i := range ins {
		cs[i] = v.shlW(v.xorW(m[2*i], m[2*i+1]), 1)
		pairs = append(pairs, [2]wide{s[i], cs[i]})
	}
	G, err := v.andW(ctx, pairs...)
	if err != nil {
		return nil, err
	}
	P, p0 := make([]wide, len(ins)), make([]wide, len(ins))
	width := 0
	for i := range ins {
		P[i] = v.xorW(s[i], cs[i])
		p0[i] = P[i]
		width = max(width, 64*len(s[i]))
	}
	for d := 1; d < width; d *= 2 {
		pairs = pairs[:0]
		var who []int // the triple of each pair, −1−i for a P pair
		for i := range ins {
			if d >= 64*len(s[i]) {
				continue
			}
			pairs = append(pairs, [2]wide{P[i], v.shlW(G[i], d)})
			who = append(who, i)
			if 2*d < 64*len(s[i]) {
				pairs = append(pairs, [2]wide{P[i], v.shlW(P[i], d)})
				who = append(who, -1-i)
			}
		}
		r, err := v.andW(ctx, pairs...)
		if err != nil {
			return nil, err
		}
		for j, i := range who {
			if i >= 0 {
				G[i] = v.xorW(G[i], r[j])
			} else {
				P[-1-i] = r[j]
			}
		}
	}
	sum := make([]wide, len(ins))
	for i := range ins {
		sum[i] = v.xorW(p0[i], v.shlW(G[i], 1))
	}
	return sum, nil
}

// bitsOf returns the sum x_0 + x_1 + x_2 of the components of the flat
// arithmetic shares (x0, x1), as unsigned integers, modulo 2^(64·W): W
// boolean words (W = 1: the low word; W = k/64: the ring element; one word
// more: with the carry beyond k bits).
func (v verifiedEngine) bitsOf(ctx context.Context, x0, x1 vm.Vec, W int) (wide, error) {
	in := v.components(x0, x1, W)
	return v.add3(ctx, in[0], in[1], in[2])
}

// components returns the trivial boolean sharings of the three components
// of (x0, x1), W words each (the words beyond the ring's are 0).
func (v verifiedEngine) components(x0, x1 vm.Vec, W int) [3]wide {
	e := v.e
	n := x0.Len()
	var in [3]wide
	for j := range 3 {
		in[j] = make(wide, W)
		for w := range W {
			in[j][w] = e.trivial(j, func(c int) vm.Vec {
				src := [2]vm.Vec{x0, x1}[c]
				switch {
				case w == 0:
					return vm.Vec{Lo: src.Lo}
				case w == 1 && e.k == 128:
					return vm.Vec{Lo: src.Hi}
				}
				return vm.NewWords(n)
			}, 64, n)
		}
	}
	return in
}

// bitToArith converts bit 0 of boolean words to arithmetic shares of 0 or 1.
func (v verifiedEngine) bitToArith(ctx context.Context, b vm.Share) (vm.Share, error) {
	e := v.e
	n := b.Len()
	var t [3]vm.Share
	for j := range 3 {
		t[j] = e.trivial(j, func(c int) vm.Vec {
			r := vm.NewVec(e.k, n)
			for i, w := range b[c].Lo {
				r.Lo[i] = w & 1
			}
			return r
		}, e.k, n)
	}
	two := vm.VecOf(e.k, 2)
	p, err := v.Mul(ctx, []vm.Share{t[0]}, []vm.Share{t[1]})
	if err != nil {
		return nil, err
	}
	u := e.ASub(e.AAdd(t[0], t[1]), e.AMulP(p[0], two))
	q, err := v.Mul(ctx, []vm.Share{u}, []vm.Share{t[2]})
	if err != nil {
		return nil, err
	}
	return e.ASub(e.AAdd(u, t[2]), e.AMulP(q[0], two)), nil
}

// A2B implements vm.Engine, verified.
func (v verifiedEngine) A2B(ctx context.Context, x []vm.Share, ws []uint) ([]vm.Share, error) {
	e := v.e
	W := 1
	for g, w := range ws {
		if e.k == 128 && w == 1 && x[g].Len() > 0 {
			W = 2
		}
	}
	x0, x1 := e.flatShares(x)
	sum, err := v.bitsOf(ctx, x0, x1, W)
	if err != nil {
		return nil, err
	}
	rs := groupShares(sum[0][0], sum[0][1], shareLens(x))
	if W == 2 {
		hi := groupShares(sum[1][0], sum[1][1], shareLens(x))
		for g, w := range ws {
			if w == 1 {
				rs[g] = hi[g]
			}
		}
	}
	if e.k == 64 {
		for g, w := range ws {
			if w == 1 { // the sign extension: bit 63 everywhere
				s := e.BShr(rs[g], 63)
				for d := uint(1); d < 64; d *= 2 {
					s = e.BXor(s, e.BShl(s, d))
				}
				rs[g] = s
			}
		}
	}
	return rs, nil
}

// LTZ implements vm.Engine, verified: the sign bit of the sum.
func (v verifiedEngine) LTZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	e := v.e
	x0, x1 := e.flatShares(x)
	sum, err := v.bitsOf(ctx, x0, x1, e.k/64)
	if err != nil {
		return nil, err
	}
	r, err := v.bitToArith(ctx, e.BShr(sum[len(sum)-1], 63))
	if err != nil {
		return nil, err
	}
	return groupShares(r[0], r[1], shareLens(x)), nil
}

// EQZ implements vm.Engine, verified: the AND of the complemented bits.
func (v verifiedEngine) EQZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	e := v.e
	x0, x1 := e.flatShares(x)
	sum, err := v.bitsOf(ctx, x0, x1, e.k/64)
	if err != nil {
		return nil, err
	}
	z := wide{e.BNot(sum[0])}
	if len(sum) == 2 {
		r, err := v.andW(ctx, [2]wide{z, wide{e.BNot(sum[1])}})
		if err != nil {
			return nil, err
		}
		z = r[0]
	}
	for d := uint(32); d >= 1; d /= 2 {
		r, err := v.andW(ctx, [2]wide{z, wide{e.BShr(z[0], d)}})
		if err != nil {
			return nil, err
		}
		z = r[0]
	}
	r, err := v.bitToArith(ctx, z[0])
	if err != nil {
		return nil, err
	}
	return groupShares(r[0], r[1], shareLens(x)), nil
}

// B2A implements vm.Engine, verified: every bit to arithmetic, weighted.
func (v verifiedEngine) B2A(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	e := v.e
	lens := shareLens(x)
	n := 0
	for _, l := range lens {
		n += l
	}
	var flat [2]vm.Vec
	for c := range 2 {
		flat[c] = vm.NewWords(n)
		off := 0
		for _, s := range x {
			copy(flat[c].Lo[off:], s[c].Lo)
			off += s.Len()
		}
	}
	// bit i of every element at [i·n, (i+1)·n)
	bits := vm.Share{vm.NewWords(64 * n), vm.NewWords(64 * n)}
	for c := range 2 {
		for i := range 64 {
			for el, w := range flat[c].Lo {
				bits[c].Lo[i*n+el] = w >> i & 1
			}
		}
	}
	a, err := v.bitToArith(ctx, bits)
	if err != nil {
		return nil, err
	}
	r := e.newA(n)
	for i := range 64 {
		coef := vm.VecOf(e.k, int64(1)<<i) // −2^63 for i = 63
		part := vm.Share{subVec(a[0], i*n, (i+1)*n), subVec(a[1], i*n, (i+1)*n)}
		r = e.AAdd(r, e.AMulP(part, coef))
	}
	return groupShares(r[0], r[1], lens), nil
}

// Trunc implements vm.Engine (ATRUNC), verified and exact: as Shr.
func (v verifiedEngine) Trunc(ctx context.Context, x []vm.Share, m []uint) ([]vm.Share, error) {
	return v.Shr(ctx, x, m)
}

// Shr implements vm.Engine (ASHR), verified: exactly floor(x / 2^m) for
// every x. With X_j the components as unsigned k-bit integers and T their
// integer sum,
//
//	floor(x / 2^m) = Σ_j floor(X_j / 2^m) + c − 2^(k−m)·(w + s)
//
// where c ∈ {0, 1, 2} is the carry out of the sum of the components' low m
// bits, w ∈ {0, 1, 2} the carry out of T beyond k bits and s the sign bit
// of T mod 2^k. The first sum is local on trivial sharings; w and s come
// from a verified adder over the components (k + 2 bits wide), c from one
// over their low m bits (m + 2 bits), and five bits to arithmetic.
func (v verifiedEngine) Shr(ctx context.Context, x []vm.Share, ms []uint) ([]vm.Share, error) {
	e := v.e
	k := e.k
	lens := shareLens(x)
	x0, x1 := e.flatShares(x)
	n := x0.Len()
	mOf := make([]uint, 0, n)
	for g, l := range lens {
		for range l {
			mOf = append(mOf, ms[g])
		}
	}
	comp := func(c int) vm.Vec { return [2]vm.Vec{x0, x1}[c] }
	// the carry out of the components' low m bits: as many words as the
	// largest m + 2 bits need
	M := 0
	for _, m := range mOf {
		M = max(M, int(m))
	}
	Wl := (M + 2 + 63) / 64
	var in [3]wide
	for j := range 3 {
		in[j] = make(wide, Wl)
		for w := range Wl {
			in[j][w] = e.trivial(j, func(c int) vm.Vec {
				r := vm.NewWords(n)
				src := comp(c)
				for i := range n {
					var x uint64
					switch {
					case w == 0:
						x = src.Lo[i]
					case w == 1 && k == 128:
						x = src.Hi[i]
					}
					switch m := int(mOf[i]); {
					case m <= 64*w:
						x = 0
					case m < 64*(w+1):
						x &= 1<<(m-64*w) - 1
					}
					r.Lo[i] = x
				}
				return r
			}, 64, n)
		}
	}
	// side by side with the carries and sign of the components' sum (k + 2
	// bits)
	sums, err := v.add3s(ctx, [][3]wide{v.components(x0, x1, k/64+1), {in[0], in[1], in[2]}})
	if err != nil {
		return nil, err
	}
	full, low := sums[0], sums[1]
	// the bits s, w1, w2, c1, c2 of every element, each in bit 0 of a word
	bitAt := func(s wide, i, pos int) [2]uint64 {
		var b [2]uint64
		for c := range 2 {
			b[c] = s[pos/64][c].Lo[i] >> (pos % 64) & 1
		}
		return b
	}
	bits := vm.Share{vm.NewWords(5 * n), vm.NewWords(5 * n)}
	for i := range n {
		m := int(mOf[i])
		for f, b := range [5][2]uint64{bitAt(full, i, k-1), bitAt(full, i, k), bitAt(full, i, k+1),
			bitAt(low, i, m), bitAt(low, i, m+1)} {
			bits[0].Lo[f*n+i], bits[1].Lo[f*n+i] = b[0], b[1]
		}
	}
	a, err := v.bitToArith(ctx, bits)
	if err != nil {
		return nil, err
	}
	part := func(f int) vm.Share { return vm.Share{subVec(a[0], f*n, (f+1)*n), subVec(a[1], f*n, (f+1)*n)} }
	two := vm.VecOf(k, 2)
	// Σ_j floor(X_j / 2^m)
	r := e.newA(n)
	for j := range 3 {
		r = e.AAdd(r, e.trivial(j, func(c int) vm.Vec {
			q := vm.NewVec(k, n)
			for i := range n {
				setRingElem(q, i, ringElem(comp(c), i).lshr(mOf[i]))
			}
			return q
		}, k, n))
	}
	hi := e.AAdd(e.AAdd(part(0), part(1)), e.AMulP(part(2), two)) // s + w
	scale := vm.NewVec(k, n)
	for i := range n {
		setRingElem(scale, i, u128{1, 0}.shl(uint(k)-mOf[i]))
	}
	r = e.AAdd(r, e.AAdd(part(3), e.AMulP(part(4), two)))
	r = e.ASub(r, e.AMulP(hi, scale))
	// m = 0 is a copy (the formula gives it too, but the masks are moot)
	return groupShares(r[0], r[1], lens), nil
}

// IDiv implements vm.Engine (AIDIV), verified: floor(x / d) exactly for x
// in [−2^(k−2), 2^(k−2)) and public d ≠ 0. With X = x (−x for d < 0) and
// D = |d|, an estimate q~ whose error is below 3 comes from the components
// as in Shr: q~ = Σ_j floor(X'_j / D) − w·floor(2^k / D) − floor(O / D)
// for X' = X + O, O = 2^(k−2), w the carry out of the components' sum
// (q~ = 0 when D > 2^(k−4), where X / D is within ±4 anyway). Then
// R = X − D·q~ and
//
//	floor(X / D) = q~ − 4 + Σ_{t=−3..3} [R ≥ t·D]
//
// with one verified LTZ per threshold, except where t·D lies beyond the
// range of R and the answer is known.
func (v verifiedEngine) IDiv(ctx context.Context, x []vm.Share, d []vm.Vec) ([]vm.Share, error) {
	e := v.e
	k, uk := e.k, uint(e.k)
	lens := make([]int, len(x))
	parts := make([]vm.Share, len(x))
	var D []u128
	for g, s := range x {
		n := blen(s.Len(), d[g].Len())
		lens[g] = n
		part := e.newA(n)
		parts[g] = part
		for i := range n {
			dv := e.mask(ringElem(d[g], i))
			a0, a1 := ringElem(s[0], i), ringElem(s[1], i)
			if dv.bit(uk-1) == 1 {
				dv, a0, a1 = e.mask(dv.neg()), e.mask(a0.neg()), e.mask(a1.neg())
			}
			setRingElem(part[0], i, a0)
			setRingElem(part[1], i, a1)
			D = append(D, dv)
		}
	}
	x0, x1 := e.flatShares(parts)
	X := vm.Share{x0, x1}
	n := len(D)
	quarter := u128{1, 0}.shl(uk - 2) // O = 2^(k−2)
	small := u128{1, 0}.shl(uk - 4)
	// the estimate: the components of X' = X + O and the carry w
	off := vm.NewVec(k, 1)
	setRingElem(off, 0, quarter)
	Xo := e.AAddP(X, off)
	sum, err := v.bitsOf(ctx, Xo[0], Xo[1], k/64+1)
	if err != nil {
		return nil, err
	}
	wb := vm.Share{vm.NewWords(2 * n), vm.NewWords(2 * n)}
	for c := range 2 {
		for i := range n {
			w := sum[k/64][c].Lo[i]
			wb[c].Lo[i], wb[c].Lo[n+i] = w&1, w>>1&1
		}
	}
	wa, err := v.bitToArith(ctx, wb)
	if err != nil {
		return nil, err
	}
	w := e.AAdd(vm.Share{subVec(wa[0], 0, n), subVec(wa[1], 0, n)},
		e.AMulP(vm.Share{subVec(wa[0], n, 2*n), subVec(wa[1], n, 2*n)}, vm.VecOf(k, 2)))
	est := vm.NewVec(k, n)   // 1 where the estimate is used
	wrapQ := vm.NewVec(k, n) // floor(2^k / D)
	offQ := vm.NewVec(k, n)  // floor(O / D)
	dVec := vm.NewVec(k, n)  // D
	for i, dv := range D {
		setRingElem(dVec, i, dv)
		if small.ult(dv) {
			continue
		}
		setRingElem(est, i, u128{1, 0})
		setRingElem(wrapQ, i, pow2Div(uk, dv))
		q, _ := quarter.udivmod(dv)
		setRingElem(offQ, i, q)
	}
	q := e.newA(n)
	for j := range 3 {
		q = e.AAdd(q, e.trivial(j, func(c int) vm.Vec {
			r := vm.NewVec(k, n)
			for i, dv := range D {
				qi, _ := ringElem(Xo[c], i).udivmod(dv)
				setRingElem(r, i, qi)
			}
			return r
		}, k, n))
	}
	q = e.ASubP(e.ASub(q, e.AMulP(w, wrapQ)), offQ)
	q = e.AMulP(q, est)
	R := e.ASub(X, e.AMulP(q, dVec))
	// the thresholds: known, or one LTZ each
	base := vm.NewVec(k, n) // −4 + the known [R ≥ t·D]
	var cmp []vm.Share
	var owner []int32
	for i, dv := range D {
		b := int64(-4)
		for t := int64(-3); t <= 3; t++ {
			abs := uint64(max(t, -t))
			var qt, rt u128
			if abs > 0 {
				qt, rt = quarter.udivmod(u128{abs, 0}) // 2^(k−2) = qt·|t| + rt
			}
			switch {
			case t < 0 && !dv.ult(qt.add(u128{boolWord(!rt.isZero()), 0})):
				b++ // t·D ≤ −2^(k−2) ≤ R
			case t > 0 && qt.ult(dv):
				// t·D > 2^(k−2) ≥ R
			default:
				tv := vm.NewVec(k, 1)
				setRingElem(tv, 0, e.mask(dv.mul(u128{uint64(t), uint64(t >> 63)})))
				cmp = append(cmp, e.ASubP(vm.Share{subVec(R[0], i, i+1), subVec(R[1], i, i+1)}, tv))
				owner = append(owner, int32(i))
			}
		}
		setRingElem(base, i, e.mask(u128{uint64(b), uint64(b >> 63)}))
	}
	r := e.AAddP(q, base)
	if len(cmp) > 0 {
		c0, c1 := e.flatShares(cmp)
		lt, err := v.LTZ(ctx, []vm.Share{{c0, c1}})
		if err != nil {
			return nil, err
		}
		// [R ≥ t·D] = 1 − LTZ(R − t·D), summed per element
		ge := e.APSub(vm.VecOf(k, 1), lt[0])
		acc := e.newA(n)
		for c := range 2 {
			for j, i := range owner {
				setRingElem(acc[c], int(i), ringElem(acc[c], int(i)).add(ringElem(ge[c], j)))
			}
			acc[c] = e.norm(acc[c])
		}
		r = e.AAdd(r, acc)
	}
	return groupShares(r[0], r[1], lens), nil
}

func boolWord(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
