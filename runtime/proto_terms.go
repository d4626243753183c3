package runtime

// The general injection on segments: for element i, with U its segment's
// party (proto_slice.go), Σ_j u_ij·v_ij + u0_i + c_i where u_ij and u0_i are
// known to U and v_ij, c_i to N and R, and v_ij is a multiple of
// 2^(k - width(i, j)) so that u_ij matters modulo 2^width only. One round
// (the mixed round of proto_mixed.go):
//
//	U → N: e_ij = u_ij + σ_ij mod 2^width      U → R: e'_ij = u_ij + τ_ij, D_i = u0_i - ρ'_i
//	N → R: B_N = Σ_j τ_ij·v_ij + ρ_N           R → N: B_R = Σ_j σ_ij·v_ij + ρ_U
//	y_U = ρ_U + D, y_N = ρ_N + ρ', y_R = Σ_j e·v - B_other - ρ_own + c
//
// with σ, ρ_U from the key of R and U and τ, ρ_N, ρ' from that of U and N
// (numbered streams subTerms + 8s + 0, 2, 3; the masks are one bit stream
// of the fields' widths, packed like the messages). The bulk protocols use
// the specialised injection of proto_inject.go; this one serves B2A and
// division, element by element.

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

const subTerms = 64

// termJob describes a general injection.
type termJob struct {
	n, J  int
	width func(i, j int) uint // public
	hasU0 bool
	// at U of element i
	u  func(i, j int) u128
	u0 func(i int) u128
	// at N and R of element i
	v func(i, j int) u128
	c func(i int) u128
}

// injectTerms runs the job in one round and returns this party's
// arithmetic shares (ring k) of the n results.
func (e *Engine) injectTerms(ctx context.Context, call uint64, segs [3]segment, job *termJob) (vm.Vec, vm.Vec, error) {
	k := e.k
	kw := k / 64
	r0, r1 := vm.NewVec(k, job.n), vm.NewVec(k, job.n)
	me := e.me
	sid := func(s, i int) uint32 { return uint32(subTerms + 8*s + i) }
	var fBits [3]int
	for s := range 3 {
		for i := segs[s].lo; i < segs[s].hi; i++ {
			for j := range job.J {
				fBits[s] += int(job.width(i, j))
			}
		}
	}
	uBytes := func(s int) int { return bytesFor(fBits[s]) }
	dBytes := func(s int) int {
		if job.hasU0 {
			return 8 * kw * segs[s].n()
		}
		return 0
	}
	// Σ_j f_ij·v_ij for element i, its fields of f (masks or a message
	// from U) read from bit offset *off on
	sumV := func(f []uint64, i int, off *uint) u128 {
		var x u128
		for j := range job.J {
			w := job.width(i, j)
			x = x.add(getField(f, *off, w).mul(job.v(i, j)))
			*off += w
		}
		return x
	}
	words := func(key *pairPRG, s, i, n int) []uint64 {
		w := make([]uint64, n)
		key.stream(call, sid(s, i)).words(w)
		return w
	}

	// U in segment me
	s := segs[me]
	ns := s.n()
	kRU, kUN := e.prev, e.next
	sig, tau := words(kRU, me, 0, wordsFor(fBits[me])), words(kUN, me, 0, wordsFor(fBits[me]))
	rU, rN := words(kRU, me, 2, kw*ns), words(kUN, me, 2, kw*ns)
	eN, eR := make([]uint64, wordsFor(fBits[me])), make([]uint64, wordsFor(fBits[me]))
	var rP, dd []uint64
	if job.hasU0 {
		rP, dd = words(kUN, me, 3, kw*ns), make([]uint64, kw*ns)
	}
	off := uint(0)
	for t := range ns {
		i := s.lo + t
		for j := range job.J {
			w := job.width(i, j)
			x := job.u(i, j)
			setField(eN, off, w, x.add(getField(sig, off, w)).low(w))
			setField(eR, off, w, x.add(getField(tau, off, w)).low(w))
			off += w
		}
		y0, y1 := wordElem(rU, kw, t), wordElem(rN, kw, t)
		if job.hasU0 {
			p := wordElem(rP, kw, t)
			d := e.mask(job.u0(i).sub(p))
			setWordElem(dd, kw, t, d)
			y0, y1 = y0.add(d), y1.add(p)
		}
		setRingElem(r0, i, e.mask(y0))
		setRingElem(r1, i, e.mask(y1))
	}
	toR := wordsToBytes(eR, uBytes(me))
	if job.hasU0 {
		b := make([]byte, uBytes(me)+dBytes(me))
		copy(b, toR)
		putWords(b[uBytes(me):], dd)
		toR = b
	}
	e.beginRound()
	if err := e.send(Next(me), wordsToBytes(eN, uBytes(me))); err != nil {
		return r0, r1, err
	}
	if err := e.send(Prev(me), toR); err != nil {
		return r0, r1, err
	}

	// N in segment me-1 (key with U: prev), R in segment me+1 (next)
	type vside struct {
		si, role int
		mk, rho  []uint64
		rP       []uint64
	}
	side := func(si int, key *pairPRG, role int) (*vside, []byte) {
		s := segs[si]
		ns := s.n()
		vs := &vside{si: si, role: role, mk: words(key, si, 0, wordsFor(fBits[si])), rho: words(key, si, 2, kw*ns)}
		if job.hasU0 && role == roleN {
			vs.rP = words(key, si, 3, kw*ns)
		}
		out := make([]uint64, kw*ns)
		off := uint(0)
		for t := range ns {
			x := sumV(vs.mk, s.lo+t, &off)
			setWordElem(out, kw, t, e.mask(x.add(wordElem(vs.rho, kw, t))))
		}
		return vs, wordsToBytes(out, 8*kw*ns)
	}
	vN, bN := side(Prev(me), e.prev, roleN)
	if err := e.send(Next(me), bN); err != nil {
		return r0, r1, err
	}
	vR, bR := side(Next(me), e.next, roleR)
	if err := e.send(Prev(me), bR); err != nil {
		return r0, r1, err
	}
	uN, uR, fromN, fromR, err := e.recvMixed(ctx, uBytes(Prev(me)), uBytes(Next(me))+dBytes(Next(me)),
		8*kw*segs[Next(me)].n(), 8*kw*segs[Prev(me)].n())
	if err != nil {
		return r0, r1, err
	}
	finish := func(vs *vside, msgU, other []byte) {
		s := segs[vs.si]
		ns := s.n()
		fw := bytesToWords(msgU[:uBytes(vs.si)])
		ow := bytesToWords(other)
		var dw []uint64
		if job.hasU0 && vs.role == roleR {
			dw = bytesToWords(msgU[uBytes(vs.si):])
		}
		off := uint(0)
		for t := range ns {
			i := s.lo + t
			x := sumV(fw, i, &off)
			rho := wordElem(vs.rho, kw, t)
			y := e.mask(x.sub(wordElem(ow, kw, t)).sub(rho).add(job.c(i)))
			if vs.role == roleN {
				yn := rho
				if job.hasU0 {
					yn = yn.add(wordElem(vs.rP, kw, t))
				}
				setRingElem(r0, i, e.mask(yn))
				setRingElem(r1, i, y)
			} else {
				yu := rho
				if job.hasU0 {
					yu = yu.add(wordElem(dw, kw, t))
				}
				setRingElem(r0, i, y)
				setRingElem(r1, i, e.mask(yu))
			}
		}
	}
	finish(vN, uN, fromR)
	finish(vR, uR, fromN)
	releaseMsg(uN, uR, fromN, fromR)
	return r0, r1, nil
}

// bitsTerms is the termJob of Σ_j coef(i, j)·b_ij + konst(i) for mixed bits
// b_ij = c ⊕ d (bit(i, j) returns c at U, d at N and R), by c ⊕ d =
// d + c·(1 - 2d).
func (e *Engine) bitsTerms(n, J int, bit func(i, j int) uint64, coef func(i, j int) u128, konst func(i int) u128) *termJob {
	one := u128{1, 0}
	return &termJob{n: n, J: J,
		width: func(i, j int) uint { return e.ringWidth(coef(i, j)) },
		u:     func(i, j int) u128 { return u128{bit(i, j), 0} },
		v: func(i, j int) u128 {
			d := u128{bit(i, j), 0}
			return e.mask(coef(i, j).mul(one.sub(d.add(d))))
		},
		c: func(i int) u128 {
			var s u128
			if konst != nil {
				s = konst(i)
			}
			for j := range J {
				s = s.add(coef(i, j).mul(u128{bit(i, j), 0}))
			}
			return e.mask(s)
		},
	}
}
