package vm

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// ---- math/big reference ----

func exRefMod(k int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(k)) }

// exRefWrap reduces x into the signed range of ring k.
func exRefWrap(k int, x *big.Int) *big.Int {
	m := exRefMod(k)
	r := new(big.Int).Mod(x, m)
	if r.Cmp(RingMax(k)) > 0 {
		r.Sub(r, m)
	}
	return r
}

// exRefFloorDiv returns floor(a / b) and a - b·floor(a / b).
func exRefFloorDiv(a, b *big.Int) (*big.Int, *big.Int) {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() != 0 && (r.Sign() < 0) != (b.Sign() < 0) {
		q.Sub(q, big.NewInt(1))
		r.Add(r, b)
	}
	return q, r
}

func exRefBool(b bool) *big.Int {
	if b {
		return big.NewInt(1)
	}
	return big.NewInt(0)
}

// exRefWord returns the 64-bit word w (0 low, 1 next) of the signed x in ring k.
func exRefWord(k int, x *big.Int, w int) uint64 {
	if k == 64 && w == 1 {
		if x.Sign() < 0 {
			return ^uint64(0)
		}
		return 0
	}
	u := new(big.Int).Mod(x, exRefMod(128))
	u.Rsh(u, uint(64*w))
	return new(big.Int).And(u, new(big.Int).SetUint64(^uint64(0))).Uint64()
}

// ---- test values ----

func exEdgeValues(k int) []*big.Int {
	var xs []*big.Int
	add := func(x *big.Int) {
		x = exRefWrap(k, x)
		for _, y := range xs {
			if y.Cmp(x) == 0 {
				return
			}
		}
		xs = append(xs, x)
	}
	for _, v := range []int64{0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100, 1 << 24, -(1 << 24), 1<<62 + 12345, -(1 << 62)} {
		add(big.NewInt(v))
	}
	p := func(e uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), e) }
	add(RingMin(k))
	add(RingMax(k))
	add(new(big.Int).Add(RingMin(k), big.NewInt(1)))
	add(new(big.Int).Sub(RingMax(k), big.NewInt(1)))
	add(p(63))
	add(new(big.Int).Neg(p(63)))
	add(new(big.Int).Sub(p(63), big.NewInt(1)))
	add(new(big.Int).Sub(p(64), big.NewInt(1)))
	add(p(64))
	add(new(big.Int).Neg(p(64)))
	add(new(big.Int).Add(p(100), big.NewInt(987654321)))
	add(new(big.Int).Neg(new(big.Int).Add(p(90), big.NewInt(5))))
	return xs
}

func exRandBig(r *rand.Rand, k int) *big.Int {
	x := new(big.Int)
	switch r.IntN(4) {
	case 0: // small
		x.SetInt64(r.Int64N(2001) - 1000)
	case 1: // random bit length
		x = exRandBits(r, r.IntN(k))
		if r.IntN(2) == 0 {
			x.Neg(x)
		}
	default: // uniform
		x = exRandBits(r, k)
	}
	return exRefWrap(k, x)
}

// exRandBits returns a uniform integer in [0, 2^n).
func exRandBits(r *rand.Rand, n int) *big.Int {
	x := new(big.Int).SetUint64(r.Uint64())
	x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(r.Uint64()))
	return x.Rsh(x, uint(128-n))
}

func exBigVec(k int, xs []*big.Int) Vec {
	v := NewVec(k, len(xs))
	for i, x := range xs {
		SetElemBig(k, v, i, x)
	}
	return v
}

// ---- kernel checks ----

// exCheckKernels runs every kernel on a and b (equal lengths or one of length
// 1) and compares each element with the math/big reference.
func exCheckKernels(t *testing.T, k, f int, a, b Vec) {
	t.Helper()
	n, ok := BroadcastLen(a.Len(), b.Len())
	if !ok {
		t.Fatalf("bad lengths %d %d", a.Len(), b.Len())
	}
	exAt := func(v Vec, i int) *big.Int {
		if v.Len() == 1 {
			return ElemBig(k, v, 0)
		}
		return ElemBig(k, v, i)
	}
	type bin struct {
		name string
		fn   func(k int, dst, a, b Vec)
		ref  func(x, y *big.Int) *big.Int
	}
	bins := []bin{
		{"add", AddVec, func(x, y *big.Int) *big.Int { return new(big.Int).Add(x, y) }},
		{"sub", SubVec, func(x, y *big.Int) *big.Int { return new(big.Int).Sub(x, y) }},
		{"mul", MulVec, func(x, y *big.Int) *big.Int { return new(big.Int).Mul(x, y) }},
		{"and", AndVec, func(x, y *big.Int) *big.Int { return new(big.Int).And(x, y) }},
		{"or", OrVec, func(x, y *big.Int) *big.Int { return new(big.Int).Or(x, y) }},
		{"xor", XorVec, func(x, y *big.Int) *big.Int { return new(big.Int).Xor(x, y) }},
		{"lt", LtVec, func(x, y *big.Int) *big.Int { return exRefBool(x.Cmp(y) < 0) }},
		{"le", LeVec, func(x, y *big.Int) *big.Int { return exRefBool(x.Cmp(y) <= 0) }},
		{"eq", EqVec, func(x, y *big.Int) *big.Int { return exRefBool(x.Cmp(y) == 0) }},
		{"ne", NeVec, func(x, y *big.Int) *big.Int { return exRefBool(x.Cmp(y) != 0) }},
		{"floordiv", FloorDivVec, func(x, y *big.Int) *big.Int {
			if y.Sign() == 0 {
				return new(big.Int)
			}
			q, _ := exRefFloorDiv(x, y)
			return q
		}},
		{"floormod", FloorModVec, func(x, y *big.Int) *big.Int {
			if y.Sign() == 0 {
				return new(big.Int)
			}
			_, r := exRefFloorDiv(x, y)
			return r
		}},
		{"fixdiv", func(k int, dst, a, b Vec) { FixDivVec(k, f, dst, a, b) }, func(x, y *big.Int) *big.Int {
			if y.Sign() == 0 {
				return new(big.Int)
			}
			q, _ := exRefFloorDiv(new(big.Int).Lsh(x, uint(f)), y)
			return q
		}},
		{"pow", func(k int, dst, a, b Vec) {
			e := NewVec(k, b.Len())
			AndVec(k, e, b, VecOf(k, 0xff)) // small non-negative exponents
			PowVec(k, dst, a, e)
		}, func(x, y *big.Int) *big.Int {
			e := new(big.Int).And(y, big.NewInt(0xff))
			return new(big.Int).Exp(new(big.Int).Mod(x, exRefMod(k)), e, exRefMod(k))
		}},
		{"shl", func(k int, dst, a, b Vec) {
			s := NewVec(k, b.Len())
			AndVec(k, s, b, VecOf(k, int64(k-1)))
			ShlVec(k, dst, a, s)
		}, func(x, y *big.Int) *big.Int {
			return new(big.Int).Lsh(x, uint(new(big.Int).And(y, big.NewInt(int64(k-1))).Int64()))
		}},
		{"sar", func(k int, dst, a, b Vec) {
			s := NewVec(k, b.Len())
			AndVec(k, s, b, VecOf(k, int64(k-1)))
			SarVec(k, dst, a, s)
		}, func(x, y *big.Int) *big.Int {
			return new(big.Int).Rsh(x, uint(new(big.Int).And(y, big.NewInt(int64(k-1))).Int64()))
		}},
	}
	for _, c := range bins {
		dst := NewVec(k, n)
		c.fn(k, dst, a, b)
		for i := 0; i < n; i++ {
			want := exRefWrap(k, c.ref(exAt(a, i), exAt(b, i)))
			if got := ElemBig(k, dst, i); got.Cmp(want) != 0 {
				t.Fatalf("k=%d %s(%v, %v) = %v, want %v", k, c.name, exAt(a, i), exAt(b, i), got, want)
			}
		}
	}
	// in place: dst aliases a
	if a.Len() == n {
		c := CloneVec(a)
		AddVec(k, c, c, b)
		for i := 0; i < n; i++ {
			want := exRefWrap(k, new(big.Int).Add(exAt(a, i), exAt(b, i)))
			if got := ElemBig(k, c, i); got.Cmp(want) != 0 {
				t.Fatalf("k=%d in-place add = %v, want %v", k, got, want)
			}
		}
	}

	type un struct {
		name string
		fn   func(k int, dst, a Vec)
		ref  func(x *big.Int) *big.Int
	}
	m := uint(5)
	if b.Len() > 0 {
		m = uint(ElemBig(k, b, 0).Int64()&int64(k-1)) % uint(k)
	}
	uns := []un{
		{"neg", NegVec, func(x *big.Int) *big.Int { return new(big.Int).Neg(x) }},
		{"not", NotVec, func(x *big.Int) *big.Int { return new(big.Int).Not(x) }},
		{"ltz", LtzVec, func(x *big.Int) *big.Int { return exRefBool(x.Sign() < 0) }},
		{"eqz", EqzVec, func(x *big.Int) *big.Int { return exRefBool(x.Sign() == 0) }},
		{"sarconst", func(k int, dst, a Vec) { SarConst(k, dst, a, m) }, func(x *big.Int) *big.Int { return new(big.Int).Rsh(x, m) }},
	}
	for _, c := range uns {
		dst := NewVec(k, a.Len())
		c.fn(k, dst, a)
		for i := 0; i < a.Len(); i++ {
			want := exRefWrap(k, c.ref(exAt(a, i)))
			if got := ElemBig(k, dst, i); got.Cmp(want) != 0 {
				t.Fatalf("k=%d %s(%v) = %v, want %v", k, c.name, exAt(a, i), got, want)
			}
		}
	}

	// select, with a as the condition
	dst := NewVec(k, n)
	SelVec(k, dst, a, b, a)
	for i := 0; i < n; i++ {
		want := exAt(a, i)
		if want.Sign() != 0 {
			want = exAt(b, i)
		}
		if got := ElemBig(k, dst, i); got.Cmp(want) != 0 {
			t.Fatalf("k=%d sel = %v, want %v", k, got, want)
		}
	}

	// reductions
	sum, dot := new(big.Int), new(big.Int)
	for i := 0; i < a.Len(); i++ {
		sum.Add(sum, exAt(a, i))
	}
	for i := 0; i < n; i++ {
		dot.Add(dot, new(big.Int).Mul(exAt(a, i), exAt(b, i)))
	}
	s := NewVec(k, 1)
	SumVec(k, s, a)
	if got, want := ElemBig(k, s, 0), exRefWrap(k, sum); got.Cmp(want) != 0 {
		t.Fatalf("k=%d sum = %v, want %v", k, got, want)
	}
	DotVec(k, s, a, b)
	if got, want := ElemBig(k, s, 0), exRefWrap(k, dot); got.Cmp(want) != 0 {
		t.Fatalf("k=%d dot = %v, want %v", k, got, want)
	}

	// word conversions and word kernels
	for w := 0; w < 2; w++ {
		words := NewWords(a.Len())
		ExtractWordVec(k, words, a, w)
		for i := 0; i < a.Len(); i++ {
			if got, want := words.Lo[i], exRefWord(k, exAt(a, i), w); got != want {
				t.Fatalf("k=%d word %d of %v = %#x, want %#x", k, w, exAt(a, i), got, want)
			}
		}
	}
	ring := NewVec(k, a.Len())
	WordToRingVec(k, ring, Vec{Lo: a.Lo})
	for i := 0; i < a.Len(); i++ {
		if got, want := ElemBig(k, ring, i), big.NewInt(int64(a.Lo[i])); got.Cmp(want) != 0 {
			t.Fatalf("k=%d b2a(%#x) = %v, want %v", k, a.Lo[i], got, want)
		}
	}
	wm := m % 64
	for _, c := range []struct {
		name string
		fn   func(dst, a Vec, m uint)
		ref  func(x uint64) uint64
	}{
		{"shlw", ShlWords, func(x uint64) uint64 { return x << wm }},
		{"shrw", ShrWords, func(x uint64) uint64 { return x >> wm }},
		{"rotlw", RotlWords, func(x uint64) uint64 { return bits.RotateLeft64(x, int(wm)) }},
	} {
		dst := NewWords(a.Len())
		c.fn(dst, Vec{Lo: a.Lo}, wm)
		for i := range dst.Lo {
			if want := c.ref(a.Lo[i]); dst.Lo[i] != want {
				t.Fatalf("%s(%#x, %d) = %#x, want %#x", c.name, a.Lo[i], wm, dst.Lo[i], want)
			}
		}
	}
}

func TestKernelsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{64, 128} {
		f := 16
		if k == 128 {
			f = 24
		}
		for iter := 0; iter < 200; iter++ {
			n := 1 + r.IntN(8)
			xs, ys := make([]*big.Int, n), make([]*big.Int, n)
			for i := range xs {
				xs[i], ys[i] = exRandBig(r, k), exRandBig(r, k)
			}
			a, b := exBigVec(k, xs), exBigVec(k, ys)
			exCheckKernels(t, k, f, a, b)
			exCheckKernels(t, k, f, a, exBigVec(k, ys[:1])) // broadcast right
			exCheckKernels(t, k, f, exBigVec(k, xs[:1]), b) // broadcast left
		}
		// every pair of edge values
		ev := exEdgeValues(k)
		var xs, ys []*big.Int
		for _, x := range ev {
			for _, y := range ev {
				xs, ys = append(xs, x), append(ys, y)
			}
		}
		exCheckKernels(t, k, f, exBigVec(k, xs), exBigVec(k, ys))
		exCheckKernels(t, k, f, Vec{Lo: []uint64{}, Hi: NewVec(k, 0).Hi}, NewVec(k, 0))
	}
}

func TestU128DivMod(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	u := func(x rgU128) *big.Int {
		b := new(big.Int).SetUint64(x.hi)
		return b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.lo))
	}
	for i := 0; i < 20000; i++ {
		a := rgU128{r.Uint64(), r.Uint64()}
		b := rgU128{r.Uint64(), r.Uint64() >> uint(r.IntN(65))}
		if r.IntN(3) == 0 {
			b.hi = 0
			b.lo >>= uint(r.IntN(64))
		}
		if b.isZero() {
			continue
		}
		q, rem := a.udivmod(b)
		wq, wr := new(big.Int).QuoRem(u(a), u(b), new(big.Int))
		if u(q).Cmp(wq) != 0 || u(rem).Cmp(wr) != 0 {
			t.Fatalf("%v / %v = %v r %v, want %v r %v", u(a), u(b), u(q), u(rem), wq, wr)
		}
	}
}

func TestBroadcastLen(t *testing.T) {
	for _, c := range []struct {
		lens []int
		n    int
		ok   bool
	}{
		{[]int{3, 3}, 3, true}, {[]int{1, 5}, 5, true}, {[]int{5, 1}, 5, true},
		{[]int{1, 1}, 1, true}, {[]int{0, 1}, 0, true}, {[]int{0, 0}, 0, true},
		{[]int{3, 5}, 0, false}, {[]int{0, 3}, 0, false}, {[]int{1, 4, 4}, 4, true},
		{[]int{4, 1, 2}, 0, false},
	} {
		n, ok := BroadcastLen(c.lens...)
		if n != c.n || ok != c.ok {
			t.Errorf("BroadcastLen(%v) = %d, %v; want %d, %v", c.lens, n, ok, c.n, c.ok)
		}
	}
}

// FuzzKernels holds every generic kernel equal to math/big on fuzzed
// elements; SIMD paths will be held equal to these kernels the same way.
func FuzzKernels(f *testing.F) {
	f.Add(false, []byte{1, 2, 3})
	f.Add(true, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0, 0, 0, 0x80})
	f.Add(true, make([]byte, 64))
	f.Fuzz(func(t *testing.T, wide bool, data []byte) {
		k, fb := 64, 16
		if wide {
			k, fb = 128, 24
		}
		word := func(i int) uint64 {
			var b [8]byte
			copy(b[:], data[min(i, len(data)):])
			return binary.LittleEndian.Uint64(b[:])
		}
		n := max(1, len(data)/32)
		a, b := NewVec(k, n), NewVec(k, n)
		for i := 0; i < n; i++ {
			a.Lo[i], b.Lo[i] = word(32*i), word(32*i+16)
			if k == 128 {
				a.Hi[i], b.Hi[i] = word(32*i+8), word(32*i+24)
			}
		}
		exCheckKernels(t, k, fb, a, b)
		bb := Vec{Lo: b.Lo[:1]}
		if k == 128 {
			bb.Hi = b.Hi[:1]
		}
		exCheckKernels(t, k, fb, a, bb)
	})
}
