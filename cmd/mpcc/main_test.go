package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/stretchr/testify/require"
)

// run executes mpcc with args and returns stdout, stderr and the exit status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetArgs(args)
	err := root.Execute()
	code := 0
	if err != nil {
		code = cli.Code(err)
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestCompileDisasmEmulate(t *testing.T) {
	dir := t.TempDir()
	prog := write(t, dir, "p.mpcs", "x = input(\"x\", sfix)\nk = param(\"k\", int, 1)\noutput(\"s\", sum(x) * k)\noutput(\"v\", x)\n")
	data := write(t, dir, "d.csv", "x\n1.5\n-2\n")
	out, _, code := run(t, "compile", prog, "-o", filepath.Join(dir, "p.mpcb"))
	require.Equal(t, 0, code)
	require.Contains(t, out, "instructions")
	out, _, code = run(t, "disasm", filepath.Join(dir, "p.mpcb"))
	require.Equal(t, 0, code)
	require.Contains(t, out, "OUTPUT")
	require.Contains(t, out, "@")
	for _, src := range []string{prog, filepath.Join(dir, "p.mpcb")} {
		out, _, code = run(t, "emulate", src, "--data", data, "--param", "k=3", "--json")
		require.Equal(t, 0, code)
		require.JSONEq(t, `{"outputs": {"s": -1.5, "v": [1.5, -2]}}`, out)
	}
	out, _, code = run(t, "emulate", prog, "--data", data)
	require.Equal(t, 0, code)
	require.Equal(t, "s = -0.5\nv = [1.5, -2]\n", out)
	// 64-bit ring and explicit fractional bits
	out, _, code = run(t, "compile", prog, "--ring", "64", "--frac-bits", "20", "-o", filepath.Join(dir, "q.mpcb"))
	require.Equal(t, 0, code, out)
	out, _, _ = run(t, "disasm", filepath.Join(dir, "q.mpcb"))
	require.Contains(t, out, ".ring 64")
	require.Contains(t, out, ".frac 20")
}

func TestExitStatuses(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.mpcs", "output(\"a\", 1)\n")
	bad := write(t, dir, "bad.mpcs", "x = input(\"x\", sint)\nif sum(x) > 0:\n    pass\ny = nope\n")
	failing := write(t, dir, "fail.mpcs", "assert param(\"n\", int, 0) > 0, \"n must be positive\"\n")
	data := write(t, dir, "d.csv", "x\n1\n")

	out, _, code := run(t, "check", good)
	require.Equal(t, 0, code)
	require.Contains(t, out, "ok")

	_, stderr, code := run(t, "check", bad)
	require.Equal(t, 1, code, "errors in the program")
	require.Contains(t, stderr, "bad.mpcs:2:4: error: the condition of if is secret")
	require.Contains(t, stderr, "where(c, a, b)")
	require.Contains(t, stderr, "bad.mpcs:4:5: error: undefined name nope")
	require.Contains(t, stderr, "   ^")

	_, stderr, code = run(t, "emulate", failing, "--data", data)
	require.Equal(t, 1, code, "a failed assertion is an error in the program")
	require.Contains(t, stderr, "fail.mpcs:1:1: assertion failed: n must be positive")

	for _, args := range [][]string{
		{"compile"}, // missing argument
		{"compile", filepath.Join(dir, "missing.mpcs")},
		{"compile", good, "--ring", "32"},
		{"emulate", good}, // no --data
		{"emulate", good, "--data", filepath.Join(dir, "none.csv")},
		{"emulate", good, "--data", data, "--param", "novalue"},
		{"disasm", good}, // not bytecode
		{"frobnicate"},
		{"compile", good, "--no-such-flag"},
	} {
		_, stderr, code := run(t, args...)
		require.Equal(t, 2, code, "misuse: %v: %s", args, stderr)
	}
	// unknown parameter and missing column are misuse, with clear messages
	_, stderr, code = run(t, "emulate", good, "--data", data, "--param", "zz=1")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "unknown parameter")
	col := write(t, dir, "col.mpcs", "output(\"s\", sum(input(\"salary\", sint)))\n")
	_, stderr, code = run(t, "emulate", col, "--data", data)
	require.Equal(t, 2, code)
	require.True(t, strings.Contains(stderr, "salary"), stderr)
}
