package runtime

// Exact truncation and division by public values.
//
// Shr (ASHR) and Trunc (ATRUNC): floor(x / 2^m) exactly, for x in
// [-2^(k-2), 2^(k-2)). With x = a + b (a known to U, b to N and R) and the
// offset X' = x + 2^(k-2) in [0, 2^(k-1)), let A' = a + 2^(k-2) and B = b as
// unsigned k-bit integers; then X' = A' + B - 2^k·ov and
//
//	floor(x / 2^m) = floor(A'/2^m) + floor(B/2^m) + c_m - 2^(k-m)·ov - 2^(k-2-m)
//
// where c_m = [A' mod 2^m + B mod 2^m >= 2^m] is the carry into bit m and
// ov the wrap of A' + B. Because X' < 2^(k-1), the wrap is the OR of the
// top bits, ov = a_t ∨ b_t = b_t + a_t·(1 - b_t): a product of a bit U
// knows and one N and R know, which the injection computes directly. The
// carry c_m is a comparison on m bits: a window round and a tree over
// ceil(m/4) windows (padded to a power of two with propagating windows), so
// the rounds are 2 + ceil(log2(ceil(m/4))): 4 for m = 16, 5 for m = 24, at
// most log2(k). The result leaves nothing public and carries no rounding
// error. m = k-1 is computed as -LTZ(x), exact for every x; m = 0 is a copy.
//
// IDiv (AIDIV): floor(x / d) exactly for x in [-2^(k-2), 2^(k-2)) and any
// public d != 0. For d < 0, floor(x/d) = floor(-x/|d|). With D = |d| and an
// offset O (2^(k-2), or 2^(k-2) - 1 after negation) the same splitting gives
// an estimate q~ = floor(A'/D) + floor(B/D) - ov·floor(2^k/D) - floor(O/D)
// in one round (ov as above), whose remainder R = x - D·q~ lies in (-2D, 2D);
// three LTZ in parallel fix it: q = q~ + [R >= D] - [R < 0] - [R < -D].
// Large divisors (D > 2^(k-3)) skip the estimate (q~ = 0), and D > 2^(k-2)
// gives q = -[x < 0]. Rounds: 1 + log2(k).

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

// Trunc implements vm.Engine (ATRUNC) exactly, with the protocol of Shr, so
// that revealed results carry no rounding leak (eprint 2024/1127).
func (e *Engine) Trunc(ctx context.Context, x []vm.Share, m []uint) ([]vm.Share, error) {
	return e.Shr(ctx, x, m)
}

// lanesBits returns the lane length (a power of two, multiple of 4) of a
// comparison on m bits.
func lanesBits(m int) int {
	nW := (m + 3) / 4
	p := 1
	for p < nW {
		p *= 2
	}
	return 4 * p
}

// Shr implements vm.Engine (ASHR): exactly floor(x / 2^m) for x in
// [-2^(k-2), 2^(k-2)).
func (e *Engine) Shr(ctx context.Context, x []vm.Share, ms []uint) ([]vm.Share, error) {
	k := e.k
	u := mixedU
	role := e.role(u)
	// The active elements, flattened: their group's m.
	L, total := 0, 0
	for g, s := range x {
		if ms[g] != 0 {
			total += s.Len()
		}
	}
	x0, x1 := make([]u128, 0, total), make([]u128, 0, total)
	em := make([]uint, 0, total)
	for g, s := range x {
		m := int(ms[g])
		if m == 0 {
			continue
		}
		lb := k
		if m < k-1 {
			lb = lanesBits(m)
		}
		L = max(L, lb)
		for i := range s[0].Lo {
			x0 = append(x0, ringElem(s[0], i))
			x1 = append(x1, ringElem(s[1], i))
			em = append(em, uint(m))
		}
	}
	rs := make([]vm.Share, len(x))
	if L == 0 {
		for g, s := range x {
			rs[g] = vm.Share{vm.CloneVec(s[0]), vm.CloneVec(s[1])}
		}
		return rs, nil
	}
	n := len(x0)
	lt := lanesFor(L, true)
	uk := uint(k)
	off := u128{1, 0}.shl(uk - 2)
	lanes := make([]u128, n)
	val := make([]u128, n) // A' (at U) or B (elsewhere)
	top := make([]uint64, n)
	for i := 0; i < n; i++ {
		v := e.mixedSplitA(u, x0[i], x1[i])
		m := em[i]
		if m == uk-1 {
			top[i] = v.bit(uk - 1)
			lanes[i] = e.mask(v.shl(1))
			continue
		}
		if role == roleU {
			v = e.mask(v.add(off))
		}
		val[i] = v
		s := (4 - m%4) % 4
		w := v.low(m).shl(s)
		if role == roleU && m+s < uint(L) {
			// propagating windows above the m bits
			ones := u128{^uint64(0), ^uint64(0)}.low(uint(L)).lshr(m + s).shl(m + s)
			w = u128{w.lo | ones.lo, w.hi | ones.hi}
		}
		lanes[i] = w
	}
	gp, err := e.windowRound(ctx, u, lt, lanes, fnGP)
	if err != nil {
		return nil, err
	}
	c, err := e.carryTree(ctx, gp)
	if err != nil {
		return nil, err
	}
	// Injection: term 0 the carry (or sign) bit, term 1 the wrap product,
	// U0 U's quotient part.
	job := &injJob{n: n, J: 2, hasU0: true}
	job.width = func(i, j int) uint {
		if j == 0 {
			return uk
		}
		if em[i] == uk-1 {
			return 1
		}
		return em[i]
	}
	one := u128{1, 0}
	if role == roleU {
		job.u = make([]u128, 2*n)
		job.u0 = make([]u128, n)
		for i := 0; i < n; i++ {
			b := top[i] ^ e.mixedBitAt(u, c, i)
			job.u[2*i] = u128{b, 0}
			if m := em[i]; m != uk-1 {
				job.u[2*i+1] = u128{val[i].bit(uk - 1), 0}
				job.u0[i] = e.mask(val[i].lshr(m).sub(one.shl(uk - 2 - m)))
			}
		}
	} else {
		job.v = make([]u128, 2*n)
		job.c = make([]u128, n)
		for i := 0; i < n; i++ {
			d := u128{top[i] ^ e.mixedBitAt(u, c, i), 0}
			pm := one.sub(d.add(d)) // 1 - 2d
			m := em[i]
			if m == uk-1 {
				job.v[2*i] = e.mask(pm.neg())
				job.c[i] = e.mask(d.neg())
				continue
			}
			bt := u128{val[i].bit(uk - 1), 0}
			w := one.shl(uk - m) // 2^(k-m), 0 mod 2^k never happens (m >= 1)
			job.v[2*i] = e.mask(pm)
			job.v[2*i+1] = e.mask(w.mul(one.sub(bt)).neg())
			job.c[i] = e.mask(val[i].lshr(m).add(d).sub(w.mul(bt)))
		}
	}
	sh, err := e.inject(ctx, u, job)
	if err != nil {
		return nil, err
	}
	// Scatter back: groups with m = 0 are copies.
	j := 0
	for g, s := range x {
		if ms[g] == 0 {
			rs[g] = vm.Share{vm.CloneVec(s[0]), vm.CloneVec(s[1])}
			continue
		}
		r := e.newA(s.Len())
		for i := 0; i < s.Len(); i++ {
			setRingElem(r[0], i, sh[0][j])
			setRingElem(r[1], i, sh[1][j])
			j++
		}
		rs[g] = r
	}
	return rs, nil
}

// pow2Div returns floor(2^p / d) for p <= 128 and d > 0.
func pow2Div(p uint, d u128) u128 {
	if p < 128 {
		q, _ := u128{1, 0}.shl(p).udivmod(d)
		return q
	}
	all := u128{^uint64(0), ^uint64(0)} // 2^128 - 1
	q, r := all.udivmod(d)
	if r.add(u128{1, 0}) == d {
		q = q.add(u128{1, 0})
	}
	return q
}

// idivClass sorts divisors D = |d|: 0 large (D > 2^(k-2): the quotient is
// -[x < 0]), 1 medium (2^(k-3) < D <= 2^(k-2): no estimate, the quotient is
// in [-2, 1]), 2 small (estimate and correct). (x after negation lies in
// [-2^(k-2), 2^(k-2)].)
func idivClass(k int, D u128) int {
	switch {
	case u128{1, 0}.shl(uint(k - 2)).ult(D):
		return 0
	case u128{1, 0}.shl(uint(k - 3)).ult(D):
		return 1
	}
	return 2
}

// IDiv implements vm.Engine (AIDIV): exactly floor(x / d) for x in
// [-2^(k-2), 2^(k-2)) and public d != 0.
func (e *Engine) IDiv(ctx context.Context, x []vm.Share, d []vm.Vec) ([]vm.Share, error) {
	k, uk := e.k, uint(e.k)
	u := mixedU
	role := e.role(u)
	lens := make([]int, len(x))
	var x0, x1, dd []u128
	var neg []bool
	for g, s := range x {
		n := blen(s.Len(), d[g].Len())
		lens[g] = n
		for i := 0; i < n; i++ {
			dv := e.mask(ringElem(d[g], i))
			ng := dv.bit(uk-1) == 1
			a0, a1 := ringElem(s[0], i), ringElem(s[1], i)
			if ng {
				dv, a0, a1 = e.mask(dv.neg()), e.mask(a0.neg()), e.mask(a1.neg())
			}
			x0, x1 = append(x0, a0), append(x1, a1)
			dd = append(dd, dv)
			neg = append(neg, ng)
		}
	}
	n := len(x0)
	one := u128{1, 0}
	// Round 1: the estimate q~ (zero for large divisors).
	job := &injJob{n: n, J: 1, hasU0: true}
	qK := make([]u128, n)
	for i := range qK {
		if idivClass(k, dd[i]) == 2 {
			qK[i] = e.mask(pow2Div(uk, dd[i]))
		}
	}
	job.width = func(i, _ int) uint { return e.ringWidth(qK[i]) }
	offs := func(i int) u128 {
		o := one.shl(uk - 2)
		if neg[i] {
			o = o.sub(one)
		}
		return o
	}
	if role == roleU {
		job.u, job.u0 = make([]u128, n), make([]u128, n)
		for i := 0; i < n; i++ {
			if idivClass(k, dd[i]) != 2 {
				continue
			}
			o := offs(i)
			a := e.mask(e.mixedSplitA(u, x0[i], x1[i]).add(o))
			qa, _ := a.udivmod(dd[i])
			qo, _ := o.udivmod(dd[i])
			job.u[i] = u128{a.bit(uk - 1), 0}
			job.u0[i] = e.mask(qa.sub(qo))
		}
	} else {
		job.v, job.c = make([]u128, n), make([]u128, n)
		for i := 0; i < n; i++ {
			if idivClass(k, dd[i]) != 2 {
				continue
			}
			b := e.mixedSplitA(u, x0[i], x1[i])
			bt := u128{b.bit(uk - 1), 0}
			qb, _ := b.udivmod(dd[i])
			job.v[i] = e.mask(qK[i].mul(one.sub(bt)).neg())
			job.c[i] = e.mask(qb.sub(qK[i].mul(bt)))
		}
	}
	q, err := e.inject(ctx, u, job)
	if err != nil {
		return nil, err
	}
	// R = x - D·q~ and the three comparisons R - D, R, R + D.
	xc := e.x0Comp()
	c0, c1 := make([]u128, 3*n), make([]u128, 3*n)
	for i := 0; i < n; i++ {
		r0 := e.mask(x0[i].sub(dd[i].mul(q[0][i])))
		r1 := e.mask(x1[i].sub(dd[i].mul(q[1][i])))
		for j, sgn := range [3]int{-1, 0, 1} {
			a, b := r0, r1
			switch {
			case sgn < 0 && xc == 0:
				a = e.mask(a.sub(dd[i]))
			case sgn < 0 && xc == 1:
				b = e.mask(b.sub(dd[i]))
			case sgn > 0 && xc == 0:
				a = e.mask(a.add(dd[i]))
			case sgn > 0 && xc == 1:
				b = e.mask(b.add(dd[i]))
			}
			c0[3*i+j], c1[3*i+j] = a, b
		}
	}
	b, err := e.msbMixed(ctx, u, c0, c1)
	if err != nil {
		return nil, err
	}
	minus := u128{}.sub(one)
	quarter := one.shl(uk - 2)
	coef := func(i, j int) u128 {
		switch {
		case idivClass(k, dd[i]) == 0 && j != 1:
			return u128{}
		case j == 2 && dd[i] == quarter:
			return u128{} // R >= -D always; R + D could wrap
		}
		return minus
	}
	konst := func(i int) u128 {
		if idivClass(k, dd[i]) == 0 {
			return u128{}
		}
		return one
	}
	corr, err := e.inject(ctx, u, e.bitsJob(u, n, 3, b, coef, konst))
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		corr[0][i] = e.mask(corr[0][i].add(q[0][i]))
		corr[1][i] = e.mask(corr[1][i].add(q[1][i]))
	}
	return e.toShares(corr, lens), nil
}
