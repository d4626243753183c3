package runtime

// Comparisons: LTZ (sign bit) and EQZ (equality with zero).
//
// LTZ. With x = a + b (a known to U, b to N and R; see proto_mixed.go), the
// sign bit of x mod 2^k is a_{k-1} ⊕ b_{k-1} ⊕ carry, where carry is the
// carry into bit k-1, i.e. the carry out of the k-bit addition
// (a << 1) + (b << 1). One window round gives the generate and propagate
// bits of the k/4 windows of 4 bits, a tree of log2(k/4) AND levels
// combines them, and the sign bit, known in mixed form c ⊕ d (c at U, d at
// N and R), is converted to an arithmetic share in one more round
// (inject): rounds 1 + log2(k/4) + 1 = log2(k), i.e. 6 for k = 64 and 7
// for k = 128.
//
// EQZ. x = 0 exactly when a = -b mod 2^k: the window round computes for
// every window whether a's and (-b)'s bits agree (∏ (a_i ⊕ ¬(-b)_i)), an
// AND tree combines the windows, and the bit is injected: the same rounds
// as LTZ.

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

// mixedU is the party that plays U in this engine's mixed rounds.
const mixedU = 0

// flatA returns the components of every element of the arithmetic shares
// xs, concatenated in group order.
func flatA(xs []vm.Share) (x0, x1 []u128) {
	n := 0
	for _, s := range xs {
		n += s.Len()
	}
	x0, x1 = make([]u128, 0, n), make([]u128, 0, n)
	for _, s := range xs {
		for i := range s[0].Lo {
			x0 = append(x0, ringElem(s[0], i))
			x1 = append(x1, ringElem(s[1], i))
		}
	}
	return x0, x1
}

// toShares turns flat component values back into per-group shares of the
// given lengths.
func (e *Engine) toShares(sh [2][]u128, lens []int) []vm.Share {
	rs := make([]vm.Share, len(lens))
	off := 0
	for g, n := range lens {
		r := e.newA(n)
		for i := 0; i < n; i++ {
			setRingElem(r[0], i, sh[0][off+i])
			setRingElem(r[1], i, sh[1][off+i])
		}
		off += n
		rs[g] = r
	}
	return rs
}

func shareLens(xs []vm.Share) []int {
	l := make([]int, len(xs))
	for g, s := range xs {
		l[g] = s.Len()
	}
	return l
}

// mask returns x mod 2^k.
func (e *Engine) mask(x u128) u128 {
	if e.k == 64 {
		x.hi = 0
	}
	return x
}

// msbMixed returns, for every element (x0[i], x1[i]) of arithmetic shares,
// the sign bit in mixed form: c at U, d at N and R, sign = c ⊕ d.
func (e *Engine) msbMixed(ctx context.Context, u int, x0, x1 []u128) ([]uint64, error) {
	n, k := len(x0), e.k
	vals := make([]u128, n)
	top := make([]uint64, n)
	for i := 0; i < n; i++ {
		v := e.mixedSplitA(u, x0[i], x1[i])
		top[i] = v.bit(uint(k - 1))
		vals[i] = e.mask(v.shl(1))
	}
	gp, err := e.windowRound(ctx, u, lanesFor(k, true), vals, fnGP)
	if err != nil {
		return nil, err
	}
	c, err := e.carryTree(ctx, gp)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		top[i] ^= e.mixedBitAt(u, c, i)
	}
	return top, nil
}

// eqzMixed returns, for every element, [x == 0] in mixed form.
func (e *Engine) eqzMixed(ctx context.Context, u int, x0, x1 []u128) ([]uint64, error) {
	n, k := len(x0), e.k
	vals := make([]u128, n)
	isU := e.role(u) == roleU
	for i := 0; i < n; i++ {
		v := e.mixedSplitA(u, x0[i], x1[i])
		if !isU {
			nb := v.neg()
			v = u128{^nb.lo, ^nb.hi}
		}
		vals[i] = e.mask(v)
	}
	eq, err := e.windowRound(ctx, u, lanesFor(k, true), vals, fnEq)
	if err != nil {
		return nil, err
	}
	z, err := e.andTree(ctx, eq)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	for i := 0; i < n; i++ {
		out[i] = e.mixedBitAt(u, z, i)
	}
	return out, nil
}

// mixedBitAt returns element i of a replicated bit vector (dense bits) in
// mixed form: c = x_U ⊕ x_N at U, d = x_R at N and R.
func (e *Engine) mixedBitAt(u int, b [2][]uint64, i int) uint64 {
	switch e.role(u) {
	case roleU:
		return bitAt(b[0], i) ^ bitAt(b[1], i)
	case roleN:
		return bitAt(b[1], i)
	}
	return bitAt(b[0], i)
}

// ringWidth is the number of low bits of u that matter in u·coef mod 2^k.
func (e *Engine) ringWidth(coef u128) uint {
	coef = e.mask(coef)
	if coef.isZero() {
		return 1
	}
	tz := uint(0)
	for coef.bit(tz) == 0 {
		tz++
	}
	return uint(e.k) - tz
}

// bitsJob builds the injection of Σ_j coef(i,j)·b_ij + konst(i) for mixed
// bits b_ij = c ⊕ d given by mixed (n*J values: c at U, d elsewhere), using
// c ⊕ d = d + c·(1 − 2d).
func (e *Engine) bitsJob(u, n, J int, mixed []uint64, coef func(i, j int) u128, konst func(i int) u128) *injJob {
	job := &injJob{n: n, J: J}
	job.width = func(i, j int) uint { return e.ringWidth(coef(i, j)) }
	if e.role(u) == roleU {
		job.u = make([]u128, n*J)
		for i := range job.u {
			job.u[i] = u128{mixed[i], 0}
		}
		return job
	}
	job.v = make([]u128, n*J)
	job.c = make([]u128, n)
	one := u128{1, 0}
	for i := 0; i < n; i++ {
		var s u128
		if konst != nil {
			s = konst(i)
		}
		for j := 0; j < J; j++ {
			d := u128{mixed[i*J+j], 0}
			cf := coef(i, j)
			job.v[i*J+j] = e.mask(cf.mul(one.sub(d.add(d))))
			s = s.add(cf.mul(d))
		}
		job.c[i] = e.mask(s)
	}
	return job
}

var oneCoef = func(int, int) u128 { return u128{1, 0} }

// LTZ implements vm.Engine (ALTZ): 1 where x < 0 (signed), else 0.
func (e *Engine) LTZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	x0, x1 := flatA(x)
	b, err := e.msbMixed(ctx, mixedU, x0, x1)
	if err != nil {
		return nil, err
	}
	sh, err := e.inject(ctx, mixedU, e.bitsJob(mixedU, len(b), 1, b, oneCoef, nil))
	if err != nil {
		return nil, err
	}
	return e.toShares(sh, shareLens(x)), nil
}

// EQZ implements vm.Engine (AEQZ): 1 where x == 0, else 0.
func (e *Engine) EQZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	x0, x1 := flatA(x)
	b, err := e.eqzMixed(ctx, mixedU, x0, x1)
	if err != nil {
		return nil, err
	}
	sh, err := e.inject(ctx, mixedU, e.bitsJob(mixedU, len(b), 1, b, oneCoef, nil))
	if err != nil {
		return nil, err
	}
	return e.toShares(sh, shareLens(x)), nil
}
