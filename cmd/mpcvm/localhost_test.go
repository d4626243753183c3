package main

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// freePort returns a 127.0.0.1 address free now, below the kernel's
// ephemeral range (32768 and up), so that other processes' outgoing
// connections cannot take it before a server binds it.
func freePort(t *testing.T) string {
	for range 1000 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// TestREADMELocalhost runs the README's three-party commands exactly as
// written (with free ports in place of 7100-7102) and checks that every party
// prints the same results as the reference executor.
func TestREADMELocalhost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and starts three parties")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the README's commands are for a POSIX shell")
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)```sh\n(# three parties on localhost\n.*?)```").FindSubmatch(readme)
	require.NotNil(t, m, "README has a ```sh block starting with '# three parties on localhost'")
	script := string(m[1])
	for i := 0; i < 3; i++ {
		script = strings.ReplaceAll(script, fmt.Sprintf("127.0.0.1:%d", 7100+i), freePort(t))
	}

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin, "./cmd/mpcc", "./cmd/mpcvm")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	work := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(root, "programs"), filepath.Join(work, "programs")))
	sh := exec.Command("bash", "-euo", "pipefail", "-c", script)
	sh.Dir = work
	sh.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	sh.Stdout, sh.Stderr = &stdout, &stderr
	require.NoError(t, sh.Run(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())

	emu := exec.Command(filepath.Join(bin, "mpcc"), "emulate", "programs/devcon/devcon.mpcs",
		"--data", "programs/devcon/sample.csv")
	emu.Dir = root
	want, err := emu.Output()
	require.NoError(t, err)
	for p := 0; p < 3; p++ {
		got, err := os.ReadFile(filepath.Join(work, "demo", fmt.Sprintf("out%d.txt", p)))
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "party %d", p)
	}
}
