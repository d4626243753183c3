package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	code := 0
	if err != nil {
		code = cli.Code(err)
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func compileTo(t *testing.T, dir, name, src string) string {
	t.Helper()
	p, err := compiler.Compile(name, []byte(src), compiler.Options{})
	require.NoError(t, err)
	b, err := vm.Encode(p)
	require.NoError(t, err)
	path := filepath.Join(dir, name+".mpcb")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func TestSimJSON(t *testing.T) {
	dir := t.TempDir()
	prog := compileTo(t, dir, "p", "x = input(\"x\", sfix)\noutput(\"s\", sum(x))\noutput(\"pos\", x > 0)\n")
	data := writeFile(t, dir, "d.csv", "x\n1.5\n-2\n")
	out, stderr, code := run(t, "sim", prog, "--data", data, "--json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, `"outputs": {"s": -0.5, "pos": [true, false]}`)
	require.Regexp(t, `"rounds": \d+, "bytes": \d+}`, out)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	prog := compileTo(t, dir, "p", "x = input(\"x\", sint)\noutput(\"s\", sum(x))\n")
	salary := compileTo(t, dir, "q", "output(\"s\", sum(input(\"salary\", sint)))\n")
	data := writeFile(t, dir, "d.csv", "x\n1\n2\n")
	junk := writeFile(t, dir, "junk.mpcb", "MPCB\x02\x00garbage")
	src := writeFile(t, dir, "p.mpcs", "output(\"a\", 1)\n")
	_, stderr, code := run(t, "share", data, "--out", filepath.Join(dir, "shares"))
	require.Equal(t, 0, code, stderr)
	flipped := filepath.Join(dir, "flipped", "party0", "shares.mpcd")
	b, err := os.ReadFile(filepath.Join(dir, "shares", "party0", "shares.mpcd"))
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	require.NoError(t, os.MkdirAll(filepath.Dir(flipped), 0o755))
	require.NoError(t, os.WriteFile(flipped, b, 0o600))
	badCfg := writeFile(t, dir, "bad.toml", "[[party]]\nid = 0\naddress = \"nowhere\"\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sim", junk, "--data", data}, "junk.mpcb"},
		{[]string{"sim", src, "--data", data}, "not mpcs bytecode"},
		{[]string{"sim", prog}, "--data"},
		{[]string{"sim", salary, "--data", data}, "salary"},
		{[]string{"sim", prog, "--data", data, "--param", "n=1"}, "unknown parameter"},
		{[]string{"run", "--party=0", "--config", badCfg, prog, "--data-dir", filepath.Join(dir, "shares")}, "bad.toml"},
		{[]string{"run", "--party=0", "--config", badCfg, prog, "--data-dir", filepath.Join(dir, "none")}, "bad.toml"},
		{[]string{"run", "--party=5", "--config", badCfg, prog, "--data-dir", dir}, "--party"},
		{[]string{"share", filepath.Join(dir, "missing.csv"), "--out", dir}, "missing.csv"},
		{[]string{"keygen", "--party", "3", "--out", dir}, "--party"},
		{[]string{"bench", "--ring", "32"}, "--ring"},
		{[]string{"--kernels", "nosuch", "bench"}, "--kernels"},
	}
	for _, c := range cases {
		_, stderr, code := run(t, c.args...)
		require.Equal(t, cli.ExitUsage, code, "%v: %s", c.args, stderr)
		require.Contains(t, stderr, c.want, "%v", c.args)
	}
	// a changed share file and missing shares are reported before any network
	for _, dataDir := range []string{filepath.Join(dir, "flipped"), filepath.Join(dir, "empty")} {
		good := writeFile(t, dir, "good.toml", strings.Join([]string{
			`[[party]]`, `id = 0`, `address = "127.0.0.1:1"`, `cert = "k/party0.crt"`, `key = "k/party0.key"`,
			`[[party]]`, `id = 1`, `address = "127.0.0.1:2"`, `cert = "k/party1.crt"`,
			`[[party]]`, `id = 2`, `address = "127.0.0.1:3"`, `cert = "k/party2.crt"`, ``}, "\n"))
		for p := 0; p < 3; p++ {
			run(t, "keygen", "--party", string(rune('0'+p)), "--out", filepath.Join(dir, "k"))
		}
		_, stderr, code := run(t, "run", "--party=0", "--config", good, prog, "--data-dir", dataDir)
		require.Equal(t, cli.ExitUsage, code, stderr)
		if strings.Contains(dataDir, "flipped") {
			require.Contains(t, stderr, "checksum mismatch")
		} else {
			require.Contains(t, stderr, "no share file")
		}
	}
}
