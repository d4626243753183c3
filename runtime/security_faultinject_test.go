//go:build faultinject

package runtime

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
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
