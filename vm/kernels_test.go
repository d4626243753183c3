package vm

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kernelCase describes one kernel for the tests: it writes outs slices (one
// for k = 64, Lo and Hi for k = 128), which it also reads when acc is set,
// reads ins slices, and ref computes one element with math/big from the
// unsigned values of the accumulator (acc only) and the operands.
type kernelCase struct {
	name   string
	family string // the fuzz target that covers it
	k      int
	outs   int
	ins    int
	acc    bool
	run    func(ks *kernelSet, out, in [][]uint64)
	ref    func(d *big.Int, x []*big.Int) *big.Int
}

func kbAdd(x, y *big.Int) *big.Int { return new(big.Int).Add(x, y) }
func kbMul(x, y *big.Int) *big.Int { return new(big.Int).Mul(x, y) }
func kbXor(x, y *big.Int) *big.Int { return new(big.Int).Xor(x, y) }
func kbAnd(x, y *big.Int) *big.Int { return new(big.Int).And(x, y) }

// kbCross is a0·b0 + a0·b1 + a1·b0 with the given product and sum.
func kbCross(x []*big.Int, mul, add func(x, y *big.Int) *big.Int) *big.Int {
	return add(add(mul(x[0], x[2]), mul(x[0], x[3])), mul(x[1], x[2]))
}

var kernelCases = []kernelCase{
	{"Add64", "arith64", 64, 1, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.add64(o[0], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbAdd(x[0], x[1]) }},
	{"Sub64", "arith64", 64, 1, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.sub64(o[0], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return new(big.Int).Sub(x[0], x[1]) }},
	{"Mul64", "arith64", 64, 1, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.mul64(o[0], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbMul(x[0], x[1]) }},
	{"MulAdd64", "arith64", 64, 1, 2, true,
		func(ks *kernelSet, o, i [][]uint64) { ks.mulAdd64(o[0], i[0], i[1]) },
		func(d *big.Int, x []*big.Int) *big.Int { return kbAdd(d, kbMul(x[0], x[1])) }},
	{"Neg64", "arith64", 64, 1, 1, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.neg64(o[0], i[0]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return new(big.Int).Neg(x[0]) }},
	{"CrossMul64", "arith64", 64, 1, 4, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.crossMul64(o[0], i[0], i[1], i[2], i[3]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbCross(x, kbMul, kbAdd) }},
	{"Xor64", "bool64", 64, 1, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.xor64(o[0], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbXor(x[0], x[1]) }},
	{"And64", "bool64", 64, 1, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.and64(o[0], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbAnd(x[0], x[1]) }},
	{"AndXor64", "bool64", 64, 1, 2, true,
		func(ks *kernelSet, o, i [][]uint64) { ks.andXor64(o[0], i[0], i[1]) },
		func(d *big.Int, x []*big.Int) *big.Int { return kbXor(d, kbAnd(x[0], x[1])) }},
	{"CrossAnd64", "bool64", 64, 1, 4, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.crossAnd64(o[0], i[0], i[1], i[2], i[3]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbCross(x, kbAnd, kbXor) }},
	{"Add128", "arith128", 128, 2, 4, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.add128(o[0], o[1], i[0], i[1], i[2], i[3]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbAdd(x[0], x[1]) }},
	{"Sub128", "arith128", 128, 2, 4, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.sub128(o[0], o[1], i[0], i[1], i[2], i[3]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return new(big.Int).Sub(x[0], x[1]) }},
	{"Mul128", "arith128", 128, 2, 4, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.mul128(o[0], o[1], i[0], i[1], i[2], i[3]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return kbMul(x[0], x[1]) }},
	{"MulAdd128", "arith128", 128, 2, 4, true,
		func(ks *kernelSet, o, i [][]uint64) { ks.mulAdd128(o[0], o[1], i[0], i[1], i[2], i[3]) },
		func(d *big.Int, x []*big.Int) *big.Int { return kbAdd(d, kbMul(x[0], x[1])) }},
	{"Neg128", "arith128", 128, 2, 2, false,
		func(ks *kernelSet, o, i [][]uint64) { ks.neg128(o[0], o[1], i[0], i[1]) },
		func(_ *big.Int, x []*big.Int) *big.Int { return new(big.Int).Neg(x[0]) }},
	{"CrossMul128", "arith128", 128, 2, 8, false,
		func(ks *kernelSet, o, i [][]uint64) {
			ks.crossMul128(o[0], o[1], i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7])
		},
		func(_ *big.Int, x []*big.Int) *big.Int { return kbCross(x, kbMul, kbAdd) }},
}

// kernelTestPaths returns the paths this CPU can run, generic first.
func kernelTestPaths(t testing.TB) []*kernelSet {
	var sets []*kernelSet
	for _, s := range kernelSets() {
		if s.ok {
			sets = append(sets, s)
		} else {
			t.Logf("kernels %s not tested: the CPU lacks %s", s.name, s.needs)
		}
	}
	return sets
}

var kernelTestLengths = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4097}

// kernelEdgeWords are the words where carries, borrows and the 32-bit halves
// of the emulated multiplies go wrong first.
var kernelEdgeWords = []uint64{
	0, 1, 2, 3, 1<<32 - 1, 1 << 32, 1<<32 + 1, 0xffff_ffff_0000_0000, 0x8000_0000,
	1<<63 - 1, 1 << 63, 1<<63 + 1, ^uint64(1), ^uint64(0), 0x5555_5555_5555_5555, 0xaaaa_aaaa_aaaa_aaaa,
}

// kernelWords returns n words, about a third of them edge words.
func kernelWords(r *rand.Rand, n int) []uint64 {
	xs := make([]uint64, n)
	for i := range xs {
		switch r.IntN(6) {
		case 0, 1:
			xs[i] = kernelEdgeWords[r.IntN(len(kernelEdgeWords))]
		case 2:
			xs[i] = uint64(r.Uint32())
		default:
			xs[i] = r.Uint64()
		}
	}
	return xs
}

// runKernelCase runs c on path ks with fresh copies of the accumulators
// acc0 and the inputs in. With alias set, the outputs are the first input
// slices themselves (dst == a), which every kernel allows; their initial
// contents are then the inputs', not acc0.
func runKernelCase(ks *kernelSet, c kernelCase, acc0, in [][]uint64, alias bool) [][]uint64 {
	ins := make([][]uint64, len(in))
	for j := range in {
		ins[j] = slices.Clone(in[j])
	}
	out := make([][]uint64, c.outs)
	for j := range out {
		switch {
		case alias:
			out[j] = ins[j]
		case acc0 != nil:
			out[j] = slices.Clone(acc0[j])
		default:
			out[j] = make([]uint64, len(in[0]))
			for i := range out[j] {
				out[j][i] = 0xdead_beef // must be overwritten
			}
		}
	}
	c.run(ks, out, ins)
	return out
}

// diffKernel reports the first element where got and want differ.
func diffKernel(got, want [][]uint64) (int, bool) {
	for j := range want {
		for i := range want[j] {
			if got[j][i] != want[j][i] {
				return i, true
			}
		}
	}
	return 0, false
}

func describeKernelElem(c kernelCase, acc0, in, got, want [][]uint64, i int) string {
	col := func(s [][]uint64) []string {
		var xs []string
		for _, x := range s {
			xs = append(xs, fmt.Sprintf("%#x", x[i]))
		}
		return xs
	}
	msg := fmt.Sprintf("element %d of %d: inputs %v", i, len(in[0]), col(in))
	if acc0 != nil {
		msg += fmt.Sprintf(", accumulator %v", col(acc0))
	}
	return msg + fmt.Sprintf(": got %v, want %v", col(got), col(want))
}

// checkKernelPaths holds every path equal to generic on one input.
func checkKernelPaths(t *testing.T, paths []*kernelSet, c kernelCase, acc0, in [][]uint64) {
	t.Helper()
	for _, alias := range []bool{false, true} {
		want := runKernelCase(genericKernels, c, acc0, in, alias)
		for _, ks := range paths[1:] {
			got := runKernelCase(ks, c, acc0, in, alias)
			if i, bad := diffKernel(got, want); bad {
				t.Fatalf("%s on %s (alias %v) differs from generic at %s", c.name, ks.name, alias,
					describeKernelElem(c, acc0, in, got, want, i))
			}
		}
	}
}

func kernelInputs(r *rand.Rand, c kernelCase, n int) (acc0, in [][]uint64) {
	in = make([][]uint64, c.ins)
	for j := range in {
		in[j] = kernelWords(r, n)
	}
	if c.acc {
		acc0 = make([][]uint64, c.outs)
		for j := range acc0 {
			acc0[j] = kernelWords(r, n)
		}
	}
	return acc0, in
}

func TestKernelPathsAgree(t *testing.T) {
	paths := kernelTestPaths(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			for _, n := range kernelTestLengths {
				for range 3 {
					acc0, in := kernelInputs(r, c, n)
					checkKernelPaths(t, paths, c, acc0, in)
				}
			}
		})
	}
}

// TestKernelEdgeProducts runs every kernel on all combinations of edge
// words in the first two operand words.
func TestKernelEdgeProducts(t *testing.T) {
	paths := kernelTestPaths(t)
	r := rand.New(rand.NewPCG(3, 4))
	e := kernelEdgeWords
	n := len(e) * len(e) // every pair, a multiple of every vector width
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			per := c.k / 64
			acc0, in := kernelInputs(r, c, n)
			for i := range n {
				x, y := e[i/len(e)], e[i%len(e)]
				for j := range in {
					// The low words of the operands alternate between x and
					// y; high words get random edge words.
					switch {
					case j%per != 0:
						in[j][i] = e[r.IntN(len(e))]
					case (j/per)%2 == 0:
						in[j][i] = x
					default:
						in[j][i] = y
					}
				}
				for j := range acc0 {
					acc0[j][i] = y
				}
			}
			checkKernelPaths(t, paths, c, acc0, in)
		})
	}
}

// kernelBig reads element i of the k-bit value held in words (one slice for
// k = 64, Lo and Hi for k = 128) as an unsigned integer.
func kernelBig(k int, words [][]uint64, i int) *big.Int {
	x := new(big.Int).SetUint64(words[0][i])
	if k == 128 {
		x.Or(x, new(big.Int).Lsh(new(big.Int).SetUint64(words[1][i]), 64))
	}
	return x
}

// TestKernelGenericReference checks the generic path, which the others are
// held to, against math/big.
func TestKernelGenericReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range kernelCases {
		t.Run(c.name, func(t *testing.T) {
			per := c.k / 64 // words per element
			acc0, in := kernelInputs(r, c, 300)
			got := runKernelCase(genericKernels, c, acc0, in, false)
			mod := new(big.Int).Lsh(big.NewInt(1), uint(c.k))
			for i := range 300 {
				xs := make([]*big.Int, c.ins/per)
				for j := range xs {
					xs[j] = kernelBig(c.k, in[j*per:], i)
				}
				var d *big.Int
				if c.acc {
					d = kernelBig(c.k, acc0, i)
				}
				want := new(big.Int).Mod(c.ref(d, xs), mod)
				if g := kernelBig(c.k, got, i); g.Cmp(want) != 0 {
					t.Fatalf("element %d: got %#x, want %#x", i, g, want)
				}
			}
		})
	}
}

func TestKernelUse(t *testing.T) {
	avail := AvailableKernels()
	require.Equal(t, "generic", avail[0])
	assert.Equal(t, avail[len(avail)-1], KernelsInUse(), "auto picks the best path")

	for _, name := range KernelNames() {
		restore, err := UseKernels(name)
		want := name
		if name == "auto" {
			want = avail[len(avail)-1]
		}
		if !slices.Contains(avail, want) {
			assert.Error(t, err, name)
			continue
		}
		require.NoError(t, err, name)
		assert.Equal(t, want, KernelsInUse())
		restore()
	}
	assert.Equal(t, avail[len(avail)-1], KernelsInUse(), "restore")

	restore, err := UseKernels("generic")
	require.NoError(t, err)
	restore2, err := UseKernels("sse9")
	assert.ErrorContains(t, err, "unknown kernels")
	assert.Nil(t, restore2)
	assert.Equal(t, "generic", KernelsInUse(), "a failed UseKernels changes nothing")
	restore()
}

// TestKernelExported runs the exported kernels on every path against the
// generic kernels, and checks that unequal lengths panic.
func TestKernelExported(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	n := 37
	w := func() []uint64 { return kernelWords(r, n) }
	a0, a1, b0, b1, c0, c1, d0, d1 := w(), w(), w(), w(), w(), w(), w(), w()
	acc0, acc1 := w(), w()
	type call struct {
		name    string
		exp     func(o0, o1 []uint64)
		generic func(o0, o1 []uint64)
	}
	calls := []call{
		{"Add64", func(o, _ []uint64) { Add64(o, a0, b0) }, func(o, _ []uint64) { add64Generic(o, a0, b0) }},
		{"Sub64", func(o, _ []uint64) { Sub64(o, a0, b0) }, func(o, _ []uint64) { sub64Generic(o, a0, b0) }},
		{"Mul64", func(o, _ []uint64) { Mul64(o, a0, b0) }, func(o, _ []uint64) { mul64Generic(o, a0, b0) }},
		{"MulAdd64", func(o, _ []uint64) { MulAdd64(o, a0, b0) }, func(o, _ []uint64) { mulAdd64Generic(o, a0, b0) }},
		{"Neg64", func(o, _ []uint64) { Neg64(o, a0) }, func(o, _ []uint64) { neg64Generic(o, a0) }},
		{"CrossMul64", func(o, _ []uint64) { CrossMul64(o, a0, a1, b0, b1) }, func(o, _ []uint64) { crossMul64Generic(o, a0, a1, b0, b1) }},
		{"Xor64", func(o, _ []uint64) { Xor64(o, a0, b0) }, func(o, _ []uint64) { xor64Generic(o, a0, b0) }},
		{"And64", func(o, _ []uint64) { And64(o, a0, b0) }, func(o, _ []uint64) { and64Generic(o, a0, b0) }},
		{"AndXor64", func(o, _ []uint64) { AndXor64(o, a0, b0) }, func(o, _ []uint64) { andXor64Generic(o, a0, b0) }},
		{"CrossAnd64", func(o, _ []uint64) { CrossAnd64(o, a0, a1, b0, b1) }, func(o, _ []uint64) { crossAnd64Generic(o, a0, a1, b0, b1) }},
		{"Add128", func(o, p []uint64) { Add128(o, p, a0, a1, b0, b1) }, func(o, p []uint64) { add128Generic(o, p, a0, a1, b0, b1) }},
		{"Sub128", func(o, p []uint64) { Sub128(o, p, a0, a1, b0, b1) }, func(o, p []uint64) { sub128Generic(o, p, a0, a1, b0, b1) }},
		{"Mul128", func(o, p []uint64) { Mul128(o, p, a0, a1, b0, b1) }, func(o, p []uint64) { mul128Generic(o, p, a0, a1, b0, b1) }},
		{"MulAdd128", func(o, p []uint64) { MulAdd128(o, p, a0, a1, b0, b1) }, func(o, p []uint64) { mulAdd128Generic(o, p, a0, a1, b0, b1) }},
		{"Neg128", func(o, p []uint64) { Neg128(o, p, a0, a1) }, func(o, p []uint64) { neg128Generic(o, p, a0, a1) }},
		{"CrossMul128", func(o, p []uint64) { CrossMul128(o, p, a0, a1, b0, b1, c0, c1, d0, d1) },
			func(o, p []uint64) { crossMul128Generic(o, p, a0, a1, b0, b1, c0, c1, d0, d1) }},
		{"Xor128", func(o, p []uint64) { Xor128(o, p, a0, a1, b0, b1) },
			func(o, p []uint64) { xor64Generic(o, a0, b0); xor64Generic(p, a1, b1) }},
		{"And128", func(o, p []uint64) { And128(o, p, a0, a1, b0, b1) },
			func(o, p []uint64) { and64Generic(o, a0, b0); and64Generic(p, a1, b1) }},
	}
	for _, name := range AvailableKernels() {
		restore, err := UseKernels(name)
		require.NoError(t, err)
		for _, c := range calls {
			o0, o1 := slices.Clone(acc0), slices.Clone(acc1)
			w0, w1 := slices.Clone(acc0), slices.Clone(acc1)
			c.exp(o0, o1)
			c.generic(w0, w1)
			assert.Equal(t, w0, o0, "%s on %s", c.name, name)
			assert.Equal(t, w1, o1, "%s on %s (high words)", c.name, name)
		}
		restore()
	}

	short := a0[:n-1]
	assert.PanicsWithValue(t, "vm: kernel operands differ in length: 37 vs 37, 36", func() { Add64(acc0, a0, short) })
	assert.Panics(t, func() { Neg64(short, a0) })
	assert.Panics(t, func() { Mul128(acc0, acc1, a0, a1, b0, short) })
	assert.Panics(t, func() { CrossMul128(acc0, acc1, a0, a1, b0, b1, c0, c1, d0, short) })
	assert.Panics(t, func() { CrossAnd64(acc0, a0, a1, b0, short) })
}

// TestKernelVecRouting checks the Vec kernels of ring_generic.go, which run
// dense operands on the active path, against their own reference loops, on
// every path, dense and broadcast, for both rings.
func TestKernelVecRouting(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	vec := func(k, n int) Vec {
		v := Vec{Lo: kernelWords(r, n)}
		if k == 128 {
			v.Hi = kernelWords(r, n)
		}
		return v
	}
	type op2 struct {
		name string
		f    func(k int, dst, a, b Vec)
		ref  func(x, y rgU128) rgU128
	}
	ops := []op2{
		{"Add", AddVec, rgU128.add},
		{"Sub", SubVec, rgU128.sub},
		{"Mul", MulVec, rgU128.mul},
		{"And", AndVec, func(x, y rgU128) rgU128 { return rgU128{x.lo & y.lo, x.hi & y.hi} }},
		{"Xor", XorVec, func(x, y rgU128) rgU128 { return rgU128{x.lo ^ y.lo, x.hi ^ y.hi} }},
		{"Neg", func(k int, dst, a, _ Vec) { NegVec(k, dst, a) }, func(x, _ rgU128) rgU128 { return x.neg() }},
	}
	for _, name := range AvailableKernels() {
		restore, err := UseKernels(name)
		require.NoError(t, err)
		for _, k := range []int{64, 128} {
			for _, n := range []int{0, 1, 13, 64} {
				for _, shape := range [][2]int{{n, n}, {1, n}, {n, 1}} {
					a, b := vec(k, shape[0]), vec(k, shape[1])
					for _, op := range ops {
						got, want := NewVec(k, n), NewVec(k, n)
						op.f(k, got, a, b)
						rgMap2(k, want, a, b, op.ref)
						assert.Equal(t, want, got, "%s k=%d n=%d shape %v on %s", op.name, k, n, shape, name)
						// In place: dst is a.
						if shape[0] == n {
							inplace := CloneVec(a)
							op.f(k, inplace, inplace, b)
							assert.Equal(t, want, inplace, "%s in place k=%d n=%d on %s", op.name, k, n, name)
						}
					}
				}
			}
		}
		restore()
	}
}

// ---- fuzzing: every path equal to generic (klauspost/compress FuzzDecAllNoBMI2) ----

func fuzzKernelFamily(f *testing.F, family string) {
	var cases []kernelCase
	slots := 0
	for _, c := range kernelCases {
		if c.family == family {
			cases = append(cases, c)
			slots = max(slots, c.outs+c.ins)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{0, 1, 5, 8, 17, 40} {
		f.Add(kernelBytes(kernelWords(r, n*slots)))
	}
	f.Add(kernelBytes(kernelEdgeWords))
	paths := kernelTestPaths(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		words := make([]uint64, (len(data)+7)/8)
		var buf [8]byte
		for i := range words {
			clear(buf[:])
			copy(buf[:], data[8*i:])
			words[i] = binary.LittleEndian.Uint64(buf[:])
		}
		n := len(words) / slots
		slot := func(s int) []uint64 { return words[s*n : (s+1)*n] }
		for _, c := range cases {
			var acc0 [][]uint64
			if c.acc {
				for j := range c.outs {
					acc0 = append(acc0, slot(j))
				}
			}
			in := make([][]uint64, c.ins)
			for j := range in {
				in[j] = slot(c.outs + j)
			}
			checkKernelPaths(t, paths, c, acc0, in)
		}
	})
}

func kernelBytes(words []uint64) []byte {
	b := make([]byte, 0, 8*len(words))
	for _, w := range words {
		b = binary.LittleEndian.AppendUint64(b, w)
	}
	return b
}

// FuzzKernelArith64 covers Add64, Sub64, Mul64, MulAdd64, Neg64, CrossMul64.
func FuzzKernelArith64(f *testing.F) { fuzzKernelFamily(f, "arith64") }

// FuzzKernelBool64 covers Xor64, And64, AndXor64, CrossAnd64.
func FuzzKernelBool64(f *testing.F) { fuzzKernelFamily(f, "bool64") }

// FuzzKernelArith128 covers Add128, Sub128, Mul128, MulAdd128, Neg128,
// CrossMul128.
func FuzzKernelArith128(f *testing.F) { fuzzKernelFamily(f, "arith128") }

// ---- benchmarks ----

// BenchmarkKernels runs every kernel on every path this CPU supports, at a
// size that stays in L1/L2 (compute-bound) and at n = 1<<20 (several MiB per
// operand: L3/memory-bound). SetBytes counts the operand bytes read and
// written (an accumulator twice); ns/elem is per ring element.
func BenchmarkKernels(b *testing.B) {
	paths := kernelTestPaths(b)
	r := rand.New(rand.NewPCG(13, 14))
	for _, c := range kernelCases {
		for _, n := range []int{1 << 12, 1 << 20} {
			acc0, in := kernelInputs(r, c, n)
			out := make([][]uint64, c.outs)
			for j := range out {
				out[j] = make([]uint64, n)
				if acc0 != nil {
					copy(out[j], acc0[j])
				}
			}
			touched := c.ins + c.outs
			if c.acc {
				touched += c.outs
			}
			for _, ks := range paths {
				b.Run(fmt.Sprintf("%s/%s/n=%d", c.name, ks.name, n), func(b *testing.B) {
					b.SetBytes(int64(8 * n * touched))
					for b.Loop() {
						c.run(ks, out, in)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
				})
			}
		}
	}
}
