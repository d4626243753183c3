package dzk

import "math/bits"

// theta holds the batching coefficients θ_j ∈ S, one bit mask per gate and
// the same bits transposed into planes: planes[b*D+c] holds coefficient c of
// θ_j for the 64 gates j of block b (bit j mod 64), which is the layout the
// table-driven weighted sums read.
type theta struct {
	mask   []uint64
	planes []uint64
}

const lowD = 1<<D - 1

func newTheta(seed Key, batch uint64, n int) *theta {
	s := newStream(seed, "thta", batch)
	nb := (n + 63) / 64
	t := &theta{mask: make([]uint64, nb*64), planes: make([]uint64, nb*D)}
	s.words(t.mask[:n])
	for j := range n {
		t.mask[j] &= lowD
	}
	var blk [64]uint64
	for b := range nb {
		copy(blk[:], t.mask[64*b:64*b+64])
		transpose64(&blk)
		copy(t.planes[b*D:b*D+D], blk[:D])
	}
	return t
}

// transpose64 transposes a 64×64 bit matrix in place (row i is word i, column
// j is bit j): afterwards bit j of word i is the former bit i of word j.
func transpose64(a *[64]uint64) {
	m := uint64(0x00000000FFFFFFFF)
	for j := 32; j != 0; j, m = j>>1, m^(m<<(j>>1)) {
		for k := 0; k < 64; k = (k + j + 1) &^ j {
			t := (a[k]>>j ^ a[k+j]) & m
			a[k] ^= t << j
			a[k+j] ^= t
		}
	}
}

// accBlock adds Σ_i θ_{64b+i}·v[i] to acc for one block of 64 gates, with
// Four-Russians tables: for every 4 gates the 16 subset sums of their values
// are tabulated (15 additions), then each of the D coefficients adds one
// table entry selected by 4 bits of its plane. About (15+D)/4 additions in
// Z_2^128 per gate instead of D/2.
func accBlock(acc *Elem, planes []uint64, v *[64]U128) {
	var t [16]U128
	pl := planes[:D]
	for g := 0; g < 16; g++ {
		w := v[4*g : 4*g+4 : 4*g+4]
		t[1], t[2], t[4], t[8] = w[0], w[1], w[2], w[3]
		t[3] = w[0].Add(w[1])
		t[5], t[6], t[7] = t[4].Add(w[0]), t[4].Add(w[1]), t[4].Add(t[3])
		for m := 9; m < 16; m++ {
			t[m] = t[8].Add(t[m-8])
		}
		sh := uint(4 * g)
		for c := range D {
			e := t[pl[c]>>sh&15]
			l, cy := bits.Add64(acc[c].Lo, e.Lo, 0)
			acc[c] = U128{l, acc[c].Hi + e.Hi + cy}
		}
	}
}

// wsum returns Σ_j θ_j·v_j over the gates of th.
func wsum(th *theta, v []U128) Elem {
	var acc Elem
	var blk [64]U128
	for b := 0; 64*b < len(v); b++ {
		n := copy(blk[:], v[64*b:])
		clear(blk[n:])
		accBlock(&acc, th.planes[b*D:], &blk)
	}
	return acc
}

// Materialization of θ_j·(a_j + r·ε_j) = θ_j·a_j + (θ_j·r)·ε_j. The product
// ρ = θ_j·r of two elements of S has small integer coefficients; it is summed
// from per-nibble tables in 16-bit lanes (four to a word, biased to stay
// non-negative), then each coefficient costs one small multiplication.

const (
	nibs  = (D + 3) / 4 // nibble groups of a mask
	lanes = (D + 3) / 4 // 64-bit words of 16-bit lanes
	bias  = 1024        // per table entry; |coefficient| of an entry < 256
)

// rhoTab tabulates nib·X^(4g)·r for every nibble group g and nibble value.
type rhoTab [nibs][16][lanes]uint64

func newRhoTab(r uint64) *rhoTab {
	var t rhoTab
	for g := range nibs {
		for nib := range uint64(16) {
			m := (nib << (4 * g)) & lowD
			p := SElem(m)
			p = p.MulS(r)
			for c := range D {
				v := int64(p[c].Lo)
				if v < -255 || v > 255 {
					panic("dzk: rho coefficient out of range")
				}
				t[g][nib][c/4] |= uint64(v+bias) << (16 * (c % 4))
			}
		}
	}
	return &t
}

// rho returns the coefficients of θ·r for θ given as a mask.
func (t *rhoTab) rho(th uint64, out *[D]int64) {
	var s [lanes]uint64
	for g := range nibs {
		e := &t[g][th>>(4*g)&15]
		for w := range lanes {
			s[w] += e[w]
		}
	}
	for c := range D {
		out[c] = int64(s[c/4]>>(16*(c%4))&0xffff) - nibs*bias
	}
}

// materialize returns U_j = θ_j·(a_j + r·(b_j - a_j)) for all gates.
func materialize(th *theta, rt *rhoTab, a, b []U128, dst []Elem) {
	var rho [D]int64
	for j := range a {
		m := th.mask[j]
		rt.rho(m, &rho)
		aj, ej := a[j], b[j].Sub(a[j])
		u := &dst[j]
		for c := range D {
			x := ej.mulSmall(rho[c])
			if m>>c&1 != 0 {
				x = x.Add(aj)
			}
			u[c] = x
		}
	}
}
