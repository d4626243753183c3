package runtime

import (
	"context"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// ---- the rounds of this engine's protocols ----

func log2i(n int) int { return bits.Len(uint(n)) - 1 }

// shrRounds is the rounds of an exact shift by m (m in [1, k)).
func shrRoundsM(k, m int) int {
	if m == k-1 {
		return log2i(k)
	}
	return max(3, 2+log2i(cmpWindows(m))) // one window: the injection after the window round
}

// engineRounds is what each interactive opcode costs in this engine (for
// ASHR and ATRUNC with the ring's default fractional bits F).
func engineRounds(op vm.Opcode, k int) int {
	switch op {
	case vm.AMUL, vm.ADOT, vm.BAND, vm.AOPEN, vm.BOPEN, vm.B2A:
		return 1
	case vm.ALTZ, vm.AEQZ:
		return log2i(k)
	case vm.ASHR, vm.ATRUNC:
		return shrRoundsM(k, defaultF(k))
	case vm.AIDIV:
		return 1 + log2i(k)
	case vm.A2B:
		return 1 + log2i(k/4) // word 1 of a 128-bit ring; word 0 is 5
	}
	return -1
}

func defaultF(k int) int {
	if k == 64 {
		return 16
	}
	return 24
}

// ---- groups of test vectors ----

// testGroups returns operand groups of different lengths with broadcasting:
// (x, y) pairs of lengths (n, n), (n2, 1), (1, n3).
func testGroups(k int, full bool, seed uint64) (xs, ys []vm.Vec) {
	rng := testRNG(seed)
	n := 2 * len(edgeValues(k, true))
	xs = []vm.Vec{testVec(k, n, full, rng), testVec(k, 7, full, rng), testVec(k, 1, full, rng)}
	ys = []vm.Vec{testVec(k, n, full, rng), testVec(k, 1, full, rng), testVec(k, 5, full, rng)}
	// the second operand in reverse order, so that edge meets edge
	for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
		y := ys[0]
		a, b := vm.ElemBig(k, y, i), vm.ElemBig(k, y, j)
		vm.SetElemBig(k, y, i, b)
		vm.SetElemBig(k, y, j, a)
	}
	return xs, ys
}

func TestMulDot(t *testing.T) {
	ctx := context.Background()
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			es := testEngines(t, k, 16, [3]InputSource{})
			pe := vm.NewPlainEngine(k, 16, nil)
			xs, ys := testGroups(k, true, 11)
			xsh, ysh := dealA(t, k, xs, 1), dealA(t, k, ys, 2)
			total := 0
			for g := range xs {
				total += max(xs[g].Len(), ys[g].Len())
			}
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.Mul(ctx, xsh[e.me], ysh[e.me])
				})
			})
			want, _ := pe.Mul(ctx, plainShares(xs), plainShares(ys))
			for g := range xs {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("Mul group %d", g), xs[g], ys[g])
			}
			require.EqualValues(t, 1, d.rounds)
			require.EqualValues(t, 3*total*k/8, d.bytes, "one element per party and product")

			d = measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.Dot(ctx, xsh[e.me], ysh[e.me])
				})
			})
			want, _ = pe.Dot(ctx, plainShares(xs), plainShares(ys))
			for g := range xs {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("Dot group %d", g))
			}
			require.EqualValues(t, 1, d.rounds)
			require.EqualValues(t, 3*len(xs)*k/8, d.bytes, "one element per party and dot product")

			// empty vectors
			e0 := []vm.Vec{vm.NewVec(k, 0)}
			es0 := dealA(t, k, e0, 3)
			got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
				return e.Dot(ctx, es0[e.me], es0[e.me])
			})
			requireSameVec(t, k, vm.NewVec(k, 1), reconA(t, k, got, 0), "empty dot")
		})
	}
}

func TestBAndOpen(t *testing.T) {
	ctx := context.Background()
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			es := testEngines(t, k, 16, [3]InputSource{})
			pe := vm.NewPlainEngine(k, 16, nil)
			rng := testRNG(5)
			xs := []vm.Vec{testWords(50, rng), testWords(1, rng), testWords(9, rng)}
			ys := []vm.Vec{testWords(50, rng), testWords(6, rng), testWords(1, rng)}
			xsh, ysh := dealB(t, xs, 1), dealB(t, ys, 2)
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.BAnd(ctx, xsh[e.me], ysh[e.me])
				})
			})
			want, _ := pe.BAnd(ctx, plainShares(xs), plainShares(ys))
			for g := range xs {
				requireSameWords(t, want[g][0], reconB(t, got, g), fmt.Sprintf("BAnd %d", g))
			}
			require.EqualValues(t, 1, d.rounds)
			require.EqualValues(t, 3*(50+6+9)*8, d.bytes)

			// BOpen
			var opened [3][]vm.Vec
			d = measure(es, func() {
				opened = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Vec, error) {
					return e.BOpen(ctx, xsh[e.me])
				})
			})
			wantB, _ := pe.BOpen(ctx, plainShares(xs))
			for p := range 3 {
				for g := range xs {
					requireSameVec(t, k, wantB[g], opened[p][g], "BOpen")
				}
			}
			require.EqualValues(t, 1, d.rounds)
			require.EqualValues(t, 3*(50+1+9)*8, d.bytes)

			// Open
			as, _ := testGroups(k, true, 7)
			ash := dealA(t, k, as, 3)
			d = measure(es, func() {
				opened = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Vec, error) {
					return e.Open(ctx, ash[e.me])
				})
			})
			wantA, _ := pe.Open(ctx, plainShares(as))
			n := 0
			for p := range 3 {
				for g := range as {
					requireSameVec(t, k, wantA[g], opened[p][g], "Open")
				}
			}
			for _, a := range as {
				n += a.Len()
			}
			require.EqualValues(t, 1, d.rounds)
			require.EqualValues(t, 3*n*k/8, d.bytes)
		})
	}
}

// unaryCase is an interactive operation on A shares with one operand.
type unaryCase struct {
	name   string
	full   bool // inputs over the whole ring (else [-2^(k-2), 2^(k-2)))
	three  func(e *Engine, ctx context.Context, x []vm.Share) ([]vm.Share, error)
	plain  func(pe *vm.PlainEngine, ctx context.Context, x []vm.Share) ([]vm.Share, error)
	rounds func(k int) int
}

func runUnary(t *testing.T, c unaryCase) {
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprintf("%s/%d", c.name, k), func(t *testing.T) { runUnaryK(t, c, k, uint64(k)+17, 4) })
	}
}

func TestLTZ(t *testing.T) {
	runUnary(t, unaryCase{name: "LTZ", full: true,
		three:  (*Engine).LTZ,
		plain:  (*vm.PlainEngine).LTZ,
		rounds: func(k int) int { return engineRounds(vm.ALTZ, k) }})
}

// TestCompareLong runs LTZ and EQZ on vectors long enough for three
// segments of several injection keystream chunks each, with zeros.
func TestCompareLong(t *testing.T) {
	ctx := context.Background()
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, defaultF(k), [3]InputSource{})
		pe := vm.NewPlainEngine(k, defaultF(k), nil)
		x := testVec(k, 3*64*41+17, true, testRNG(uint64(k)+31))
		for i := 0; i < x.Len(); i += 7 {
			setRingElem(x, i, u128{})
		}
		xsh := dealA(t, k, []vm.Vec{x}, 5)
		for _, op := range []struct {
			name  string
			three func(*Engine, context.Context, []vm.Share) ([]vm.Share, error)
			plain func(*vm.PlainEngine, context.Context, []vm.Share) ([]vm.Share, error)
		}{{"LTZ", (*Engine).LTZ, (*vm.PlainEngine).LTZ}, {"EQZ", (*Engine).EQZ, (*vm.PlainEngine).EQZ}} {
			got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
				return op.three(e, ctx, xsh[e.me])
			})
			want, err := op.plain(pe, ctx, plainShares([]vm.Vec{x}))
			require.NoError(t, err)
			requireSameVec(t, k, want[0][0], reconA(t, k, got, 0), fmt.Sprintf("%s k=%d", op.name, k), x)
		}
	}
}

func TestEQZ(t *testing.T) {
	runUnary(t, unaryCase{name: "EQZ", full: true,
		three:  (*Engine).EQZ,
		plain:  (*vm.PlainEngine).EQZ,
		rounds: func(k int) int { return engineRounds(vm.AEQZ, k) }})
	// many zeros and near-zeros
	k := 64
	es := testEngines(t, k, 16, [3]InputSource{})
	x := vm.VecOf(k, 0, 0, 1, -1, 0, 1<<62, -1<<63, 2, 0)
	xsh := dealA(t, k, []vm.Vec{x}, 8)
	got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.EQZ(ctx, xsh[e.me]) })
	requireSameVec(t, k, vm.VecOf(k, 1, 1, 0, 0, 1, 0, 0, 0, 1), reconA(t, k, got, 0), "EQZ zeros")
}

func TestShrTrunc(t *testing.T) {
	for _, k := range []int{64, 128} {
		for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 13, 16, 24, 31, 32, 33, 40, 63, k - 3, k - 2, k - 1} {
			if m >= k {
				continue
			}
			ms := func(x []vm.Share) []uint { return slices.Repeat([]uint{uint(m)}, len(x)) }
			three := func(e *Engine, ctx context.Context, x []vm.Share) ([]vm.Share, error) {
				return e.Shr(ctx, x, ms(x))
			}
			plain := func(pe *vm.PlainEngine, ctx context.Context, x []vm.Share) ([]vm.Share, error) {
				return pe.Shr(ctx, x, ms(x))
			}
			t.Run(fmt.Sprintf("m%d", m), func(t *testing.T) {
				c := unaryCase{name: "Shr", three: three, plain: plain,
					rounds: func(kk int) int { return shrRoundsM(kk, m) }}
				// run only for this k
				runUnaryK(t, c, k, uint64(k)+23, 6)
			})
		}
	}
	// ATRUNC is the same protocol; mixed shift amounts in one instruction
	// (including m = 0) take the rounds of the largest.
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprintf("mixed/%d", k), func(t *testing.T) {
			ctx := context.Background()
			es := testEngines(t, k, defaultF(k), [3]InputSource{})
			pe := vm.NewPlainEngine(k, defaultF(k), nil)
			xs, ys := testGroups(k, false, 99)
			xs = append(xs, ys...)
			ms := []uint{uint(defaultF(k)), 0, 3, 1, uint(k - 2), 9}
			xsh := dealA(t, k, xs, 5)
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.Trunc(ctx, xsh[e.me], ms)
				})
			})
			want, _ := pe.Trunc(ctx, plainShares(xs), ms)
			for g := range xs {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("Trunc group %d m=%d", g, ms[g]), xs[g])
			}
			require.EqualValues(t, shrRoundsM(k, k-2), d.rounds)
			// all m = 0: a copy, no communication
			d = measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.Shr(ctx, xsh[e.me][:1], []uint{0})
				})
			})
			requireSameVec(t, k, xs[0], reconA(t, k, got, 0), "Shr 0")
			require.Zero(t, d.rounds)
		})
	}
}

// runUnaryK checks c in ring k on the test groups of seed, dealt with
// dealSeed, against the reference (and its rounds).
func runUnaryK(t *testing.T, c unaryCase, k int, seed, dealSeed uint64) {
	ctx := context.Background()
	es := testEngines(t, k, defaultF(k), [3]InputSource{})
	pe := vm.NewPlainEngine(k, defaultF(k), nil)
	xs, _ := testGroups(k, c.full, seed)
	xsh := dealA(t, k, xs, dealSeed)
	var got [3][]vm.Share
	d := measure(es, func() {
		got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			return c.three(e, ctx, xsh[e.me])
		})
	})
	want, err := c.plain(pe, ctx, plainShares(xs))
	require.NoError(t, err)
	for g := range xs {
		requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("%s group %d", c.name, g), xs[g])
	}
	if c.rounds != nil {
		require.EqualValues(t, c.rounds(k), d.rounds, "rounds")
	}
}

func TestIDiv(t *testing.T) {
	for _, k := range []int{64, 128} {
		q := bigPow2(k - 2)
		divs := []*big.Int{big.NewInt(1), big.NewInt(-1), big.NewInt(2), big.NewInt(3), big.NewInt(-3),
			big.NewInt(7), big.NewInt(10), big.NewInt(-1000), big.NewInt(1 << 16), big.NewInt(12345678901),
			new(big.Int).Sub(bigPow2(k-3), big.NewInt(1)), bigPow2(k - 3), new(big.Int).Neg(bigPow2(k - 3)),
			new(big.Int).Add(bigPow2(k-3), big.NewInt(5)), q, new(big.Int).Neg(q), new(big.Int).Sub(q, big.NewInt(1)),
			new(big.Int).Add(q, big.NewInt(1)), new(big.Int).Neg(new(big.Int).Add(bigPow2(k-3), big.NewInt(1))),
			vm.RingMax(k), vm.RingMin(k), new(big.Int).Add(vm.RingMin(k), big.NewInt(1)), bigPow2(62)}
		if k == 128 {
			divs = append(divs, bigPow2(63), bigPow2(64), new(big.Int).Sub(bigPow2(64), big.NewInt(1)), bigPow2(70), new(big.Int).Neg(bigPow2(100)))
		}
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			ctx := context.Background()
			es := testEngines(t, k, defaultF(k), [3]InputSource{})
			pe := vm.NewPlainEngine(k, defaultF(k), nil)
			rng := testRNG(77)
			var xs, ds []vm.Vec
			for _, dv := range divs {
				xs = append(xs, testVec(k, 2*len(edgeValues(k, false)), false, rng))
				d := vm.NewVec(k, 1)
				vm.SetElemBig(k, d, 0, dv)
				ds = append(ds, d)
			}
			// a vector of divisors, elementwise
			xs = append(xs, testVec(k, len(divs), false, rng))
			dv := vm.NewVec(k, len(divs))
			for i, x := range divs {
				vm.SetElemBig(k, dv, i, x)
			}
			ds = append(ds, dv)
			// a scalar dividend over a vector of divisors
			xs = append(xs, vm.VecOf(k, -12345))
			ds = append(ds, dv)
			xsh := dealA(t, k, xs, 9)
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.IDiv(ctx, xsh[e.me], ds)
				})
			})
			want, _ := pe.IDiv(ctx, plainShares(xs), ds)
			for g := range xs {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("IDiv group %d (d=%s)", g, vm.ElemBig(k, ds[g], 0)), xs[g], ds[g])
			}
			require.EqualValues(t, engineRounds(vm.AIDIV, k), d.rounds)
		})
	}
}

func TestA2B(t *testing.T) {
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			ctx := context.Background()
			es := testEngines(t, k, 16, [3]InputSource{})
			pe := vm.NewPlainEngine(k, 16, nil)
			xs, _ := testGroups(k, true, 31)
			xsh := dealA(t, k, xs, 1)
			for _, ws := range [][]uint{{0, 0, 0}, {1, 1, 1}, {0, 1, 0}} {
				var got [3][]vm.Share
				d := measure(es, func() {
					got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
						return e.A2B(ctx, xsh[e.me], ws)
					})
				})
				want, _ := pe.A2B(ctx, plainShares(xs), ws)
				for g := range xs {
					requireSameWords(t, want[g][0], reconB(t, got, g), fmt.Sprintf("A2B w=%v group %d", ws, g))
				}
				wantRounds := 5
				if k == 128 && (ws[1] == 1) {
					wantRounds = 6
				}
				require.EqualValues(t, wantRounds, d.rounds, "A2B %v", ws)
			}
		})
	}
}

func TestB2A(t *testing.T) {
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			ctx := context.Background()
			es := testEngines(t, k, 16, [3]InputSource{})
			pe := vm.NewPlainEngine(k, 16, nil)
			rng := testRNG(3)
			xs := []vm.Vec{testWords(40, rng), testWords(1, rng), testWords(3, rng)}
			xsh := dealB(t, xs, 1)
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.B2A(ctx, xsh[e.me])
				})
			})
			want, _ := pe.B2A(ctx, plainShares(xs))
			for g := range xs {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("B2A group %d", g))
			}
			require.EqualValues(t, 1, d.rounds)
		})
	}
}

// TestWindowFuncs checks the window functions (term tables and generated
// evaluators) against direct evaluation on every pair of 4-bit windows: a
// window round without masks (U's monomials in the clear, withConst) must
// give G, P, equality and the in-window prefixes.
func TestWindowFuncs(t *testing.T) {
	gen := func(a, b, t int) (g, p int) {
		for i := 0; i <= t; i++ {
			ai, bi := a>>i&1, b>>i&1
			g = ai&bi | (ai^bi)&g
		}
		p = 1
		for i := 0; i <= t; i++ {
			p &= (a ^ b) >> i & 1
		}
		return g, p
	}
	// lane a*16+b of the rows holds the pair (a, b); 4 blocks of 64 lanes
	eval := func(f *winFn, o int) [256]int {
		var res [256]int
		off := f.L - 4 // the pair in the top window
		for blk := range 4 {
			ra, rb := make([]uint64, f.L), make([]uint64, f.L)
			for l := range 64 {
				ab := 64*blk + l
				a, b := ab>>4, ab&15
				for i := range 4 {
					ra[off+i] |= uint64(a>>i&1) << l
					rb[off+i] |= uint64(b>>i&1) << l
				}
			}
			mono := make([]uint64, f.M)
			for j, w := range f.w {
				monoWords(mono[f.mono[j]:], ra[f.off[j]:], w)
			}
			out := make([]uint64, len(f.outs))
			f.evalBlock(out, mono, rb, true)
			for l := range 64 {
				res[64*blk+l] = int(out[o] >> l & 1)
			}
		}
		return res
	}
	gp, eq, pre := gpFn(8, 2), eqFn(4, 1), prefixFn(4)
	g1, p1, e0 := eval(gp, 1), eval(gp, 2), eval(eq, 0)
	g0 := eval(gpFn(4, 1), 0)
	var preG, preP [4][256]int
	var xr [4][256]int
	for tt := range 4 {
		preG[tt], preP[tt] = eval(pre, tt), eval(pre, 4+tt)
		if tt > 0 {
			xr[tt] = eval(pre, 7+tt)
		}
	}
	for a := range 16 {
		for b := range 16 {
			ab := 16*a + b
			g, p := gen(a, b, 3)
			require.Equal(t, g, g1[ab], "G a=%d b=%d", a, b)
			require.Equal(t, g, g0[ab], "G_0 a=%d b=%d", a, b)
			require.Equal(t, p, p1[ab], "P a=%d b=%d", a, b)
			require.Equal(t, b0(a == b^15), e0[ab], "Eq")
			for tt := range 4 {
				g, p := gen(a, b, tt)
				require.Equal(t, g, preG[tt][ab])
				require.Equal(t, p, preP[tt][ab])
				if tt > 0 {
					require.Equal(t, (a^b)>>tt&1, xr[tt][ab])
				}
			}
		}
	}
}

func b0(c bool) int {
	if c {
		return 1
	}
	return 0
}

// TestCosts measures the rounds and the bytes per element (all three
// parties together) of every primitive on 1000 elements, checks the rounds
// against engineRounds, and prints the table of docs/protocols.md (go test
// -run TestCosts -v).
func TestCosts(t *testing.T) {
	const n = 1000
	for _, k := range []int{64, 128} {
		f := defaultF(k)
		es := testEngines(t, k, f, [3]InputSource{})
		rng := testRNG(8)
		x, y := testVec(k, n, false, rng), testVec(k, n, false, rng)
		xs, ys := dealA(t, k, []vm.Vec{x}, 1), dealA(t, k, []vm.Vec{y}, 2)
		w := testWords(n, rng)
		ws := dealB(t, []vm.Vec{w}, 3)
		d3 := vm.NewVec(k, 1)
		vm.SetElemBig(k, d3, 0, big.NewInt(3))
		type prim struct {
			name string
			op   vm.Opcode
			run  func(ctx context.Context, e *Engine) error
		}
		ign := func(_ any, err error) error { return err }
		prims := []prim{
			{"Mul (AMUL)", vm.AMUL, func(ctx context.Context, e *Engine) error { return ign(e.Mul(ctx, xs[e.me], ys[e.me])) }},
			{"Dot (ADOT), per dot product", vm.ADOT, func(ctx context.Context, e *Engine) error { return ign(e.Dot(ctx, xs[e.me], ys[e.me])) }},
			{"Open (AOPEN)", vm.AOPEN, func(ctx context.Context, e *Engine) error { return ign(e.Open(ctx, xs[e.me])) }},
			{"BAnd (BAND)", vm.BAND, func(ctx context.Context, e *Engine) error { return ign(e.BAnd(ctx, ws[e.me], ws[e.me])) }},
			{"BOpen (BOPEN)", vm.BOPEN, func(ctx context.Context, e *Engine) error { return ign(e.BOpen(ctx, ws[e.me])) }},
			{"LTZ (ALTZ)", vm.ALTZ, func(ctx context.Context, e *Engine) error { return ign(e.LTZ(ctx, xs[e.me])) }},
			{"EQZ (AEQZ)", vm.AEQZ, func(ctx context.Context, e *Engine) error { return ign(e.EQZ(ctx, xs[e.me])) }},
			{fmt.Sprintf("Trunc/Shr by F = %d (ATRUNC, ASHR)", f), vm.ATRUNC, func(ctx context.Context, e *Engine) error {
				return ign(e.Trunc(ctx, xs[e.me], []uint{uint(f)}))
			}},
			{"Shr by k-2", 0, func(ctx context.Context, e *Engine) error { return ign(e.Shr(ctx, xs[e.me], []uint{uint(k - 2)})) }},
			{"IDiv by 3 (AIDIV)", vm.AIDIV, func(ctx context.Context, e *Engine) error { return ign(e.IDiv(ctx, xs[e.me], []vm.Vec{d3})) }},
			{"A2B word 0", vm.A2B, func(ctx context.Context, e *Engine) error { return ign(e.A2B(ctx, xs[e.me], []uint{0})) }},
			{"A2B word 1", 0, func(ctx context.Context, e *Engine) error { return ign(e.A2B(ctx, xs[e.me], []uint{1})) }},
			{"B2A", vm.B2A, func(ctx context.Context, e *Engine) error { return ign(e.B2A(ctx, ws[e.me])) }},
		}
		t.Logf("k = %d: primitive | rounds (opcode table) | bytes per element, all parties", k)
		for _, p := range prims {
			d := measure(es, func() {
				on3(t, es, func(ctx context.Context, e *Engine) (struct{}, error) { return struct{}{}, p.run(ctx, e) })
			})
			per := float64(d.bytes) / n
			if p.op == vm.ADOT {
				per = float64(d.bytes)
			}
			if p.op != 0 && p.op != vm.A2B {
				require.EqualValues(t, engineRounds(p.op, k), d.rounds, p.name)
			}
			table := "-"
			if p.op != 0 {
				table = fmt.Sprint(p.op.RoundsFor(k))
			}
			t.Logf("| %s | %d (%s) | %.1f |", p.name, d.rounds, table, per)
		}
	}
}

// structuredVec returns ±2^j + {-1, 0, 1} for every j < lim, the values
// whose carries run furthest.
func structuredVec(k, lim int) vm.Vec {
	var xs []*big.Int
	for j := 0; j < lim; j++ {
		for _, d := range []int64{-1, 0, 1} {
			p := new(big.Int).Add(bigPow2(j), big.NewInt(d))
			xs = append(xs, p, new(big.Int).Neg(p))
		}
	}
	v := vm.NewVec(k, len(xs))
	for i, x := range xs {
		vm.SetElemBig(k, v, i, x)
	}
	return v
}

// TestRandomized compares every comparison, shift, division and conversion
// with the reference on thousands of random and structured values.
func TestRandomized(t *testing.T) {
	ctx := context.Background()
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			es := testEngines(t, k, defaultF(k), [3]InputSource{})
			pe := vm.NewPlainEngine(k, defaultF(k), nil)
			rng := testRNG(uint64(1000 + k))
			full := []vm.Vec{testVec(k, 3000, true, rng), structuredVec(k, k-1)}
			lim := []vm.Vec{testVec(k, 3000, false, rng), structuredVec(k, k-2)}
			fsh, lsh := dealA(t, k, full, 1), dealA(t, k, lim, 2)
			type op struct {
				name  string
				in    []vm.Vec
				sh    [3][]vm.Share
				three func(ctx context.Context, e *Engine, x []vm.Share) ([]vm.Share, error)
				plain func(x []vm.Share) ([]vm.Share, error)
			}
			ms := []uint{uint(1 + rng.IntN(k-2)), uint(defaultF(k))}
			d := vm.NewVec(k, 3000)
			for i := range d.Lo {
				x := signExt(k, u128{rng.Uint64() >> rng.IntN(64), 0})
				if k == 128 && rng.IntN(3) == 0 {
					x = u128{rng.Uint64(), rng.Uint64() >> rng.IntN(64)}
				}
				if x.isZero() {
					x = u128{7, 0}
				}
				setRingElem(d, i, x)
			}
			ops := []op{
				{"LTZ", full, fsh, func(ctx context.Context, e *Engine, x []vm.Share) ([]vm.Share, error) { return e.LTZ(ctx, x) },
					func(x []vm.Share) ([]vm.Share, error) { return pe.LTZ(ctx, x) }},
				{"EQZ", full, fsh, func(ctx context.Context, e *Engine, x []vm.Share) ([]vm.Share, error) { return e.EQZ(ctx, x) },
					func(x []vm.Share) ([]vm.Share, error) { return pe.EQZ(ctx, x) }},
				{"Shr", lim, lsh, func(ctx context.Context, e *Engine, x []vm.Share) ([]vm.Share, error) { return e.Shr(ctx, x, ms) },
					func(x []vm.Share) ([]vm.Share, error) { return pe.Shr(ctx, x, ms) }},
			}
			for _, o := range ops {
				got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return o.three(ctx, e, o.sh[e.me]) })
				want, err := o.plain(plainShares(o.in))
				require.NoError(t, err)
				for g := range o.in {
					requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("%s group %d", o.name, g), o.in[g])
				}
			}
			// IDiv with random divisors, elementwise
			ds := []vm.Vec{d, vm.VecOf(k, 3)}
			got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.IDiv(ctx, lsh[e.me], ds) })
			want, _ := pe.IDiv(ctx, plainShares(lim), ds)
			for g := range lim {
				requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("IDiv group %d", g), lim[g], ds[g])
			}
			// A2B of both words, and B2A back of word 0
			for _, w := range []uint{0, 1} {
				got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.A2B(ctx, fsh[e.me], []uint{w, w})
				})
				want, _ := pe.A2B(ctx, plainShares(full), []uint{w, w})
				for g := range full {
					requireSameWords(t, want[g][0], reconB(t, got, g), fmt.Sprintf("A2B w=%d group %d", w, g))
				}
				back := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
					return e.B2A(ctx, got[e.me])
				})
				wantBack, _ := pe.B2A(ctx, want)
				for g := range full {
					requireSameVec(t, k, wantBack[g][0], reconA(t, k, back, g), fmt.Sprintf("B2A w=%d group %d", w, g))
				}
			}
		})
	}
}
