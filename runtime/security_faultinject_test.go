//go:build faultinject

package runtime

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// TestCheatsAreCaught makes every party corrupt each kind of message or
// value it sends under the malicious mode (each message of the kind in
// turn, up to three): every run must abort with a *CheatError and no
// result; a message that does not exist changes nothing, and the run must
// then succeed with the right result.
func TestCheatsAreCaught(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, ring := range []int{128, 64} {
		data := mulData(ring, 5, rng)
		_, want, _, err := simSecure(t, ring, mulProg, data, WithSecurity(Malicious))
		require.NoError(t, err)
		for party := range 3 {
			for _, op := range CheatOps {
				for n := 1; n <= 3; n++ {
					c := Cheat{Party: party, Op: op, N: n}
					got, _, _, err := simSecure(t, ring, mulProg, data, WithSecurity(Malicious), WithCheat(c))
					if err == nil {
						// no such message: nothing was corrupted
						require.Equal(t, string(want.JSON()), string(got.JSON()), "ring %d cheat %+v", ring, c)
						require.Greater(t, n, 1, "ring %d cheat %+v: not one message of this kind", ring, c)
						continue
					}
					require.Nil(t, got)
					var ce *CheatError
					require.True(t, errors.As(err, &ce), "ring %d cheat %+v: %v", ring, c, err)
					if len(ce.Suspects) > 0 && op != "verdict" {
						require.Contains(t, ce.Suspects, party, "ring %d cheat %+v: %v", ring, c, err)
					}
				}
			}
		}
	}
}

// TestCheatNeedsMaliciousMode shows what the checks buy: the same corrupted
// open under the semi-honest model silently changes the result.
func TestCheatNeedsMaliciousMode(t *testing.T) {
	got, want, _, err := simSecure(t, 128, secProg, "x,y\n1,2\n3,4\n", WithCheat(Cheat{Party: 1, Op: "open", N: 1}))
	if err == nil {
		require.NotEqual(t, string(want.JSON()), string(got.JSON()))
	} else {
		require.ErrorContains(t, err, "disagree")
	}
}

// TestCheatsInAProgram corrupts one message of a party, of each kind, at
// points spread over a whole statistics program (the Devcon study: means,
// medians by a verified sorting network, divisions, comparisons): every
// corruption must abort the run; a message number beyond the run's
// messages changes nothing.
func TestCheatsInAProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program 80 times")
	}
	p, err := compiler.CompileFile("../programs/devcon/devcon.mpcs", compiler.Options{})
	require.NoError(t, err)
	f, err := os.ReadFile("../programs/devcon/sample.csv")
	require.NoError(t, err)
	data, err := vm.ReadCSV(bytes.NewReader(f), p)
	require.NoError(t, err)
	ctx := context.Background()
	want, _, err := Sim(ctx, p, data, nil, NewMemNetworks(), WithSecurity(Malicious))
	require.NoError(t, err)
	for party := range 3 {
		for _, op := range []string{"mul", "and", "open"} {
			caught := 0
			for i, n := range []int{1, 3, 10, 30, 100, 300, 1000, 3000, 10000} {
				// every other one a replay of the message before
				c := Cheat{Party: party, Op: op, N: n, Replay: n > 1 && i%2 == 0}
				got, _, err := Sim(ctx, p, data, nil, NewMemNetworks(), WithSecurity(Malicious), WithCheat(c))
				if err == nil {
					require.Equal(t, string(want.JSON()), string(got.JSON()), "cheat %+v", c)
					continue
				}
				require.Nil(t, got)
				var ce *CheatError
				require.True(t, errors.As(err, &ce), "cheat %+v: %v", c, err)
				caught++
			}
			require.GreaterOrEqual(t, caught, 3, "party %d %s: too few messages corrupted to mean much", party, op)
		}
	}
}
