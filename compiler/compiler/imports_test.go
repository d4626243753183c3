package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Modules resolve from the embedded stdlib first, then the program's folder,
// then the -I paths in order.
func TestImportSearchPath(t *testing.T) {
	root := t.TempDir()
	progDir := filepath.Join(root, "prog")
	incDir := filepath.Join(root, "inc")
	require.NoError(t, os.MkdirAll(progDir, 0o755))
	require.NoError(t, os.MkdirAll(incDir, 0o755))
	write := func(path, text string) {
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	write(filepath.Join(progDir, "helpers.mpcs"), "SCALE = 3\ndef triple(x):\n    return x * SCALE\n")
	write(filepath.Join(incDir, "extra.mpcs"), "from helpers import triple\ndef nine(x):\n    return triple(triple(x))\n")
	// a local file named like a stdlib module does not shadow the stdlib
	write(filepath.Join(progDir, "stats.mpcs"), "def mean(x):\n    return 0\n")
	prog := filepath.Join(progDir, "main.mpcs")
	write(prog, `import helpers
from extra import nine
from stats import mean
x = input("x", sint)
output("t", helpers.triple(x))
output("n", nine(x))
output("m", mean(x))
output("s", helpers.SCALE)
`)
	_, err := CompileFile(prog, Options{})
	d, ok := IsDiagnostics(err)
	require.True(t, ok)
	require.Contains(t, d.Render(), `no module named "extra"`)

	p, err := CompileFile(prog, Options{IncludeDirs: []string{incDir}})
	if d, ok := IsDiagnostics(err); ok {
		t.Fatal(d.Render())
	}
	require.NoError(t, err)
	res, err := emulate(t, p, "x\n2\n4\n", nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"outputs": {"t": [6, 12], "n": [18, 36], "m": 3, "s": 3}}`, string(res.JSON()))
}

func TestRuntimeExponentAndCarriedVectors(t *testing.T) {
	got := outputs(t, `x = input("x", sint)
f = input("f", sfix)
e = param("e", int, 3)
output("pi", 2 ** e)
output("ps", x ** e)
output("pf", f ** e)
v = x
while len(v) > 1:
    v = v[1:] + v[:1][0]
output("v", v)
`, "x,f\n2,1.5\n-3,0.5\n5,-2\n", Options{})
	require.Equal(t, float64(8), got["pi"])
	require.Equal(t, []any{float64(8), float64(-27), float64(125)}, got["ps"])
	require.Equal(t, []any{3.375, 0.125, float64(-8)}, got["pf"])
	require.Equal(t, []any{float64(6)}, got["v"]) // [2,-3,5] -> [-1,7] -> [6]
}
