package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// TestMain lets the serve tests run this test binary as mpcvm itself (a
// party process they can kill).
func TestMain(m *testing.M) {
	if os.Getenv("MPCVM_TEST_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := run(t, "serve", "--party", "0")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, stderr, "--config DEPLOY.toml is required")
	_, stderr, code = run(t, "serve", "--party", "3", "--config", "x.toml")
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, stderr, "--party must be 0, 1 or 2")

	var cfg strings.Builder
	for p := range 3 {
		_, _, err := runtime.GenerateKey(p, filepath.Join(dir, "keys"))
		require.NoError(t, err)
		fmt.Fprintf(&cfg, "[[party]]\nid = %d\naddress = \"127.0.0.1:%d\"\ncert = \"keys/party%d.crt\"\nkey = \"keys/party%d.key\"\n", p, 7100+p, p, p)
	}
	path := writeFile(t, dir, "deploy.toml", cfg.String())
	_, stderr, code = run(t, "serve", "--party", "0", "--config", path)
	require.Equal(t, cli.ExitUsage, code)
	for _, want := range []string{"api is not set", "[coordinator] public_key is missing", "[serve] data_dir is missing", "[serve] ring is missing"} {
		require.Contains(t, stderr, want)
	}
	path = writeFile(t, dir, "deploy.toml", cfg.String()+"[serve]\ndatadir = \"x\"\n")
	_, stderr, code = run(t, "serve", "--party", "0", "--config", path)
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, stderr, `unknown key "serve.datadir"`)
	path = writeFile(t, dir, "deploy.toml", cfg.String()+"[serve]\nring = 96\n")
	_, stderr, code = run(t, "serve", "--party", "0", "--config", path)
	require.Equal(t, cli.ExitUsage, code)
	require.Contains(t, stderr, "[serve] ring = 96: must be 64 or 128")
}

// serveDeployment is three mpcvm serve processes on localhost.
type serveDeployment struct {
	t      *testing.T
	dir    string
	cfg    string
	coord  ed25519.PrivateKey
	apis   [3]string
	procs  [3]*exec.Cmd
	logs   [3]*bytes.Buffer
	client *http.Client
	prog   *vm.Program
	progB  []byte
}

func newServeDeployment(t *testing.T) *serveDeployment {
	d := &serveDeployment{t: t, dir: t.TempDir()}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	d.coord = priv
	port := func() string { return freePort(t) }
	var cfg strings.Builder
	for p := range 3 {
		_, _, err := runtime.GenerateKey(p, filepath.Join(d.dir, "keys"))
		require.NoError(t, err)
		d.apis[p] = port()
		fmt.Fprintf(&cfg, "[[party]]\nid = %d\naddress = %q\ncert = \"keys/party%d.crt\"\nkey = \"keys/party%d.key\"\napi = %q\n\n", p, port(), p, p, d.apis[p])
	}
	fmt.Fprintf(&cfg, "[coordinator]\npublic_key = %q\n\n[serve]\ndata_dir = \"data\"\nallowlist = \"allow\"\nring = 128\nfrac_bits = 24\nadmission_program = \"allow/admission.mpcb\"\n",
		hex.EncodeToString(pub))
	d.cfg = writeFile(t, d.dir, "deploy.toml", cfg.String())
	adm, err := compiler.CompileFile("../../programs/admission/admission.mpcs", compiler.Options{})
	require.NoError(t, err)
	b, err := vm.Encode(adm)
	require.NoError(t, err)
	writeFile(t, d.dir, "allow/admission.mpcb", string(b))
	d.prog, err = compiler.Compile("stats.mpcs", []byte("x = input(\"balance\", sfix)\noutput(\"n\", len(x))\noutput(\"sum\", sum(x))\noutput(\"max\", max(x))\n"), compiler.Options{})
	require.NoError(t, err)
	d.progB, err = vm.Encode(d.prog)
	require.NoError(t, err)
	writeFile(t, d.dir, "allow/stats.mpcb", string(d.progB))
	d.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}}}
	t.Cleanup(func() {
		for p := range 3 {
			d.kill(p)
		}
	})
	return d
}

func (d *serveDeployment) start(p int) {
	cmd := exec.Command(os.Args[0], "serve", "--party", fmt.Sprint(p), "--config", d.cfg, "--log-format", "text")
	cmd.Env = append(os.Environ(), "MPCVM_TEST_AS_MAIN=1")
	d.logs[p] = &bytes.Buffer{}
	cmd.Stderr = d.logs[p]
	require.NoError(d.t, cmd.Start())
	d.procs[p] = cmd
}

// kill ends party p with SIGKILL: no chance to flush anything.
func (d *serveDeployment) kill(p int) {
	if c := d.procs[p]; c != nil {
		c.Process.Kill()
		c.Wait()
		d.procs[p] = nil
	}
}

func (d *serveDeployment) do(p int, method, path string, body any) (int, []byte) {
	d.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(d.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "https://"+d.apis[p]+path, r)
	require.NoError(d.t, err)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// waitConnected waits until every party reports it is connected.
func (d *serveDeployment) waitConnected() {
	d.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for p := range 3 {
		for {
			st, body := d.do(p, "GET", "/v1/health", nil)
			if st == 200 && strings.Contains(string(body), `"connected":true`) {
				break
			}
			require.True(d.t, time.Now().Before(deadline), "party %d not up: %s\nlog:\n%s", p, body, d.logs[p])
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (d *serveDeployment) submissions(id string, value float64) ([3]partyapi.Submission, *big.Int) {
	raw, err := vm.ParseValue(128, 24, vm.TSfix, fmt.Sprint(value))
	require.NoError(d.t, err)
	nonce, err := commit.NewNonce()
	require.NoError(d.t, err)
	v := vm.NewVec(128, 1)
	vm.SetElemBig(128, v, 0, raw)
	c := commit.Compute(raw, nonce)
	tk, err := partyapi.Sign(d.coord, partyapi.Ticket{ID: id, Dataset: "d", Expires: time.Now().Add(time.Hour),
		Commitments: map[string]string{"balance": hex.EncodeToString(c[:])}})
	require.NoError(d.t, err)
	vs, err := runtime.SplitArith(128, v, nil)
	require.NoError(d.t, err)
	var ns [4][3]vm.Share
	for w := range 4 {
		ns[w], err = runtime.SplitBool(vm.Vec{Lo: []uint64{commit.NonceWords(nonce)[w]}}, nil)
		require.NoError(d.t, err)
	}
	word := func(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }
	var subs [3]partyapi.Submission
	for p := range 3 {
		var val [2]string
		var non [4][2]string
		for i := range 2 {
			val[i] = hex.EncodeToString(append(word(vs[p][i].Lo[0]), word(vs[p][i].Hi[0])...))
			for w := range 4 {
				non[w][i] = hex.EncodeToString(word(ns[w][p][i].Lo[0]))
			}
		}
		subs[p] = partyapi.Submission{Ticket: tk, Party: p, Values: map[string][2]string{"balance": val}, Nonce: map[string][4][2]string{"balance": non}}
	}
	return subs, raw
}

// TestServeKillRestart runs three mpcvm serve processes, kills one with
// SIGKILL right after its last acknowledgement, restarts it, and checks
// that every acknowledged submission is there, is admitted and is counted
// by a job; then SIGTERM stops all three cleanly.
func TestServeKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three party processes")
	}
	d := newServeDeployment(t)
	for p := range 3 {
		d.start(p)
	}
	d.waitConnected()

	const n = 40
	var tickets []string
	raws := make([]*big.Int, n)
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprintf("t%02d", i)
		tickets = append(tickets, id)
		subs, raw := d.submissions(id, float64(i)/4)
		raws[i] = raw
		wg.Go(func() {
			for p := range 3 {
				st, body := d.do(p, "POST", "/v1/submissions", subs[p])
				require.Equal(t, 200, st, "party %d: %s", p, body)
			}
		})
	}
	wg.Wait()
	d.kill(1) // at once after the last acknowledgement
	d.start(1)
	d.waitConnected()
	for p := range 3 {
		st, body := d.do(p, "GET", "/v1/datasets/d", nil)
		require.Equal(t, 200, st)
		require.JSONEq(t, fmt.Sprintf(`{"dataset": "d", "pending": %d, "admitted": 0}`, n), string(body), "party %d", p)
	}

	sa, err := partyapi.Sign(d.coord, partyapi.Admission{ID: "adm", Dataset: "d", Tickets: tickets})
	require.NoError(t, err)
	var res [3][]byte
	for p := range 3 {
		wg.Go(func() {
			var st int
			st, res[p] = d.do(p, "POST", "/v1/admissions", sa)
			require.Equal(t, 200, st, "party %d: %s", p, res[p])
		})
	}
	wg.Wait()
	var ar partyapi.AdmissionResult
	require.NoError(t, json.Unmarshal(res[0], &ar))
	require.Equal(t, tickets, ar.Admitted)

	// Kill party 2 after the admission; its admitted rows survive.
	d.kill(2)
	d.start(2)
	d.waitConnected()
	sj, err := partyapi.Sign(d.coord, partyapi.Job{ID: "job", Dataset: "d", Bytecode: d.progB, Rows: n})
	require.NoError(t, err)
	for p := range 3 {
		wg.Go(func() {
			var st int
			st, res[p] = d.do(p, "POST", "/v1/jobs", sj)
			require.Equal(t, 200, st, "party %d: %s", p, res[p])
		})
	}
	wg.Wait()
	v := vm.NewVec(128, n)
	for i, raw := range raws {
		vm.SetElemBig(128, v, i, raw)
	}
	want, err := vm.Emulate(context.Background(), d.prog, &vm.Dataset{Ring: 128, FracBits: 24, Rows: n,
		Columns: []vm.Column{{Name: "balance", Type: vm.TSfix}}, Values: []vm.Vec{v}}, nil)
	require.NoError(t, err)
	var wantOut struct{ Outputs json.RawMessage }
	require.NoError(t, json.Unmarshal(want.JSON(), &wantOut))
	for p := range 3 {
		var jr partyapi.JobResult
		require.NoError(t, json.Unmarshal(res[p], &jr))
		require.JSONEq(t, string(wantOut.Outputs), string(jr.Outputs), "party %d", p)
	}

	// SIGTERM: a clean stop with exit status 0.
	for p := range 3 {
		require.NoError(t, d.procs[p].Process.Signal(syscall.SIGTERM))
	}
	for p := range 3 {
		require.NoError(t, d.procs[p].Wait(), "party %d:\n%s", p, d.logs[p])
		d.procs[p] = nil
		require.Contains(t, d.logs[p].String(), "party server stopped")
	}
}
