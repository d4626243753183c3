package runtime

// Conversions between arithmetic and boolean shares.
//
// A2B: with x = a + b (a known to U, b to N and R), the bits of a + b come
// from a parallel-prefix adder whose first layer is one window round: for
// every window of 4 bits it yields the in-window prefixes G_{0..t} and
// P_{0..t} and the propagate bits p_t = a_t ⊕ b_t, already as replicated
// boolean shares and without AND gates. A Sklansky adder then doubles the
// prefix span per round (8, 16, 32, 64 and for word 1 of a 128-bit ring
// 128): 1 + log2(L/4) rounds for L result bits, 5 for the low word and 6
// for the high word of a 128-bit value. The sum is p ⊕ (carries << 1),
// local. Word 1 of a 64-bit ring (the sign extension) spreads bit 63.
//
// B2A (a 64-bit word read as signed): the word is c ⊕ d (c known to U, d to
// N and R), so its value is Σ_j coef_j·(d_j + c_j·(1 − 2d_j)) with coef_j =
// 2^j and coef_63 = −2^63; the 64 products are injected in one round (U
// masks bit j modulo 2^(k−j) only, since it is multiplied by 2^j). One round
// instead of an adder's log-depth, at some bytes: B2A serves sbits
// comparisons and conversions on short vectors.

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

// A2B implements vm.Engine: word w of every element as boolean shares.
func (e *Engine) A2B(ctx context.Context, x []vm.Share, ws []uint) ([]vm.Share, error) {
	k := e.k
	L := 64
	for g, w := range ws {
		if k == 128 && w == 1 && x[g].Len() > 0 {
			L = 128
		}
	}
	lens := shareLens(x)
	x0, x1 := e.flatShares(x)
	n := x0.Len()
	segs := segmentsOf(n)
	call := e.newCall()
	nb := segs[2].b1
	// the window round: in-window prefixes and the propagate bits
	rows := e.splitRows(newRows(segs, L), segs, x0, x1, false, L, L, 0, uint(min(L, 64)), 0)
	f := prefixFn(L)
	y, err := e.winRound(ctx, call, segs, rows, L, f)
	putBuf(rows)
	if err != nil {
		return nil, err
	}
	// G, P and p of every bit position, L words per block and component
	// (every word written below)
	var G, P, pp [2][]uint64
	for c := range 2 {
		G[c], P[c], pp[c] = getBuf(nb*L), getBuf(nb*L), getBuf(nb*L)
		defer putBuf(G[c])
		defer putBuf(P[c])
		defer putBuf(pp[c])
		for b := range nb {
			yb := y[c][b*11*L/4:]
			for j := range L / 4 {
				o := yb[11*j:]
				for t := range 4 {
					i := b*L + 4*j + t
					G[c][i], P[c][i] = o[t], o[4+t]
					if t == 0 {
						pp[c][i] = o[4]
					} else {
						pp[c][i] = o[7+t]
					}
				}
			}
		}
		putBuf(y[c])
	}
	// Sklansky: for the upper half of every 2h-block, (G, P) <- (G ⊕ P·G_lo,
	// P·P_lo) with lo the block's bit h-1; the last level needs G only.
	for level, h := 0, 4; h < L; level, h = level+1, 2*h {
		last := 2*h == L
		per := L / 2
		if !last {
			per = L
		}
		z := newOutWords(nb * per)
		g0, g1, p0, p1 := G[0], G[1], P[0], P[1]
		for b := range nb {
			o := z.w[b*per : (b+1)*per]
			q := 0
			for base := b * L; base < (b+1)*L; base += 2 * h {
				lo := base + h - 1
				gl0, gl1, pl0, pl1 := g0[lo], g1[lo], p0[lo], p1[lo]
				for ii := base + h; ii < base+2*h; ii++ {
					o[q] = crossAnd(p0[ii], p1[ii], gl0, gl1)
					q++
					if !last {
						o[q] = crossAnd(p0[ii], p1[ii], pl0, pl1)
						q++
					}
				}
			}
		}
		zz, err := e.andRound(ctx, call, uint32(subTree+level), n, per, z)
		if err != nil {
			return nil, err
		}
		for c := range 2 {
			gc, pc := G[c], P[c]
			for b := range nb {
				o := zz[c][b*per:]
				q := 0
				for base := b * L; base < (b+1)*L; base += 2 * h {
					for ii := base + h; ii < base+2*h; ii++ {
						gc[ii] ^= o[q]
						q++
						if !last {
							pc[ii] = o[q]
							q++
						}
					}
				}
			}
			putBuf(zz[c])
		}
	}
	// The sum bits s_i = p_i ⊕ G_{i-1}, back to one word per element.
	rs := make([]vm.Share, len(x))
	for g, n := range lens {
		rs[g] = newB(n)
	}
	runs := groupRuns(lens, 0, n)
	offs := make([]int, len(lens))
	for g := range lens {
		offs[g] = totalLen(lens[:g])
	}
	for c := range 2 {
		for b := range nb {
			var word [2][64]uint64
			for wi := range L / 64 {
				s := &word[wi]
				base := b*L + 64*wi
				for t := range 64 {
					s[t] = pp[c][base+t]
				}
				for t := 1; t < 64; t++ {
					s[t] ^= G[c][base+t-1]
				}
				if wi > 0 {
					s[0] ^= G[c][base-1]
				}
				transpose64(s)
			}
			for _, r := range runs {
				g := r.g
				lo, hi := max(r.lo, 64*b-offs[g]), min(r.hi, 64*(b+1)-offs[g])
				dst := rs[g][c].Lo
				for gi := lo; gi < hi; gi++ {
					t := gi + offs[g] - 64*b
					switch {
					case ws[g] == 0:
						dst[gi] = word[0][t]
					case k == 64:
						dst[gi] = -(word[0][t] >> 63)
					default:
						dst[gi] = word[1][t]
					}
				}
			}
		}
	}
	return rs, nil
}

// prefixFn is the window function of A2B on L rows in 4-bit windows:
// per window the in-window prefixes G_{0..t} and P_{0..t} (t = 0..3) and
// the propagate bits p_1..p_3.
func prefixFn(L int) *winFn {
	f := newWinFn(L, evenWidths(L, L/4))
	f.kind = winPrefix
	for j := range L / 4 {
		for t := range 4 {
			f.outs = append(f.outs, winOut{j, gTerms(t)})
		}
		for t := range 4 {
			f.outs = append(f.outs, winOut{j, pTerms(t)})
		}
		for t := 1; t < 4; t++ {
			f.outs = append(f.outs, winOut{j, xorTerms(t)})
		}
	}
	return f
}

// B2A implements vm.Engine: every word read as signed, in one round.
func (e *Engine) B2A(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	lens := shareLens(x)
	n := totalLen(lens)
	w0, w1 := make([]uint64, 0, n), make([]uint64, 0, n)
	for _, s := range x {
		w0, w1 = append(w0, s[0].Lo...), append(w1, s[1].Lo...)
	}
	segs := segmentsOf(n)
	call := e.newCall()
	// the word's mixed parts: c = w_U ⊕ w_N at U, d = w_R at N and R
	word := func(i int) uint64 {
		switch e.role(segOf(segs, i)) {
		case roleU:
			return w0[i] ^ w1[i]
		case roleN:
			return w1[i]
		}
		return w0[i]
	}
	one := u128{1, 0}
	coef := func(_, j int) u128 {
		if j == 63 {
			return e.mask(one.shl(63).neg())
		}
		return one.shl(uint(j))
	}
	job := e.bitsTerms(n, 64, func(i, j int) uint64 { return word(i) >> j & 1 }, coef, nil)
	r0, r1, err := e.injectTerms(ctx, call, segs, job)
	if err != nil {
		return nil, err
	}
	return groupShares(r0, r1, lens), nil
}

// groupRuns returns, for the element range [lo, hi) of the concatenation of
// groups of the given lengths, the sub-slices of every group it overlaps:
// indices, and the range within each group.
type groupRun struct{ g, lo, hi int }

func groupRuns(lens []int, lo, hi int) []groupRun {
	var rs []groupRun
	off := 0
	for g, n := range lens {
		a, b := max(lo, off), min(hi, off+n)
		if a < b {
			rs = append(rs, groupRun{g, a - off, b - off})
		}
		off += n
	}
	return rs
}

// totalLen is the number of elements of groups of the given lengths.
func totalLen(lens []int) int {
	t := 0
	for _, n := range lens {
		t += n
	}
	return t
}
