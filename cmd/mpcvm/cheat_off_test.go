//go:build !faultinject

package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoCheatInReleaseBuilds: --cheat exists only with -tags faultinject.
func TestNoCheatInReleaseBuilds(t *testing.T) {
	dir := t.TempDir()
	prog := compileTo(t, dir, "p", "x = input(\"x\", sint)\noutput(\"s\", sum(x))\n")
	data := writeFile(t, dir, "d.csv", "x\n1\n")
	_, stderr, code := run(t, "sim", prog, "--data", data, "--security=malicious", "--cheat=1:open")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "unknown flag: --cheat")
	out, stderr, code := run(t, "sim", prog, "--data", data, "--security=malicious", "--json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, `"outputs": {"s": 1}`)
	_, stderr, code = run(t, "sim", prog, "--data", data, "--security=paranoid")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "unknown security model")
}
