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
// W = 2^ceil(log2(ceil(m/4))) windows (the m bits cut evenly: W windows of
// 4 bits take the most monomials, so the tree depth of 4-bit windows is
// kept and the windows made as narrow as it allows, 8 windows of 3 bits
// for m = 24), so the rounds are 2 + log2(W): 4 for m = 16, 5 for m = 24,
// at most log2(k). Elements of one instruction with different m share the
// windows of the largest, their bits moved to its top. The result leaves
// nothing public and carries no rounding error. m = k-1 is computed as
// -LTZ(x), exact for every x; m = 0 is a copy.
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

// Shr implements vm.Engine (ASHR): exactly floor(x / 2^m) for x in
// [-2^(k-2), 2^(k-2)).
func (e *Engine) Shr(ctx context.Context, x []vm.Share, ms []uint) ([]vm.Share, error) {
	return e.shr(ctx, x, ms)
}

func (e *Engine) shr(ctx context.Context, x []vm.Share, ms []uint) ([]vm.Share, error) {
	// the active groups (m != 0), flattened
	var act []vm.Share
	var em []uint
	M := 0
	for g, s := range x {
		if ms[g] == 0 || s.Len() == 0 {
			continue
		}
		act = append(act, s)
		em = append(em, ms[g])
		M = max(M, int(ms[g]))
	}
	rs := make([]vm.Share, len(x))
	if M == 0 {
		for g, s := range x {
			rs[g] = vm.Share{vm.CloneVec(s[0]), vm.CloneVec(s[1])}
		}
		return rs, nil
	}
	lens := shareLens(act)
	x0, x1 := e.flatShares(act)
	r0, r1, err := e.shrFlat(ctx, x0, x1, false, shiftsOf(lens, em))
	if err != nil {
		return nil, err
	}
	res := groupShares(r0, r1, lens)
	j := 0
	for g, s := range x {
		if ms[g] == 0 || s.Len() == 0 {
			rs[g] = vm.Share{vm.CloneVec(e.norm(s[0])), vm.CloneVec(e.norm(s[1]))}
			continue
		}
		rs[g] = res[j]
		j++
	}
	return rs, nil
}

// shifts are the shifts of a truncation's elements.
type shifts struct {
	of      []uint8 // of every element of the concatenated groups
	max     int
	uniform bool // every element shifts by max
}

// shiftsOf returns the shifts of the concatenated groups (lens[g] elements
// shifted by em[g]).
func shiftsOf(lens []int, em []uint) shifts {
	sh := shifts{uniform: true}
	n, first := 0, -1
	for g, l := range lens {
		n += l
		if l == 0 {
			continue
		}
		sh.max = max(sh.max, int(em[g]))
		if first < 0 {
			first = int(em[g])
		}
		sh.uniform = sh.uniform && int(em[g]) == first
	}
	sh.of = make([]uint8, n)
	off := 0
	for g, l := range lens {
		for i := range l {
			sh.of[off+i] = uint8(em[g])
		}
		off += l
	}
	return sh
}

// shrFlat truncates the n = len(sh.of) elements of one flat operand,
// element i by sh.of[i] in [1, k), and returns this party's components of
// the results. The operand is its replicated components
// (x0, x1), or, if split, x0 = x1 holds the split itself: a where this
// party is the element's U, b elsewhere (mulTrunc).
func (e *Engine) shrFlat(ctx context.Context, x0, x1 vm.Vec, split bool, sh shifts) (vm.Vec, vm.Vec, error) {
	t := e.newTrunc(e.newCall(), x0, x1, split, sh)
	t.fill(t.segs)
	return t.run(ctx, nil)
}

// truncRun is an exact truncation (shrFlat) in the making: its compared
// bits are the low m bits of A' = a + 2^(k-2) (at U) or of B = b, moved to
// the top of L = M bits; for m = k-1 those of a and b.
type truncRun struct {
	e     *Engine
	call  uint64
	segs  [3]segment
	mOf   []uint8
	M     int
	x0    vm.Vec
	x1    vm.Vec
	split bool
	rows  []uint64
	uni   bool // every m = M
	fast  bool // and M <= 64, M != k-1
}

func (e *Engine) newTrunc(call uint64, x0, x1 vm.Vec, split bool, sh shifts) *truncRun {
	segs := segmentsOf(len(sh.of))
	return &truncRun{e: e, call: call, segs: segs, mOf: sh.of, M: sh.max, x0: x0, x1: x1, split: split,
		rows: newRows(segs, sh.max), uni: sh.uniform, fast: sh.uniform && sh.max <= 64 && sh.max != e.k-1}
}

// sv returns element i's part of the split for this party's role.
func (t *truncRun) sv(role, i int) u128 {
	if t.split {
		return ringElem(t.x0, i)
	}
	return t.e.splitVal(role, t.x0, t.x1, i)
}

// fill computes the rows of the (non-empty) segments of segs.
func (t *truncRun) fill(segs [3]segment) {
	e, L := t.e, t.M
	uk := uint(e.k)
	offset := u128{1, 0}.shl(uk - 2)
	if !t.fast {
		e.buildRows(t.rows, segs, len(t.mOf), L, L, func(role, i int) u128 {
			v := t.sv(role, i)
			m := uint(t.mOf[i])
			if m != uk-1 && role == roleU {
				v = e.mask(v.add(offset))
			}
			return v.low(m).shl(uint(L) - m)
		})
		return
	}
	var offLo uint64
	if uk == 64 {
		offLo = offset.lo
	}
	e.splitRows(t.rows, segs, t.x0, t.x1, t.split, L, L, offLo, uint(L), 0)
}

// window returns the window evaluation of the carries.
func (t *truncRun) window() *winRun {
	return t.e.newWin(t.call, t.segs, t.rows, t.M, gpFn(t.M, cmpWindows(t.M)))
}

// run computes the carries and injects (rows filled). early, if not nil,
// is the window evaluation whose U part was sent before (winRun.sendU).
func (t *truncRun) run(ctx context.Context, early *winRun) (vm.Vec, vm.Vec, error) {
	e, segs, mOf, M := t.e, t.segs, t.mOf, t.M
	uk := uint(e.k)
	// The mixed carries; for m = k-1 the sign a_t ⊕ b_t ⊕ carry.
	cw, err := e.carries(ctx, t.call, segs, t.rows, M, M, true, early)
	putBuf(t.rows)
	if err != nil {
		return vm.Vec{}, vm.Vec{}, err
	}
	if M == int(uk-1) {
		for s := range 3 {
			role := e.role(s)
			if role == roleR { // the top bits once, by U and N (xorLocal)
				continue
			}
			for i := segs[s].lo; i < segs[s].hi; i++ {
				if uint(mOf[i]) == uk-1 {
					cw[i/64] ^= t.sv(role, i).bit(uk-1) << (i % 64)
				}
			}
		}
	}
	return e.inject(ctx, t.call, segs, &injIn{n: len(mOf), z: cw, mOf: mOf, uniform: t.uni, x0: t.x0, x1: t.x1, split: t.split})
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
	segs := segmentsOf(n)
	call := e.newCall()
	split := func(i int) u128 { // a at U, b at N and R
		switch e.role(segOf(segs, i)) {
		case roleU:
			return e.mask(x0[i].add(x1[i]))
		case roleN:
			return x1[i]
		}
		return x0[i]
	}
	one := u128{1, 0}
	// Round 1: the estimate q~ (zero for large divisors).
	qK := make([]u128, n)
	for i := range qK {
		if idivClass(k, dd[i]) == 2 {
			qK[i] = e.mask(pow2Div(uk, dd[i]))
		}
	}
	offs := func(i int) u128 {
		o := one.shl(uk - 2)
		if neg[i] {
			o = o.sub(one)
		}
		return o
	}
	small := func(i int) bool { return idivClass(k, dd[i]) == 2 }
	job := &termJob{n: n, J: 1, hasU0: true,
		width: func(i, _ int) uint { return e.ringWidth(qK[i]) },
		u: func(i, _ int) u128 {
			if !small(i) {
				return u128{}
			}
			return u128{e.mask(split(i).add(offs(i))).bit(uk - 1), 0}
		},
		u0: func(i int) u128 {
			if !small(i) {
				return u128{}
			}
			o := offs(i)
			qa, _ := e.mask(split(i).add(o)).udivmod(dd[i])
			qo, _ := o.udivmod(dd[i])
			return e.mask(qa.sub(qo))
		},
		v: func(i, _ int) u128 {
			if !small(i) {
				return u128{}
			}
			bt := u128{split(i).bit(uk - 1), 0}
			return e.mask(qK[i].mul(one.sub(bt)).neg())
		},
		c: func(i int) u128 {
			if !small(i) {
				return u128{}
			}
			b := split(i)
			qb, _ := b.udivmod(dd[i])
			return e.mask(qb.sub(qK[i].mul(u128{b.bit(uk - 1), 0})))
		},
	}
	q0, q1, err := e.injectTerms(ctx, call, segs, job)
	if err != nil {
		return nil, err
	}
	// R = x - D·q~ and the three comparisons R - D, R, R + D, element-major
	// (3i + j), in the segments of the elements (so that every comparison
	// has its element's U).
	xc := e.x0Comp()
	c0, c1 := vm.NewVec(k, 3*n), vm.NewVec(k, 3*n)
	for i := 0; i < n; i++ {
		r0 := e.mask(x0[i].sub(dd[i].mul(ringElem(q0, i))))
		r1 := e.mask(x1[i].sub(dd[i].mul(ringElem(q1, i))))
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
			setRingElem(c0, 3*i+j, a)
			setRingElem(c1, 3*i+j, b)
		}
	}
	var segs3 [3]segment
	for s, sg := range segs {
		segs3[s] = segment{lo: 3 * sg.lo, hi: 3 * sg.hi, b0: 3 * sg.lo / 64, b1: (3*sg.hi + 63) / 64}
	}
	sign, err := e.signBits(ctx, call, segs3, c0, c1, false)
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
	bit := func(i, j int) uint64 { return bitAtW(sign, 3*i+j) }
	corr0, corr1, err := e.injectTerms(ctx, e.newCall(), segs, e.bitsTerms(n, 3, bit, coef, konst))
	if err != nil {
		return nil, err
	}
	vm.AddVec(k, corr0, corr0, q0)
	vm.AddVec(k, corr1, corr1, q1)
	return groupShares(corr0, corr1, lens), nil
}
