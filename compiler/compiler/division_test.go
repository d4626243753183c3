package compiler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSecretDivision checks x / y and 1 / y between secrets against float64
// on random and edge values. The documented bound: for the 128-bit ring the
// quotient is within 2^-(F-4) relative (plus 2^-(F-2) absolute) for
// 2^-F <= |y| < 2^(61-F) and |x| < 2^(k-3-2F-G); for the 64-bit ring x/y is
// formed from 1/y at 2F fractional bits, for |x/y| < 2^15.
func TestSecretDivision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type pair struct{ x, y float64 }
	pairs := []pair{{1, 3}, {-1, 3}, {1, -3}, {-7, -2}, {0, 5}, {5, 0}, {0, 0}, {1, 1},
		{123456789, 1}, {1, 123456789}, {2.5, 0.5}, {1e6, 123456.789}, {-0.001, 0.002}, {4095, 4096}}
	for i := 0; i < 60; i++ {
		x := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(13)-3))
		y := (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(11)-3))
		pairs = append(pairs, pair{x, y})
	}
	for _, ring := range []int{128, 64} {
		f := DefaultFracBits(ring)
		ulp := math.Ldexp(1, -f)
		var csv strings.Builder
		csv.WriteString("x,y\n")
		var keep []pair
		for _, p := range pairs {
			if ring == 64 && (math.Abs(p.x) > 1e4 || math.Abs(p.y) > 1e4 || p.y != 0 && math.Abs(p.x/p.y) >= 1<<15) {
				continue // beyond the 64-bit ring's fixed-point range
			}
			// the executor sees the inputs rounded to F fractional bits
			p = pair{math.Round(p.x/ulp) * ulp, math.Round(p.y/ulp) * ulp}
			keep = append(keep, p)
			fmt.Fprintf(&csv, "%.10f,%.10f\n", p.x, p.y)
		}
		got := outputs(t, "x = input(\"x\", sfix)\ny = input(\"y\", sfix)\noutput(\"q\", x / y)\noutput(\"r\", 1 / y)\n",
			csv.String(), Options{Ring: ring})
		qs, rs := got["q"].([]any), got["r"].([]any)
		for i, p := range keep {
			wantQ, wantR := 0.0, 0.0
			if p.y != 0 {
				wantQ, wantR = p.x/p.y, 1/p.y
			}
			r := rs[i].(float64)
			require.InDelta(t, wantR, r, 16*ulp*math.Max(1, math.Abs(wantR)), "ring %d: 1/%v", ring, p.y)
			q := qs[i].(float64)
			bound := 16*ulp*math.Max(1, math.Abs(wantQ)) + 4*ulp
			if ring == 64 {
				// 1/y at 2F bits: x * (1/y) within |x| * 2^-(2F-4) of it
				bound += 16 * ulp * ulp * math.Max(1, math.Abs(wantR)) * math.Abs(p.x)
			}
			require.InDelta(t, wantQ, q, bound, "ring %d: %v / %v", ring, p.x, p.y)
		}
	}
}
