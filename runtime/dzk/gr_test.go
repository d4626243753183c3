package dzk

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

func rndU(rng *rand.Rand) U128 { return U128{rng.Uint64(), rng.Uint64()} }

func rndElem(rng *rand.Rand) Elem {
	var e Elem
	for i := range e {
		e[i] = rndU(rng)
	}
	return e
}

// mulX returns X·e, reducing with X^D = -X^HMid - 1 (an implementation
// independent of wide.reduce).
func mulX(e Elem) Elem {
	top := e[D-1]
	var r Elem
	copy(r[1:], e[:D-1])
	r[0] = r[0].Sub(top)
	r[HMid] = r[HMid].Sub(top)
	return r
}

// slowMul is Horner's rule with mulX: the reference product.
func slowMul(a, b Elem) Elem {
	var acc Elem
	for i := D - 1; i >= 0; i-- {
		acc = mulX(acc)
		t := b.MulBase(a[i])
		acc = acc.Add(&t)
	}
	return acc
}

func TestRingAxioms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	one := Base(U128{Lo: 1})
	for range 50 {
		a, b, c := rndElem(rng), rndElem(rng), rndElem(rng)
		ab, ba := a.Mul(&b), b.Mul(&a)
		if ab != ba {
			t.Fatal("mul not commutative")
		}
		abc1 := ab.Mul(&c)
		bc := b.Mul(&c)
		abc2 := a.Mul(&bc)
		if abc1 != abc2 {
			t.Fatal("mul not associative")
		}
		bpc := b.Add(&c)
		l := a.Mul(&bpc)
		ac := a.Mul(&c)
		r := ab.Add(&ac)
		if l != r {
			t.Fatal("not distributive")
		}
		if a.Mul(&one) != a {
			t.Fatal("1 is not neutral")
		}
		s := a.Add(&b)
		if s.Sub(&b) != a {
			t.Fatal("add/sub")
		}
		if ab != slowMul(a, b) {
			t.Fatal("Mul differs from the reference")
		}
		if a.MulKaratsuba(&b) != ab {
			t.Fatal("Karatsuba differs")
		}
		m := rng.Uint64() & lowD
		se := SElem(m)
		if a.MulS(m) != a.Mul(&se) {
			t.Fatal("MulS differs")
		}
		x := rndU(rng)
		xe := Base(x)
		if a.MulBase(x) != a.Mul(&xe) {
			t.Fatal("MulBase differs")
		}
		if a[0].mulSmall(-37) != a[0].Mul(U128{}.Sub(U128{Lo: 37})) {
			t.Fatal("mulSmall")
		}
	}
	// h(X) = 0 in the ring.
	xd := mulX(SElem(1 << (D - 1)))
	h := xd.Add(ptr(SElem(1<<HMid | 1)))
	if h != (Elem{}) {
		t.Fatal("X^D + X^HMid + 1 != 0")
	}
}

func ptr(e Elem) *Elem { return &e }

// GF(2) polynomials of degree < 64 as bit masks.
func gf2MulMod(a, b, h uint64, d int) uint64 {
	var r uint64
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			r ^= a
		}
		a <<= 1
		if a>>d&1 != 0 {
			a ^= h
		}
	}
	return r
}

func gf2Mod(a, h uint64) uint64 {
	dh := 63 - bits.LeadingZeros64(h)
	for a != 0 && 63-bits.LeadingZeros64(a) >= dh {
		a ^= h << (63 - bits.LeadingZeros64(a) - dh)
	}
	return a
}

func gf2Gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, gf2Mod(a, b)
	}
	return a
}

// TestIrreducible runs Ben-Or's test on h mod 2: h of degree D is
// irreducible iff gcd(X^(2^i) - X, h) = 1 for i = 1..D/2.
func TestIrreducible(t *testing.T) {
	h := uint64(1)<<D | 1<<HMid | 1
	x := uint64(2)
	p := x
	for i := 1; i <= D/2; i++ {
		p = gf2MulMod(p, p, h, D)
		if g := gf2Gcd(h, p^x); g != 1 {
			t.Fatalf("h has a factor of degree dividing %d", i)
		}
	}
	// Sanity of the test itself: a reducible trinomial is rejected.
	red := uint64(1)<<4 | 1<<2 | 1 // (X²+X+1)²
	p = x
	found := false
	for i := 1; i <= 2; i++ {
		p = gf2MulMod(p, p, red, 4)
		if gf2Gcd(red, p^x) != 1 {
			found = true
		}
	}
	if !found {
		t.Fatal("Ben-Or test accepted a reducible polynomial")
	}
}

func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a, b [64]uint64
	for i := range a {
		a[i] = rng.Uint64()
	}
	b = a
	transpose64(&b)
	for i := range 64 {
		for j := range 64 {
			if a[i]>>j&1 != b[j]>>i&1 {
				t.Fatal("transpose")
			}
		}
	}
}

func TestThetaTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 63, 64, 130} {
		th := newTheta(Key{1}, 7, n)
		v := make([]U128, n)
		var want Elem
		for j := range v {
			v[j] = rndU(rng)
			s := SElem(th.mask[j])
			p := s.MulBase(v[j])
			want = want.Add(&p)
		}
		if wsum(th, v) != want {
			t.Fatal("wsum")
		}
		r := rng.Uint64() & lowD
		rt := newRhoTab(r)
		a, b := v, make([]U128, n)
		for j := range b {
			b[j] = rndU(rng)
		}
		u := make([]Elem, n)
		materialize(th, rt, a, b, u)
		for j := range n {
			x := Base(a[j])
			e := b[j].Sub(a[j])
			sr := SElem(r)
			y := sr.MulBase(e)
			x = x.Add(&y)
			if x.MulS(th.mask[j]) != u[j] {
				t.Fatal("materialize")
			}
		}
	}
}

func BenchmarkGRMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := rndElem(rng), rndElem(rng)
	b.Run("schoolbook", func(b *testing.B) {
		for b.Loop() {
			x = x.Mul(&y)
		}
	})
	b.Run("karatsuba", func(b *testing.B) {
		for b.Loop() {
			x = x.MulKaratsuba(&y)
		}
	})
	b.Run("byS", func(b *testing.B) {
		r := rng.Uint64() & lowD
		for b.Loop() {
			x = x.MulS(r)
		}
	})
}
