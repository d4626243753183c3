package runtime

// Comparisons: LTZ (sign bit) and EQZ (equality with zero), on the
// bit-sliced core (proto_core.go) with the U role rotated over three
// segments (proto_slice.go).
//
// LTZ. With x = a + b (a known to U, b to N and R; see proto_mixed.go), the
// sign bit of x mod 2^k is a_{k-1} ⊕ b_{k-1} ⊕ carry, where carry is the
// carry into bit k-1 of a + b, i.e. the carry out of the (k-1)-bit addition
// of their low bits. One window round gives the generate and propagate bits
// of k/4 windows (of 4 bits, one of 3), a tree of log2(k/4) AND levels
// combines them, and the sign bit, known in mixed form c ⊕ d (c at U, d at
// N and R), is converted to an arithmetic share in one more round
// (proto_inject.go): rounds 1 + log2(k/4) + 1 = log2(k), i.e. 6 for k = 64
// and 7 for k = 128.
//
// EQZ. x = 0 exactly when a = -b mod 2^k: the window round computes for
// every window whether a's and (-b)'s bits agree (∏ (a_i ⊕ ¬(-b)_i)), an
// AND tree combines the windows, and the bit is injected: the same rounds
// as LTZ.

import (
	"context"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// splitVal returns element i's part of the mixed split for this party's
// role: a = x_U + x_N at U, b = x_R at N and R.
func (e *Engine) splitVal(role int, x0, x1 vm.Vec, i int) u128 {
	switch role {
	case roleU:
		return e.mask(ringElem(x0, i).add(ringElem(x1, i)))
	case roleN:
		return ringElem(x1, i)
	}
	return ringElem(x0, i)
}

// newRows returns a buffer for the rows of segs, stride words per block.
func newRows(segs [3]segment, stride int) []uint64 { return getBuf(segs[2].b1 * stride) }

// only returns segs with every segment but s emptied, for the row builders
// to fill segment s alone.
func only(segs [3]segment, s int) [3]segment {
	var o [3]segment
	for i := range 3 {
		o[i] = segs[i]
		if i != s {
			o[i].b1, o[i].hi = o[i].b0, o[i].lo
		}
	}
	return o
}

// buildRows transposes, block by block, the values val(role, i) of this
// party (role: its role in the element's segment) into rows (newRows):
// stride words per block, rows [0, L) the low L bits (L <= 128).
func (e *Engine) buildRows(rows []uint64, segs [3]segment, n, stride, L int, val func(role, i int) u128) []uint64 {
	var lo, hi [64]uint64
	for s := range 3 {
		role := e.role(s)
		for b := segs[s].b0; b < segs[s].b1; b++ {
			base := 64 * b
			cnt := min(64, n-base)
			for i := range cnt {
				v := val(role, base+i)
				lo[i], hi[i] = v.lo, v.hi
			}
			putRows(rows[b*stride:], &lo, &hi, L, cnt)
		}
	}
	return rows
}

// putRows transposes the cnt values of a block (low words in lo, high words
// in hi) into the rows r[0:L): the low L bits, bit j of the values in row j.
// It clobbers lo and hi.
func putRows(r []uint64, lo, hi *[64]uint64, L, cnt int) {
	clear(lo[cnt:])
	transposeLow(lo, min(L, 64))
	copy(r[:min(L, 64)], lo[:min(L, 64)])
	if L > 64 {
		clear(hi[cnt:])
		transposeLow(hi, L-64)
		copy(r[64:L], hi[:L-64])
	}
}

// splitRows is buildRows for the split values themselves (a = x0 + x1 at
// U, b at N and R; if split, the operand is given split and x0 = x1 holds
// a or b) on all k bits, or with an offset added at U and only the low L
// <= 64 bits, shifted up by sh (truncation by one m: L - m = sh).
func (e *Engine) splitRows(rows []uint64, segs [3]segment, x0, x1 vm.Vec, split bool, stride, L int, offLo uint64, m, sh uint) []uint64 {
	n := x0.Len()
	var lo, hi [64]uint64
	mask := ^uint64(0)
	if m < 64 {
		mask = 1<<m - 1
	}
	for s := range 3 {
		role := e.role(s)
		for b := segs[s].b0; b < segs[s].b1; b++ {
			base := 64 * b
			cnt := min(64, n-base)
			xl0, xl1 := x0.Lo[base:base+cnt], x1.Lo[base:base+cnt]
			xh1 := x1.Hi
			if xh1 != nil {
				xh1 = xh1[base : base+cnt]
			}
			if split && role == roleU { // a itself
				xl1, xh1 = zeroWords[:cnt], zeroWords[:cnt]
			}
			switch {
			case L <= 64 && role == roleU:
				for i := range cnt {
					lo[i] = (xl0[i] + xl1[i] + offLo) & mask << sh
				}
			case L <= 64 && role == roleN:
				for i := range cnt {
					lo[i] = xl1[i] & mask << sh
				}
			case L <= 64:
				for i := range cnt {
					lo[i] = xl0[i] & mask << sh
				}
			case role == roleU && x0.Hi != nil:
				xh0 := x0.Hi[base : base+cnt]
				for i := range cnt {
					var c uint64
					lo[i], c = bits.Add64(xl0[i], xl1[i], 0)
					hi[i] = xh0[i] + xh1[i] + c
				}
			case role == roleU:
				for i := range cnt {
					lo[i] = xl0[i] + xl1[i]
				}
			default:
				src := x0
				if role == roleN {
					src = x1
				}
				copy(lo[:cnt], src.Lo[base:base+cnt])
				if src.Hi != nil {
					copy(hi[:cnt], src.Hi[base:base+cnt])
				}
			}
			putRows(rows[b*stride:], &lo, &hi, L, cnt)
		}
	}
	return rows
}

// zOf returns a replicated bit vector z (one word per block) as an
// injection's input (injIn.z) whose N and R components may be exchanged:
// z_U ⊕ z_N (= c) at U, z_R (= d) at N, 0 at R. It owns z.
func (e *Engine) zOf(segs [3]segment, z [2][]uint64) []uint64 {
	w := e.mixedWords(segs, z)
	for s := range 3 {
		if e.role(s) == roleR {
			clear(w[segs[s].b0:segs[s].b1])
		}
	}
	return w
}

// mixedWords returns a replicated bit vector z (one word per block) in
// mixed form, each block for this party's role in its segment: c = z_U ⊕ z_N
// at U, d = z_R at N and R. It owns z (returns its buffers to the pool).
func (e *Engine) mixedWords(segs [3]segment, z [2][]uint64) []uint64 {
	w := make([]uint64, segs[2].b1)
	for s := range 3 {
		b0, b1 := segs[s].b0, segs[s].b1
		switch e.role(s) {
		case roleU:
			vm.Xor64(w[b0:b1], z[0][b0:b1], z[1][b0:b1])
		case roleN:
			copy(w[b0:b1], z[1][b0:b1])
		default:
			copy(w[b0:b1], z[0][b0:b1])
		}
	}
	putBuf(z[0])
	putBuf(z[1])
	return w
}

// LTZ implements vm.Engine (ALTZ): 1 where x < 0 (signed), else 0.
func (e *Engine) LTZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	return e.ltz(ctx, x)
}

func (e *Engine) ltz(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	lens := shareLens(x)
	x0, x1 := e.flatShares(x)
	segs := segmentsOf(x0.Len())
	call := e.newCall()
	sign, err := e.signBits(ctx, call, segs, x0, x1, true)
	if err != nil {
		return nil, err
	}
	r0, r1, err := e.inject(ctx, call, segs, &injIn{n: x0.Len(), z: sign})
	if err != nil {
		return nil, err
	}
	return groupShares(r0, r1, lens), nil
}

// signBits computes the sign bits of x0 + x1 + x2 in mixed form (one word
// per block: c at U, d at N and R, for each segment's U): the window round
// on the low k-1 bits and the carry tree, log2(k) - 1 rounds; with z, as
// an injection's input (carries).
func (e *Engine) signBits(ctx context.Context, call uint64, segs [3]segment, x0, x1 vm.Vec, z bool) ([]uint64, error) {
	k := e.k
	rows := e.splitRows(newRows(segs, k), segs, x0, x1, false, k, k, 0, 64, 0)
	defer putBuf(rows)
	sign, err := e.carries(ctx, call, segs, rows, k, k-1, z, nil)
	if err != nil {
		return nil, err
	}
	top := func(b int) uint64 { return rows[b*k+k-1] }
	if z {
		e.xorLocal(segs, sign, top)
		return sign, nil
	}
	for b := range sign {
		sign[b] ^= top(b)
	}
	return sign, nil
}

// carries returns the carries out of the low m bits of a + b, rows holding
// the bits of a at U and of b at N and R (L words per block): the window
// round and the carry tree, 1 + log2(cmpWindows(m)) rounds, in mixed form
// (one word per block, mixedWords); or, with z, for an injection
// (injIn.z): the tree's last round left to it (the window round's result
// as zOf when there is no tree). early, if not nil, is the window
// evaluation whose U part was sent in an earlier round.
func (e *Engine) carries(ctx context.Context, call uint64, segs [3]segment, rows []uint64, L, m int, z bool, early *winRun) ([]uint64, error) {
	W := cmpWindows(m)
	var gp [2][]uint64
	var err error
	if early != nil {
		gp, err = early.finishEarly(ctx)
	} else {
		gp, err = e.winRound(ctx, call, segs, rows, L, gpFn(m, W))
	}
	if err != nil {
		return nil, err
	}
	if z && W == 1 {
		return e.zOf(segs, gp), nil
	}
	c, err := e.carryTree2(ctx, call, segs[2].hi, W, gp, z)
	if err != nil {
		return nil, err
	}
	if z {
		return c[0], nil
	}
	return e.mixedWords(segs, c), nil
}

// xorLocal adds to z, an injection's input, the local terms of the mixed
// form: term(b) of block b where this party is U (of c) or N (of d; R does
// not add it, so that z_N ⊕ z_R carries it once).
func (e *Engine) xorLocal(segs [3]segment, z []uint64, term func(b int) uint64) {
	for s := range 3 {
		if e.role(s) == roleR {
			continue
		}
		for b := segs[s].b0; b < segs[s].b1; b++ {
			z[b] ^= term(b)
		}
	}
}

// EQZ implements vm.Engine (AEQZ): 1 where x == 0, else 0.
func (e *Engine) EQZ(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	return e.eqz(ctx, x)
}

func (e *Engine) eqz(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	lens := shareLens(x)
	x0, x1 := e.flatShares(x)
	k, n := e.k, x0.Len()
	segs := segmentsOf(n)
	call := e.newCall()
	// x = 0 iff a = -b: every bit of a differs from the complement of -b.
	rows := e.buildRows(newRows(segs, k), segs, n, k, k, func(role, i int) u128 {
		v := e.splitVal(role, x0, x1, i)
		if role != roleU {
			v = v.neg()
			v = e.mask(u128{^v.lo, ^v.hi})
		}
		return v
	})
	W := cmpWindows(k)
	eq, err := e.winRound(ctx, call, segs, rows, k, eqFn(k, W))
	putBuf(rows)
	if err != nil {
		return nil, err
	}
	var z []uint64
	if W == 1 {
		z = e.zOf(segs, eq)
	} else {
		zz, err := e.andTree2(ctx, call, n, W, eq, true)
		if err != nil {
			return nil, err
		}
		z = zz[0]
	}
	r0, r1, err := e.inject(ctx, call, segs, &injIn{n: n, z: z})
	if err != nil {
		return nil, err
	}
	return groupShares(r0, r1, lens), nil
}

// segOf returns the segment of element i.
func segOf(segs [3]segment, i int) int {
	switch {
	case i < segs[0].hi:
		return 0
	case i < segs[1].hi:
		return 1
	}
	return 2
}

// shareLens returns the lengths of the groups.
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

// ringWidth is the number of low bits of u that matter in u·coef mod 2^k.
func (e *Engine) ringWidth(coef u128) uint {
	coef = e.mask(coef)
	if coef.isZero() {
		return 1
	}
	tz := bits.TrailingZeros64(coef.lo)
	if coef.lo == 0 {
		tz = 64 + bits.TrailingZeros64(coef.hi)
	}
	return uint(e.k - tz)
}
