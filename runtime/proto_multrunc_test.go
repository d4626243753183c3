package runtime

import (
	"context"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// mulTruncPairs returns operands whose products lie in [-2^(k-2), 2^(k-2)):
// the edge values times 1 (the range ends ±2^(k-2) among them), 0, ±1
// times edges, then random pairs of random magnitudes and signs.
func mulTruncPairs(k, n int, rng *mrand.Rand) (x, y vm.Vec) {
	x, y = vm.NewVec(k, n), vm.NewVec(k, n)
	edges := edgeValues(k, false)
	q := bigPow2(k - 2)
	rnd := func(b int) *big.Int {
		v := new(big.Int).SetUint64(rng.Uint64())
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(rng.Uint64()))
		v.Rsh(v, uint(128-b))
		if rng.IntN(2) == 0 {
			v.Neg(v)
		}
		return v
	}
	for i := range n {
		var a, b *big.Int
		switch {
		case i < len(edges):
			a, b = edges[i], big.NewInt(1)
		case i < 2*len(edges):
			a, b = big.NewInt(1), edges[i-len(edges)]
		case i < 3*len(edges):
			// -1 times an edge (-(-2^(k-2)) is out of range: 0 instead)
			a, b = big.NewInt(-1), edges[i-2*len(edges)]
			if b.Cmp(new(big.Int).Neg(q)) == 0 {
				a = big.NewInt(0)
			}
		default:
			ba := 1 + rng.IntN(k-3)
			bb := 1 + rng.IntN(k-2-ba)
			a, b = rnd(ba), rnd(bb)
		}
		vm.SetElemBig(k, x, i, a)
		vm.SetElemBig(k, y, i, b)
	}
	return x, y
}

// checkMulTrunc runs MulTrunc on the groups and compares it with the
// reference Mul then Trunc; it returns the traffic.
func checkMulTrunc(t *testing.T, es [3]*Engine, pe *vm.PlainEngine, k int, xs, ys []vm.Vec, ms []uint, seed uint64) delta {
	t.Helper()
	ctx := context.Background()
	xsh, ysh := dealA(t, k, xs, seed), dealA(t, k, ys, seed+1)
	var got [3][]vm.Share
	d := measure(es, func() {
		got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			return e.MulTrunc(ctx, xsh[e.me], ysh[e.me], ms)
		})
	})
	z, err := pe.Mul(ctx, plainShares(xs), plainShares(ys))
	require.NoError(t, err)
	want, err := pe.Trunc(ctx, z, ms)
	require.NoError(t, err)
	for g := range xs {
		requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("MulTrunc group %d m=%d", g, ms[g]), xs[g], ys[g])
	}
	return d
}

// TestMulTrunc holds the fused multiplication and truncation equal to the
// reference for every shift m in [1, k), on both rings.
func TestMulTrunc(t *testing.T) {
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			es := testEngines(t, k, defaultF(k), [3]InputSource{})
			pe := vm.NewPlainEngine(k, defaultF(k), nil)
			rng := testRNG(uint64(k) + 5)
			for m := 1; m < k; m++ {
				x, y := mulTruncPairs(k, 3*len(edgeValues(k, false))+40, rng)
				d := checkMulTrunc(t, es, pe, k, []vm.Vec{x}, []vm.Vec{y}, []uint{uint(m)}, uint64(m))
				require.EqualValues(t, 1+shrRoundsM(k, m), d.rounds, "m=%d rounds", m)
			}
		})
	}
}

// TestMulTruncLong runs vectors long enough for three segments, several
// keystream chunks and message pieces, with broadcasting, mixed shifts and
// the fallback for m = 0; the fused multiplication sends two ring elements
// per product where Mul sends three, and U's window monomials once.
func TestMulTruncLong(t *testing.T) {
	defer func(p int) { pieceBytes = p }(pieceBytes)
	for _, pb := range []int{1 << 20, 4096} {
		pieceBytes = pb
		for _, k := range []int{64, 128} {
			t.Run(fmt.Sprintf("%d/piece%d", k, pb), func(t *testing.T) {
				es := testEngines(t, k, defaultF(k), [3]InputSource{})
				pe := vm.NewPlainEngine(k, defaultF(k), nil)
				rng := testRNG(uint64(k) + 9)
				n := 3*64*41 + 17
				x, y := mulTruncPairs(k, n, rng)
				F := uint(defaultF(k))
				d := checkMulTrunc(t, es, pe, k, []vm.Vec{x}, []vm.Vec{y}, []uint{F}, 1)
				require.EqualValues(t, 1+shrRoundsM(k, int(F)), d.rounds)
				// the same as Mul + Trunc less one ring element per product
				xsh, ysh := dealA(t, k, []vm.Vec{x}, 3), dealA(t, k, []vm.Vec{y}, 4)
				sep := measure(es, func() {
					on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
						z, err := e.Mul(ctx, xsh[e.me], ysh[e.me])
						if err != nil {
							return nil, err
						}
						return e.Trunc(ctx, z, []uint{F})
					})
				})
				require.Equal(t, sep.rounds, d.rounds)
				// and U's window monomials sent once (to N) instead of twice
				win := 0
				for _, s := range segmentsOf(n) {
					win += blockBytes(s.blocks(), gpFn(int(F), cmpWindows(int(F))).M, s.tailLanes())
				}
				require.EqualValues(t, sep.bytes-int64(n*k/8)-int64(win), d.bytes)

				// groups: broadcast operands, mixed shifts (k-1 included)
				x2, y2 := mulTruncPairs(k, 700, rng)
				xs := []vm.Vec{x, x2, vm.VecOf(k, 1), x2}
				ys := []vm.Vec{y, y2, y2, vm.VecOf(k, 1)}
				checkMulTrunc(t, es, pe, k, xs, ys, []uint{F, 1, 5, uint(k - 1)}, 5)
				checkMulTrunc(t, es, pe, k, xs, ys, []uint{uint(k - 2), 3, 3, 2}, 6)
				// m = 0 and empty groups: the fallback
				checkMulTrunc(t, es, pe, k, xs, ys, []uint{F, 0, 7, F}, 7)
				checkMulTrunc(t, es, pe, k, []vm.Vec{x2, vm.NewVec(k, 0)}, []vm.Vec{y2, vm.NewVec(k, 0)}, []uint{F, F}, 8)
			})
		}
	}
}
