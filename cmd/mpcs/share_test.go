package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/stretchr/testify/assert"
)

func runMpcs(args ...string) (string, int) {
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return out.String(), code
}

func TestShareUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"share", "--coordinator", "http://x", "--notary", "https://y", "--source-id", "a"}, "--dataset is required"},
		{[]string{"share", "--dataset", "d", "--notary", "https://y", "--source-id", "a"}, "--coordinator is required"},
		{[]string{"share", "--dataset", "d", "--coordinator", "http://x", "--notary", "https://y", "--source-id", "a", "--nonce", "abcd"}, "--nonce must be auto or 32 bytes in hex"},
		{[]string{"share", "--dataset", "d", "--coordinator", "http://x", "--notary", "https://y", "--source-id", "a", "--notary-fingerprint", "zz"}, "not 64 hex digits"},
	} {
		out, code := runMpcs(tc.args...)
		assert.Equal(t, cli.ExitUsage, code, "%v", tc.args)
		assert.Contains(t, out, tc.msg)
	}
}

func TestShareUnreachableNotary(t *testing.T) {
	out, code := runMpcs("share", "--dataset", "d", "--coordinator", "http://127.0.0.1:1", "--notary", "https://127.0.0.1:1",
		"--source-id", "a", "--timeout", "5s")
	assert.Equal(t, cli.ExitFailed, code)
	assert.Contains(t, out, "attestation: notary:")
	assert.Contains(t, out, "connection refused")
}

func TestNotaryAndDatasourceUsage(t *testing.T) {
	out, code := runMpcs("notary")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, out, "--config NOTARY.toml is required")

	bad := filepath.Join(t.TempDir(), "notary.toml")
	os.WriteFile(bad, []byte("[source]\nurl = \"http://x/{id}\"\n"), 0o644)
	out, code = runMpcs("notary", "--config", bad)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, out, "HTTPS only")

	out, code = runMpcs("datasource")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, out, "--cert and --key are required")
}
