package dzk

import "math/bits"

// D is the degree of the extension: GR(2^128, D) = Z_2^128[X]/(h(X)).
const D = 41

// HMid is the middle exponent of h(X) = X^D + X^HMid + 1, a trinomial that
// is irreducible modulo 2 (checked by TestIrreducible).
const HMid = 3

// U128 is an element of Z_2^128 (little-endian words).
type U128 struct{ Lo, Hi uint64 }

// Add returns a+b mod 2^128.
func (a U128) Add(b U128) U128 {
	lo, c := bits.Add64(a.Lo, b.Lo, 0)
	return U128{lo, a.Hi + b.Hi + c}
}

// Sub returns a-b mod 2^128.
func (a U128) Sub(b U128) U128 {
	lo, c := bits.Sub64(a.Lo, b.Lo, 0)
	return U128{lo, a.Hi - b.Hi - c}
}

// Mul returns a·b mod 2^128.
func (a U128) Mul(b U128) U128 {
	hi, lo := bits.Mul64(a.Lo, b.Lo)
	return U128{lo, hi + a.Lo*b.Hi + a.Hi*b.Lo}
}

// Neg returns -a mod 2^128.
func (a U128) Neg() U128 { return U128{}.Sub(a) }

// mulSmall returns a·s for a small signed s.
func (a U128) mulSmall(s int64) U128 {
	hi, lo := bits.Mul64(a.Lo, uint64(s))
	hi += a.Hi * uint64(s)
	if s < 0 {
		hi -= a.Lo
	}
	return U128{lo, hi}
}

// Elem is an element of GR(2^128, D): the coefficients of a polynomial of
// degree < D, constant term first. The zero value is 0.
type Elem [D]U128

// Base returns the element of the base ring Z_2^128 with value a.
func Base(a U128) Elem {
	var e Elem
	e[0] = a
	return e
}

// SElem returns the element of the exceptional set S with coefficient c
// equal to bit c of m (bits at or above D are ignored).
func SElem(m uint64) Elem {
	var e Elem
	for c := range D {
		e[c].Lo = m >> c & 1
	}
	return e
}

// Add returns a+b.
func (a *Elem) Add(b *Elem) Elem {
	var r Elem
	for i := range D {
		r[i] = a[i].Add(b[i])
	}
	return r
}

// Sub returns a-b.
func (a *Elem) Sub(b *Elem) Elem {
	var r Elem
	for i := range D {
		r[i] = a[i].Sub(b[i])
	}
	return r
}

// Equal reports whether a = b modulo 2^k for k = 64 or 128.
func (a *Elem) Equal(b *Elem, k int) bool {
	for i := range D {
		if a[i].Lo != b[i].Lo || (k > 64 && a[i].Hi != b[i].Hi) {
			return false
		}
	}
	return true
}

// wide is an unreduced product: a polynomial of degree < 2D-1.
type wide [2*D - 1]U128

// reduce returns w mod h.
func (w *wide) reduce() Elem {
	// X^D = -X^HMid - 1; going down from the top, a folded term never lands
	// on a degree that was already folded.
	for i := 2*D - 2; i >= D; i-- {
		t := w[i]
		w[i-D+HMid] = w[i-D+HMid].Sub(t)
		w[i-D] = w[i-D].Sub(t)
	}
	var r Elem
	copy(r[:], w[:D])
	return r
}

// macc adds a·b (unreduced) to w: schoolbook, D² multiplications.
func (w *wide) macc(a, b *Elem) {
	for i := range D {
		ai := a[i]
		if ai.Lo|ai.Hi == 0 {
			continue
		}
		row := w[i : i+D]
		for j := range D {
			bj := b[j]
			hi, lo := bits.Mul64(ai.Lo, bj.Lo)
			hi += ai.Lo*bj.Hi + ai.Hi*bj.Lo
			l, c := bits.Add64(row[j].Lo, lo, 0)
			row[j] = U128{l, row[j].Hi + hi + c}
		}
	}
}

// Mul returns a·b (schoolbook multiplication, then reduction modulo h).
func (a *Elem) Mul(b *Elem) Elem {
	var w wide
	w.macc(a, b)
	return w.reduce()
}

// MulKaratsuba returns a·b using one level of Karatsuba splitting
// (three half-size schoolbook products instead of four).
func (a *Elem) MulKaratsuba(b *Elem) Elem {
	const h = (D + 1) / 2 // low half length; high half D-h
	var p0, p2, p1 [2 * h]U128
	var sa, sb [h]U128
	for i := range h {
		sa[i], sb[i] = a[i], b[i]
		if i+h < D {
			sa[i] = sa[i].Add(a[i+h])
			sb[i] = sb[i].Add(b[i+h])
		}
	}
	for i := range h {
		for j := range h {
			p0[i+j] = p0[i+j].Add(a[i].Mul(b[j]))
			p1[i+j] = p1[i+j].Add(sa[i].Mul(sb[j]))
			if i+h < D && j+h < D {
				p2[i+j] = p2[i+j].Add(a[i+h].Mul(b[j+h]))
			}
		}
	}
	var w wide
	for i := range 2*h - 1 {
		w[i] = w[i].Add(p0[i])
		m := p1[i].Sub(p0[i]).Sub(p2[i])
		w[i+h] = w[i+h].Add(m)
		if i+2*h < 2*D-1 {
			w[i+2*h] = w[i+2*h].Add(p2[i])
		}
	}
	return w.reduce()
}

// MulBase returns a·s for s in the base ring.
func (a *Elem) MulBase(s U128) Elem {
	var r Elem
	for i := range D {
		r[i] = a[i].Mul(s)
	}
	return r
}

// MulS returns a·r for r in S, given as a bit mask of its coefficients:
// additions only, about D²/2 of them for a random r.
func (a *Elem) MulS(r uint64) Elem {
	var r2 Elem
	mulSInto(&r2, a, r, false)
	return r2
}

// mulSInto sets dst = a·r, or dst += a·r if add is set (dst may not alias a).
func mulSInto(dst, a *Elem, r uint64, add bool) {
	// Split into low and high words so the inner loop is a plain
	// add-with-carry over fixed-size arrays (no bounds checks).
	var alo, ahi [D]uint64
	for j := range D {
		alo[j], ahi[j] = a[j].Lo, a[j].Hi
	}
	var wlo, whi [2*D - 1]uint64
	for m := r & lowD; m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		lo := (*[D]uint64)(wlo[k : k+D])
		hi := (*[D]uint64)(whi[k : k+D])
		for j := range D {
			var c uint64
			lo[j], c = bits.Add64(lo[j], alo[j], 0)
			hi[j] += ahi[j] + c
		}
	}
	for i := 2*D - 2; i >= D; i-- {
		l, h := wlo[i], whi[i]
		var b uint64
		wlo[i-D+HMid], b = bits.Sub64(wlo[i-D+HMid], l, 0)
		whi[i-D+HMid] -= h + b
		wlo[i-D], b = bits.Sub64(wlo[i-D], l, 0)
		whi[i-D] -= h + b
	}
	if add {
		for j := range D {
			dst[j] = dst[j].Add(U128{wlo[j], whi[j]})
		}
		return
	}
	for j := range D {
		dst[j] = U128{wlo[j], whi[j]}
	}
}
