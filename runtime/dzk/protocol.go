package dzk

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Params describes one batch to verify.
type Params struct {
	N     int    // number of multiplication gates, ≥ 1
	K     int    // ring Z_2^K, 64 or 128
	Batch uint64 // batch number: separates the randomness of batches under the same keys
}

func (p Params) check() error {
	if p.N < 1 {
		return fmt.Errorf("dzk: batch of %d gates", p.N)
	}
	if p.K != 64 && p.K != 128 {
		return fmt.Errorf("dzk: ring Z_2^%d, want 64 or 128", p.K)
	}
	return nil
}

// Levels returns the number of halving levels (prover messages) for n gates:
// the first one halves the 2(n+1) entries to n+1, each later one halves again.
func Levels(n int) int {
	l := 1
	for m := n + 1; m > 1; m = (m + 1) / 2 {
		l++
	}
	return l
}

// ProverInput is the prover's (party i's) view of the batch: its shares
// a = x_i, b = y_i and a' = x_{i+1}, b' = y_{i+1} of every gate's inputs.
type ProverInput struct{ A, B, A1, B1 []U128 }

// PrevInput is Vp's (party i-1's) view: a = x_i, b = y_i and its part Cp of
// the claim (PrevClaim).
type PrevInput struct{ A, B, C []U128 }

// NextInput is Vn's (party i+1's) view: a' = x_{i+1}, b' = y_{i+1} and its
// part Cn of the claim (NextClaim).
type NextInput struct{ A1, B1, C []U128 }

// PrevClaim returns Vp's part Cp = z - x_i·y_i + Fp of the claim of one gate,
// from the message z it received and the PRG value Fp it shares with the prover.
func PrevClaim(z, a, b, fp U128) U128 { return z.Sub(a.Mul(b)).Add(fp) }

// NextClaim returns Vn's part Cn = -Fn of the claim of one gate.
func NextClaim(fn U128) U128 { return fn.Neg() }

// ErrReject is returned by a verifier whose final check fails: some party
// deviated (a wrong multiplication message or a wrong proof message).
var ErrReject = errors.New("dzk: verification failed")

// Stream labels (4 bytes each).
const (
	lblPV    = "pv  " // prover–Vp: μ, share of μν, Vp's shares of every level
	lblPN    = "pn  " // prover–Vn: ν
	lblSeed  = "seed" // Vp–Vn: the θ seed (revealed to the prover)
	lblChall = "chal" // Vp–Vn: the challenges r (revealed one by one)
)

// Prove runs the prover (party i). kPV is the key it shares with Vp, kPN the
// one it shares with Vn; it talks only to Vn.
func Prove(p Params, kPV, kPN Key, in ProverInput, vn Conn) error {
	if err := p.check(); err != nil {
		return err
	}
	n := p.N
	msg, err := vn.Recv()
	if err != nil {
		return err
	}
	if len(msg) != 16 {
		return errors.New("dzk: bad θ seed")
	}
	var seed Key
	copy(seed[:], msg)
	th := newTheta(seed, p.Batch, n)
	pv, pn := newStream(kPV, lblPV, p.Batch), newStream(kPN, lblPN, p.Batch)
	mu, mp := pv.elem(), pv.elem()
	nu := pn.elem()
	munu := mu.Mul(&nu)

	// Level 1, pairing a_j with b_j: q(X) = Σθ_j(a_j+Xε_j)(b'_j+Xδ_j) + μν(1-X)².
	var q0, q2 Elem
	var v0, v2 [64]U128
	for b := 0; 64*b < n; b++ {
		k := min(64, n-64*b)
		for i := range k {
			j := 64*b + i
			v0[i] = in.A[j].Mul(in.B1[j])
			v2[i] = in.B[j].Sub(in.A[j]).Mul(in.A1[j].Sub(in.B1[j]))
		}
		clear(v0[k:])
		clear(v2[k:])
		accBlock(&q0, th.planes[b*D:], &v0)
		accBlock(&q2, th.planes[b*D:], &v2)
	}
	q0, q2 = q0.Add(&munu), q2.Add(&munu)
	s0, s2 := pv.elem(), pv.elem()
	if err := sendElems(vn, p.K, munu.Sub(&mp), q0.Sub(&s0), q2.Sub(&s2)); err != nil {
		return err
	}
	r, err := recvChallenge(vn)
	if err != nil {
		return err
	}
	u := make([]Elem, n+1, n+2)
	materialize(th, newRhoTab(r), in.A, in.B, u)
	t := mu.MulS(r)
	u[n] = mu.Sub(&t)
	delta := make([]U128, n)
	for j := range n {
		delta[j] = in.A1[j].Sub(in.B1[j])
	}
	t = nu.MulS(r)
	w := newWvec(in.B1, delta, r, nu.Sub(&t), n)

	for len(u) > 1 {
		u = padElems(u)
		w.pad()
		w.materializeIfBig()
		h := len(u) / 2
		for i := range h {
			u[h+i] = u[h+i].Sub(&u[i])
		}
		w.delta()
		q0, q2 := w.dots(u)
		s0, s2 := pv.elem(), pv.elem()
		if err := sendElems(vn, p.K, q0.Sub(&s0), q2.Sub(&s2)); err != nil {
			return err
		}
		r, err := recvChallenge(vn)
		if err != nil {
			return err
		}
		u = foldElems(u, r)
		w.fold(r)
	}
	return nil
}

// VerifyPrev runs Vp (party i-1). kPV is the key it shares with the prover,
// kVV the one it shares with Vn. It sends nothing until the end, when it
// exchanges one message with Vn; it returns ErrReject if the check fails.
func VerifyPrev(p Params, kPV, kVV Key, in PrevInput, vn Conn) error {
	if err := p.check(); err != nil {
		return err
	}
	n := p.N
	th := newTheta(thetaSeed(kVV, p.Batch), p.Batch, n)
	pv, ch := newStream(kPV, lblPV, p.Batch), newStream(kVV, lblChall, p.Batch)
	mu, mp := pv.elem(), pv.elem()
	c := wsum(th, in.C)
	c = c.Add(&mp)
	r := ch.challenge()
	c = nextClaim(c, pv.elem(), pv.elem(), r)
	u := make([]Elem, n+1, n+2)
	materialize(th, newRhoTab(r), in.A, in.B, u)
	t := mu.MulS(r)
	u[n] = mu.Sub(&t)
	for len(u) > 1 {
		u = padElems(u)
		h := len(u) / 2
		for i := range h {
			u[h+i] = u[h+i].Sub(&u[i])
		}
		r := ch.challenge()
		c = nextClaim(c, pv.elem(), pv.elem(), r)
		u = foldElems(u, r)
	}
	if err := sendElems(vn, p.K, u[0], c); err != nil {
		return err
	}
	e, err := recvElems(vn, p.K, 2)
	if err != nil {
		return err
	}
	return finalCheck(p.K, &u[0], &e[0], &c, &e[1])
}

// VerifyNext runs Vn (party i+1). kPN is the key it shares with the prover,
// kVV the one it shares with Vp. It reveals the θ seed and every challenge
// to the prover after the prover's message that they answer, and returns
// ErrReject if the final check fails.
func VerifyNext(p Params, kPN, kVV Key, in NextInput, prover, vp Conn) error {
	if err := p.check(); err != nil {
		return err
	}
	n := p.N
	seed := thetaSeed(kVV, p.Batch)
	if err := prover.Send(seed[:]); err != nil {
		return err
	}
	th := newTheta(seed, p.Batch, n)
	pn, ch := newStream(kPN, lblPN, p.Batch), newStream(kVV, lblChall, p.Batch)
	nu := pn.elem()
	c := wsum(th, in.C)
	m, err := recvElems(prover, p.K, 3)
	if err != nil {
		return err
	}
	c = c.Add(&m[0])
	r := ch.challenge()
	c = nextClaim(c, m[1], m[2], r)
	if err := sendChallenge(prover, r); err != nil {
		return err
	}
	delta := make([]U128, n)
	for j := range n {
		delta[j] = in.A1[j].Sub(in.B1[j])
	}
	t := nu.MulS(r)
	w := newWvec(in.B1, delta, r, nu.Sub(&t), n)
	for w.m > 1 {
		w.pad()
		w.materializeIfBig()
		w.delta()
		m, err := recvElems(prover, p.K, 2)
		if err != nil {
			return err
		}
		r := ch.challenge()
		c = nextClaim(c, m[0], m[1], r)
		if err := sendChallenge(prover, r); err != nil {
			return err
		}
		w.fold(r)
	}
	wf := w.final()
	if err := sendElems(vp, p.K, wf, c); err != nil {
		return err
	}
	e, err := recvElems(vp, p.K, 2)
	if err != nil {
		return err
	}
	return finalCheck(p.K, &e[0], &wf, &e[1], &c)
}

// thetaSeed derives the seed of θ from the verifiers' key.
func thetaSeed(kVV Key, batch uint64) Key {
	var k Key
	newStream(kVV, lblSeed, batch).fill(k[:])
	return k
}

// nextClaim updates a verifier's additive share c of the claim for one
// level, given its shares of q's coefficients q0, q2 and the challenge r:
// the share of q1 is c - 2q0 - q2 (so q(0)+q(1) = claim holds by
// construction) and the new claim is q(r) = q0 + r(q1 + r·q2).
func nextClaim(c, q0, q2 Elem, r uint64) Elem {
	q1 := c.Sub(&q0)
	q1 = q1.Sub(&q0)
	q1 = q1.Sub(&q2)
	t := q2.MulS(r)
	t = t.Add(&q1)
	t = t.MulS(r)
	return t.Add(&q0)
}

// padElems appends a zero to an odd-length vector.
func padElems(u []Elem) []Elem {
	if len(u)%2 == 0 {
		return u
	}
	return append(u, Elem{})
}

// foldElems returns U_L + r·Δ where the upper half of u holds Δ = U_R - U_L.
func foldElems(u []Elem, r uint64) []Elem {
	h := len(u) / 2
	for i := range h {
		mulSInto(&u[i], &u[h+i], r, true)
	}
	return u[:h]
}

// finalCheck tests u·w = cp + cn modulo 2^k.
func finalCheck(k int, u, w, cp, cn *Elem) error {
	lhs := u.Mul(w)
	rhs := cp.Add(cn)
	if !lhs.Equal(&rhs, k) {
		return ErrReject
	}
	return nil
}

// coefBytes is the encoded size of one coefficient in Z_2^k.
func coefBytes(k int) int { return k / 8 }

// sendElems sends elements, each coefficient as k/8 little-endian bytes.
func sendElems(c Conn, k int, es ...Elem) error {
	cb := coefBytes(k)
	buf := make([]byte, 0, len(es)*D*cb)
	for i := range es {
		for _, x := range es[i] {
			buf = binary.LittleEndian.AppendUint64(buf, x.Lo)
			if cb == 16 {
				buf = binary.LittleEndian.AppendUint64(buf, x.Hi)
			}
		}
	}
	return c.Send(buf)
}

// recvElems receives exactly n elements.
func recvElems(c Conn, k, n int) ([]Elem, error) {
	b, err := c.Recv()
	if err != nil {
		return nil, err
	}
	cb := coefBytes(k)
	if len(b) != n*D*cb {
		return nil, fmt.Errorf("dzk: message of %d bytes, want %d", len(b), n*D*cb)
	}
	es := make([]Elem, n)
	for i := range es {
		for j := range D {
			es[i][j].Lo = binary.LittleEndian.Uint64(b)
			if cb == 16 {
				es[i][j].Hi = binary.LittleEndian.Uint64(b[8:])
			}
			b = b[cb:]
		}
	}
	return es, nil
}

// sendChallenge sends r ∈ S as its coefficient mask.
func sendChallenge(c Conn, r uint64) error {
	return c.Send(binary.LittleEndian.AppendUint64(nil, r))
}

// recvChallenge receives a challenge and checks it lies in S \ {0, 1}.
func recvChallenge(c Conn) (uint64, error) {
	b, err := c.Recv()
	if err != nil {
		return 0, err
	}
	if len(b) != 8 {
		return 0, errors.New("dzk: bad challenge")
	}
	r := binary.LittleEndian.Uint64(b)
	if r&^lowD != 0 || r <= 1 {
		return 0, errors.New("dzk: challenge outside S \\ {0,1}")
	}
	return r, nil
}
