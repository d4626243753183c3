package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWinFnGenerated holds the generated window evaluators equal to the
// term tables, for the carry and equality functions of every width.
func TestWinFnGenerated(t *testing.T) {
	rng := testRNG(21)
	for _, L := range []int{1, 3, 5, 16, 24, 31, 63, 64, 127, 128} {
		for _, mk := range []func(L, W int) *winFn{gpFn, eqFn, func(L, _ int) *winFn { return prefixFn(L) }} {
			if L%4 != 0 && mk(4, 1).kind == winPrefix {
				continue
			}
			f := mk(L, cmpWindows(L))
			rows := make([]uint64, L)
			ev := make([]uint64, f.M)
			for range 20 {
				for i := range rows {
					rows[i] = rng.Uint64()
				}
				for i := range ev {
					ev[i] = rng.Uint64()
				}
				for _, wc := range []bool{false, true} {
					got, want := make([]uint64, len(f.outs)), make([]uint64, len(f.outs))
					f.evalBlock(got, ev, rows, wc)
					f.evalTable(want, ev, rows, wc)
					require.Equal(t, want, got, "L = %d, kind %d", L, f.kind)
				}
			}
		}
	}
}
