package runtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// TestParts runs the protocols that split long vectors into concurrent
// parts with tiny parts and pieces, against the reference, with several
// groups, broadcasting and mixed shifts; rounds must be those of one part.
func TestParts(t *testing.T) {
	defer func(m, x, p int) { parMin, parMax, pieceBytes = m, x, p }(parMin, parMax, pieceBytes)
	parMin, parMax, pieceBytes = 100, 5, 256
	ctx := context.Background()
	for _, k := range []int{64, 128} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			f := defaultF(k)
			es := testEngines(t, k, f, [3]InputSource{})
			pe := vm.NewPlainEngine(k, f, nil)
			rng := testRNG(uint64(k) + 5)
			xs := []vm.Vec{testVec(k, 700, false, rng), testVec(k, 1, false, rng), testVec(k, 333, false, rng)}
			ys := []vm.Vec{testVec(k, 700, false, rng), testVec(k, 45, false, rng), testVec(k, 1, false, rng)}
			xsh, ysh := dealA(t, k, xs, 1), dealA(t, k, ys, 2)
			check := func(name string, want []vm.Share, got [3][]vm.Share, rounds int64, wantRounds int) {
				t.Helper()
				for g := range want {
					requireSameVec(t, k, want[g][0], reconA(t, k, got, g), fmt.Sprintf("%s group %d", name, g))
				}
				require.EqualValues(t, wantRounds, rounds, name+" rounds")
			}
			var got [3][]vm.Share
			d := measure(es, func() {
				got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.Mul(ctx, xsh[e.me], ysh[e.me]) })
			})
			want, _ := pe.Mul(ctx, plainShares(xs), plainShares(ys))
			check("Mul", want, got, d.rounds, 1)
			require.EqualValues(t, 3*(700+45+333)*k/8, d.bytes)

			for _, op := range []struct {
				name   string
				three  func(e *Engine, ctx context.Context, x []vm.Share) ([]vm.Share, error)
				plain  func(x []vm.Share) ([]vm.Share, error)
				rounds int
			}{
				{"LTZ", (*Engine).LTZ, func(x []vm.Share) ([]vm.Share, error) { return pe.LTZ(ctx, x) }, log2i(k)},
				{"EQZ", (*Engine).EQZ, func(x []vm.Share) ([]vm.Share, error) { return pe.EQZ(ctx, x) }, log2i(k)},
				{"Trunc", func(e *Engine, ctx context.Context, x []vm.Share) ([]vm.Share, error) {
					return e.Trunc(ctx, x, []uint{uint(f), uint(f), uint(f)})
				}, func(x []vm.Share) ([]vm.Share, error) { return pe.Trunc(ctx, x, []uint{uint(f), uint(f), uint(f)}) }, shrRoundsM(k, f)},
				{"Shr mixed", func(e *Engine, ctx context.Context, x []vm.Share) ([]vm.Share, error) {
					return e.Shr(ctx, x, []uint{3, 0, uint(k - 1)})
				}, func(x []vm.Share) ([]vm.Share, error) { return pe.Shr(ctx, x, []uint{3, 0, uint(k - 1)}) }, log2i(k)},
			} {
				d := measure(es, func() {
					got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return op.three(e, ctx, xsh[e.me]) })
				})
				want, err := op.plain(plainShares(xs))
				require.NoError(t, err)
				check(op.name, want, got, d.rounds, op.rounds)
			}
		})
	}
}
