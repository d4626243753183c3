//go:build faultinject

package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/runtime"
)

// TestSimCheat runs `mpcvm sim --security=malicious --cheat=PARTY:OP` for
// every party and kind: each run must fail with no output, and the same
// run without --cheat must succeed.
func TestSimCheat(t *testing.T) {
	dir := t.TempDir()
	prog := compileTo(t, dir, "p", "x = input(\"x\", sint)\ny = input(\"y\", sfix)\nb = input(\"b\", sbits)\n"+
		"output(\"s\", sum(x))\noutput(\"ys\", y + 1)\noutput(\"xx\", x * x)\noutput(\"x3\", x * x * x)\noutput(\"bb\", b & (b >> 1))\n")
	data := writeFile(t, dir, "d.csv", "x,y,b\n1,1.5,6\n-2,0,3\n")
	out, stderr, code := run(t, "sim", prog, "--data", data, "--security=malicious", "--json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, `"outputs": {"s": -1, "ys": [2.5, 1], "xx": [1, 4], "x3": [1, -8], "bb": ["0x0000000000000002", "0x0000000000000001"]}`)
	for party := range 3 {
		for _, op := range runtime.CheatOps {
			cheat := fmt.Sprintf("%d:%s", party, op)
			out, stderr, code := run(t, "sim", prog, "--data", data, "--security=malicious", "--cheat="+cheat)
			require.Equal(t, 1, code, "--cheat=%s: %s", cheat, stderr)
			require.Empty(t, out, "--cheat=%s printed output", cheat)
			require.Contains(t, stderr, "aborted, no output", "--cheat=%s", cheat)
		}
	}
	// a replayed message (the previous one of its kind again: the triples
	// of x·x in place of those of (x·x)·x)
	out, stderr, code = run(t, "sim", prog, "--data", data, "--security=malicious", "--cheat=2:mul:2:replay")
	require.Equal(t, 1, code, stderr)
	require.Empty(t, out)
	require.Contains(t, stderr, "aborted, no output")
	_, stderr, code = run(t, "sim", prog, "--data", data, "--cheat=1:fly")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `unknown kind "fly"`)
}
