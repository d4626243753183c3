package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/coordinator/api"
)

// mpcs runs the command in-process and returns its exit status and output.
func mpcs(ctx context.Context, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCoordinatorKeygen(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "c.key")
	code, out, _ := mpcs(context.Background(), "coordinator", "keygen", "--out", key)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "public key ")
	fi, err := os.Stat(key)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	pub := strings.TrimSpace(out[strings.Index(out, "public key ")+len("public key "):])

	code, out, _ = mpcs(context.Background(), "coordinator", "pubkey", "--key", key)
	require.Equal(t, 0, code)
	assert.Equal(t, pub, strings.TrimSpace(out))

	code, _, errOut := mpcs(context.Background(), "coordinator", "keygen", "--out", key)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "already exists")
	code, _, _ = mpcs(context.Background(), "coordinator", "keygen")
	assert.Equal(t, cli.ExitUsage, code)
}

func TestCoordinatorConfigErrors(t *testing.T) {
	code, _, errOut := mpcs(context.Background(), "coordinator")
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "--config")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	require.NoError(t, os.WriteFile(bad, []byte("listen = \"127.0.0.1:1\"\ndatabase = \"sqlite://x.db\"\nsigning_key = \"k\"\nfrobnicate = 1\n"), 0o644))
	code, _, errOut = mpcs(context.Background(), "coordinator", "--config", bad)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "frobnicate")
	code, _, _ = mpcs(context.Background(), "coordinator", "--bogus")
	assert.Equal(t, cli.ExitUsage, code)
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestCoordinatorServes starts `mpcs coordinator` from a config file,
// talks to it with `mpcs query` and `mpcs results`, and stops it.
func TestCoordinatorServes(t *testing.T) {
	dir := t.TempDir()
	code, _, _ := mpcs(context.Background(), "coordinator", "keygen", "--out", filepath.Join(dir, "keys", "c.key"))
	require.Equal(t, 0, code)
	port := freePort(t)
	var parties strings.Builder
	for i := range 3 {
		// No party runs: the coordinator only reports them unreachable.
		fmt.Fprintf(&parties, "[[party]]\nid = %d\nurl = \"https://127.0.0.1:%d\"\nfingerprint = %q\n\n", i, freePort(t), strings.Repeat("ab", 32))
	}
	cfg := fmt.Sprintf(`listen = "127.0.0.1:%d"
database = "sqlite://coordinator.db"
signing_key = "keys/c.key"
analyst_keys = ["analyst-0123456789abcdef"]
operator_keys = ["operator-0123456789abcdef"]

[rate_limit]
per_ip = 100

[admission]
interval = "100ms"
batch_size = 100

[[dataset]]
name = "devcon"
columns = [{name = "balance", type = "sfix"}]
notary_keys = [%q]
min_rows = 3

%s`, port, strings.Repeat("cd", 32), parties.String())
	path := filepath.Join(dir, "coordinator.toml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))

	code, out, _ := mpcs(context.Background(), "coordinator", "pubkey", "--config", path)
	require.Equal(t, 0, code)
	assert.Len(t, strings.TrimSpace(out), 64)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var errOut bytes.Buffer
	go func() { done <- run(ctx, []string{"coordinator", "--config", path}, &bytes.Buffer{}, &errOut) }()
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/v1/datasets/devcon")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the coordinator did not start")
	_, err := os.Stat(filepath.Join(dir, "coordinator.db"))
	require.NoError(t, err, "the database is relative to the config")

	// Before min_rows: refused (exit 2) with the reason.
	code, _, errText := mpcs(context.Background(), "query", "--coordinator", url, "--api-key", "analyst-0123456789abcdef", "--dataset", "devcon", "--hash", strings.Repeat("12", 32))
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errText, "unknown program")
	code, _, errText = mpcs(context.Background(), "query", "--coordinator", url, "--dataset", "devcon", "--hash", strings.Repeat("12", 32))
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errText, "API key")
	t.Setenv("MPCS_API_KEY", "analyst-0123456789abcdef")
	code, out, _ = mpcs(context.Background(), "results", "--coordinator", url)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "ID")
	code, out, _ = mpcs(context.Background(), "results", "--coordinator", url, "--json")
	assert.Equal(t, 0, code)
	assert.Equal(t, "[]", strings.TrimSpace(out))

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(15 * time.Second):
		t.Fatal("the coordinator did not stop")
	}
}

// stubCoordinator answers the analyst routes with a fixed query.
func stubCoordinator(t *testing.T, q api.Query) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k-0123456789abcdef" {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(api.Error{Error: "this needs an analyst API key"})
			return
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/queries":
			var cq api.CreateQuery
			if err := json.NewDecoder(r.Body).Decode(&cq); err != nil || cq.Dataset != q.Dataset {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(api.Error{Error: "bad query"})
				return
			}
			qq := q
			qq.ProgramHash, qq.Params = cq.ProgramHash, cq.Params
			json.NewEncoder(w).Encode(qq)
		case r.Method == "GET" && r.URL.Path == "/v1/queries/"+q.ID:
			json.NewEncoder(w).Encode(q)
		case r.Method == "GET" && r.URL.Path == "/v1/queries":
			json.NewEncoder(w).Encode([]api.Query{q})
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(api.Error{Error: "no query " + r.URL.Path})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestQueryAndResults(t *testing.T) {
	now := time.Now().UTC()
	done := api.Query{ID: "q-1", Dataset: "devcon", ProgramHash: strings.Repeat("ab", 32), Status: "done", Rows: 10,
		Outputs: json.RawMessage(`{"providers": 10, "mean": 21.921, "median": 2.6, "max": 150, "gini": 0.7867934856986452}`), CreatedAt: now, FinishedAt: &now}
	srv := stubCoordinator(t, done)
	base := []string{"--coordinator", srv.URL, "--api-key", "k-0123456789abcdef"}
	ctx := context.Background()

	code, out, errOut := mpcs(ctx, append([]string{"query", "--dataset", "devcon", "--hash", strings.Repeat("AB", 32), "--param", "t=3"}, base...)...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "query q-1 on devcon (10 rows): done\nproviders = 10\nmean = 21.921\nmedian = 2.6\nmax = 150\ngini = 0.7867934856986452\n", out)

	code, out, _ = mpcs(ctx, append([]string{"query", "--json", "--dataset", "devcon", "--hash", strings.Repeat("ab", 32)}, base...)...)
	require.Equal(t, 0, code)
	var q api.Query
	require.NoError(t, json.Unmarshal([]byte(out), &q))
	assert.Equal(t, "q-1", q.ID)
	assert.JSONEq(t, string(done.Outputs), string(q.Outputs))

	code, out, _ = mpcs(ctx, append([]string{"results", "q-1"}, base...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "gini = 0.7867934856986452")
	code, out, _ = mpcs(ctx, append([]string{"results", "--json", "q-1"}, base...)...)
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &q))
	code, out, _ = mpcs(ctx, append([]string{"results", "--dataset", "devcon"}, base...)...)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "q-1")
	assert.Contains(t, out, "abababababab")
	code, _, errOut = mpcs(ctx, append([]string{"results", "q-404"}, base...)...)
	assert.Equal(t, cli.ExitUsage, code)
	assert.Contains(t, errOut, "404")

	// Misuse.
	for _, args := range [][]string{
		{"query", "--dataset", "devcon"},
		{"query", "--hash", "x"},
		{"query", "--dataset", "devcon", "--hash", "x", "--program", "p.mpcb"},
		{"query", "--dataset", "devcon", "--hash", "x", "--param", "novalue"},
		{"query", "--dataset", "devcon", "--program", filepath.Join(t.TempDir(), "missing.mpcb")},
		{"query", "--dataset", "devcon", "--hash", "x", "--upload"},
		{"results", "--limit", "0"},
		{"results", "a", "b"},
	} {
		code, _, _ := mpcs(ctx, append(args, base...)...)
		assert.Equal(t, cli.ExitUsage, code, args)
	}
	code, _, _ = mpcs(ctx, "query", "--dataset", "devcon", "--hash", "x", "--api-key", "k", "--coordinator", "ftp://x")
	assert.Equal(t, cli.ExitUsage, code)

	// A failed query exits 1 and says why.
	failedQ := done
	failedQ.Status, failedQ.Error, failedQ.Outputs = "failed", "the parties could not run the query: party 1 (https://p1): unreachable", nil
	srv2 := stubCoordinator(t, failedQ)
	code, out, errOut = mpcs(ctx, "query", "--dataset", "devcon", "--hash", strings.Repeat("ab", 32), "--coordinator", srv2.URL, "--api-key", "k-0123456789abcdef")
	assert.Equal(t, cli.ExitFailed, code)
	assert.Contains(t, out, "error: the parties could not run the query")
	assert.Contains(t, errOut, "party 1")
}
