package dzk

import "math/bits"

// wvec is the Vn-side vector W during the halving levels (held by Vn and the
// prover). W has no θ in it, so while few challenges have been applied it is
// kept as Σ_t basis[t]·coef[t][i] with base-ring coefficients: a fold then
// costs one subtraction per stored coefficient, and an inner product with a
// GR vector D multiplications per coefficient. Once the basis reaches
// maxBasis elements W is materialized as GR elements. The masking element ν
// is the only entry that is not a base-ring combination; it is tracked apart
// (at most one index holds it, since a fold maps pairs to one index).
type wvec struct {
	m     int      // current length
	basis []Elem   // basis elements (products of challenges)
	coef  [][]U128 // coef[t][i], t < len(basis)
	full  []Elem   // W itself once materialized (then basis, coef unused)
	mpos  int      // index holding the mask term, -1 once merged into full
	mval  Elem
}

// maxBasis is the basis size at which W is materialized.
const maxBasis = 64

func newWvec(x, y []U128, r uint64, mval Elem, mpos int) *wvec {
	// W^(1) = x + r·y; x, y have length mpos, mask at index mpos.
	n := len(x)
	cx := make([]U128, n+1, n+2)
	cy := make([]U128, n+1, n+2)
	copy(cx, x)
	copy(cy, y)
	return &wvec{m: n + 1, basis: []Elem{Base(U128{Lo: 1}), SElem(r)},
		coef: [][]U128{cx, cy}, mpos: mpos, mval: mval}
}

// pad makes the length even by appending a zero.
func (w *wvec) pad() {
	if w.m%2 == 0 {
		return
	}
	if w.full != nil {
		w.full = append(w.full[:w.m], Elem{})
	} else {
		for t := range w.coef {
			w.coef[t] = append(w.coef[t][:w.m], U128{})
		}
	}
	w.m++
}

// materializeIfBig switches to the GR form when the basis is large.
func (w *wvec) materializeIfBig() {
	if w.full != nil || len(w.basis) < maxBasis {
		return
	}
	full := make([]Elem, w.m, w.m+1)
	for i := range w.m {
		var acc Elem
		for t := range w.basis {
			s := w.coef[t][i]
			b := &w.basis[t]
			for c := range D {
				acc[c] = acc[c].Add(b[c].Mul(s))
			}
		}
		full[i] = acc
	}
	if w.mpos >= 0 {
		full[w.mpos] = full[w.mpos].Add(&w.mval)
		w.mpos = -1
	}
	w.full, w.basis, w.coef = full, nil, nil
}

// delta replaces the upper half by W_R - W_L (the length must be even).
func (w *wvec) delta() {
	h := w.m / 2
	if w.full != nil {
		for i := range h {
			w.full[h+i] = w.full[h+i].Sub(&w.full[i])
		}
		return
	}
	for _, c := range w.coef {
		lo, hi := c[:h], c[h:2*h]
		for i := range hi {
			hi[i] = hi[i].Sub(lo[i])
		}
	}
}

// fold sets W = W_L + r·(W_R - W_L) after delta.
func (w *wvec) fold(r uint64) {
	h := w.m / 2
	if w.full != nil {
		for i := range h {
			mulSInto(&w.full[i], &w.full[h+i], r, true)
		}
		w.full = w.full[:h]
	} else {
		T := len(w.basis)
		for t := range T {
			c := w.coef[t]
			w.coef[t] = c[:h:h]
			w.coef = append(w.coef, c[h:2*h:2*h])
			w.basis = append(w.basis, w.basis[t].MulS(r))
		}
		if w.mpos >= 0 {
			if w.mpos < h {
				t := w.mval.MulS(r)
				w.mval = w.mval.Sub(&t)
			} else {
				w.mpos -= h
				w.mval = w.mval.MulS(r)
			}
		}
	}
	w.m = h
}

// final returns W's only entry.
func (w *wvec) final() Elem {
	if w.full != nil {
		return w.full[0]
	}
	var acc Elem
	for t := range w.basis {
		p := w.basis[t].MulBase(w.coef[t][0])
		acc = acc.Add(&p)
	}
	if w.mpos == 0 {
		acc = acc.Add(&w.mval)
	}
	return acc
}

// dots returns (<U_L, W_L>, <U_R-U_L, W_R-W_L>) for the prover, after
// w.delta() and with U's upper half already replaced by U_R - U_L.
func (w *wvec) dots(u []Elem) (q0, q2 Elem) {
	h := w.m / 2
	if w.full != nil {
		var a0, a2 wide
		for i := range h {
			a0.macc(&u[i], &w.full[i])
			a2.macc(&u[h+i], &w.full[h+i])
		}
		return a0.reduce(), a2.reduce()
	}
	for t := range w.basis {
		var s0, s2 Elem
		c := w.coef[t]
		for i := range h {
			mulBaseAcc(&s0, &u[i], c[i])
			mulBaseAcc(&s2, &u[h+i], c[h+i])
		}
		p0, p2 := s0.Mul(&w.basis[t]), s2.Mul(&w.basis[t])
		q0, q2 = q0.Add(&p0), q2.Add(&p2)
	}
	if p := w.mpos; p >= 0 {
		if p < h {
			t0 := u[p].Mul(&w.mval)
			t2 := u[h+p].Mul(&w.mval)
			q0, q2 = q0.Add(&t0), q2.Sub(&t2)
		} else {
			t2 := u[p].Mul(&w.mval)
			q2 = q2.Add(&t2)
		}
	}
	return q0, q2
}

// mulBaseAcc adds a·s to acc.
func mulBaseAcc(acc, a *Elem, s U128) {
	if s.Lo|s.Hi == 0 {
		return
	}
	for c := range D {
		x := a[c]
		hi, lo := bits.Mul64(x.Lo, s.Lo)
		hi += x.Lo*s.Hi + x.Hi*s.Lo
		l, cy := bits.Add64(acc[c].Lo, lo, 0)
		acc[c] = U128{l, acc[c].Hi + hi + cy}
	}
}
