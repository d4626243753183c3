//go:build faultinject

package runtime

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheatsAreCaught makes every party corrupt each kind of message or
// value it sends under the malicious mode: every run must abort with
// ErrCheating (or, for a corrupted verdict, the honest parties' abort) and
// no result.
func TestCheatsAreCaught(t *testing.T) {
	for _, ring := range []int{128, 64} {
		for party := range 3 {
			for _, op := range CheatOps {
				for _, n := range []int{1, 2} {
					if n == 2 && op != "input" {
						continue // the program opens once: one message of each other kind
					}
					c := Cheat{Party: party, Op: op, N: n}
					got, _, _, err := simSecure(t, ring, secProg, "x,y\n1,2\n3,4\n", WithSecurity(Malicious), WithCheat(c))
					require.Error(t, err, "ring %d cheat %+v went unnoticed", ring, c)
					require.Nil(t, got)
					var ce *CheatError
					require.True(t, errors.As(err, &ce), "ring %d cheat %+v: %v", ring, c, err)
					if op != "verdict" {
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
