package main

// End-to-end tests of the whole system on localhost: they build mpcs and
// mpcvm, start every service as the demo does (three parties, the
// coordinator, the notary, the sample source) and drive providers and
// analysts against them, including the faults of issue 6 (a lying
// provider, a party killed during a query, restarts). Skipped with -short.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/coordinator/notary"
	"github.com/mpcs/mpcs/stdlib/commit"
)

// repoRoot is the module's root folder.
func repoRoot(t testing.TB) string {
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, err := findUp(wd, "go.mod")
	require.NoError(t, err)
	return root
}

// demoBinaries builds mpcs and mpcvm into a folder of the test's own
// (about a second with a warm build cache; a shared folder could be
// rewritten by another test run while this one executes it) and returns
// it. It skips the test with -short, and fails it when the binaries lack
// the services (mpcvm serve, mpcs coordinator): they are built in, so a
// binary without them is broken, not early.
func demoBinaries(t testing.TB) string {
	if testing.Short() {
		t.Skip("end to end: builds the binaries and runs every service; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	dir := t.TempDir()
	cmd := exec.Command(gobin, "build", "-o", dir+string(filepath.Separator), "./cmd/mpcs", "./cmd/mpcvm")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	for _, c := range [][2]string{{"mpcvm", "serve"}, {"mpcs", "coordinator"}} {
		require.True(t, hasSubcommand(filepath.Join(dir, c[0]), c[1]), "%s %s does not run: the end-to-end tests need it", c[0], c[1])
	}
	return dir
}

// logWriter writes into the test log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// startDemo starts every service as mpcs demo does, with the dataset
// created, and stops them when the test ends (keeping the work folder of a
// failed test). publish makes the coordinator publish the Devcon query.
func startDemo(t testing.TB, publish bool) (*demo, context.Context) {
	return startDemoAs(t, publish, "malicious", 5*time.Minute)
}

// startDemoAs is startDemo with the parties' security model and a time
// limit.
func startDemoAs(t testing.TB, publish bool, security string, limit time.Duration) (*demo, context.Context) {
	bin := demoBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	d, err := newDemo(demoOptions{bin: bin, programs: filepath.Join(repoRoot(t), "programs"), providers: 1000, once: true, security: security}, logWriter{t})
	require.NoError(t, err)
	d.publish = publish
	t.Cleanup(func() {
		d.close(!t.Failed())
		if t.Failed() {
			t.Logf("work folder with the logs: %s", d.dir)
		}
	})
	require.NoError(t, d.setup())
	require.NoError(t, d.startAll(ctx))
	require.NoError(t, d.createDataset(ctx))
	return d, ctx
}

// demoOutputs are a query's outputs.
type demoOutputs struct {
	Providers            int64
	Mean, Median, Max, G float64
}

func parseOutputs(t testing.TB, q *api.Query) demoOutputs {
	var o struct {
		Providers int64   `json:"providers"`
		Mean      float64 `json:"mean"`
		Median    float64 `json:"median"`
		Max       float64 `json:"max"`
		Gini      float64 `json:"gini"`
	}
	require.NoError(t, json.Unmarshal(q.Outputs, &o), "%s", q.Outputs)
	return demoOutputs{o.Providers, o.Mean, o.Median, o.Max, o.Gini}
}

// clearOutputs are the Devcon statistics of the sample balances of ids, in
// the clear.
func clearOutputs(t testing.TB, ids []string) demoOutputs {
	var o demoOutputs
	o.Providers = int64(len(ids))
	_, err := fmt.Sscanf(clearStats(ids), "mean %g, median %g, max %g, gini %g", &o.Mean, &o.Median, &o.Max, &o.G)
	require.NoError(t, err)
	return o
}

func assertClose(t testing.TB, want, got demoOutputs) {
	t.Helper()
	assert.Equal(t, want.Providers, got.Providers)
	// fixed point with 24 fractional bits; the clear side rounds the
	// balances the same way only up to 2^-24
	for _, v := range []struct {
		name      string
		want, got float64
	}{{"mean", want.Mean, got.Mean}, {"median", want.Median, got.Median}, {"max", want.Max, got.Max}, {"gini", want.G, got.G}} {
		assert.InDelta(t, v.want, v.got, 1e-4*math.Max(1, math.Abs(v.want)), v.name)
	}
}

// TestDemoOnce runs `mpcs demo --providers 50 --once` as a user would and
// checks its results against the clear statistics of the sample source,
// and that it stopped what it started.
func TestDemoOnce(t *testing.T) {
	bin := demoBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "mpcs"), "demo", "--providers", "50", "--once")
	cmd.Dir = repoRoot(t)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Log(out.String())
	require.NoError(t, err)

	text := out.String()
	assert.Contains(t, text, "50 of 50 providers submitted")
	assert.Contains(t, text, "the parties admitted 50 rows")
	assert.Contains(t, text, "stopped every process the demo started")
	got := map[string]float64{}
	var webPort string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				got[f[0]] = v
			}
		}
		if rest, ok := strings.CutPrefix(sc.Text(), "web page: http://127.0.0.1:"); ok {
			webPort = strings.TrimSuffix(rest, "/")
		}
	}
	assertClose(t, clearOutputs(t, demoIDs(0, 50)),
		demoOutputs{int64(got["providers"]), got["mean"], got["median"], got["max"], got["gini"]})

	// the coordinator's port is free again: the demo stopped it
	require.NotEmpty(t, webPort)
	l, err := net.Listen("tcp", "127.0.0.1:"+webPort)
	require.NoError(t, err, "the coordinator still listens after the demo ended")
	l.Close()
}

// TestDemoLyingProvider: a provider who shares another value than the
// notary attested passes registration and intake (nobody sees the value)
// but is rejected at admission by the commitment check in MPC; the
// others are admitted and the statistics are theirs alone.
func TestDemoLyingProvider(t *testing.T) {
	d, ctx := startDemo(t, false)
	honest := demoIDs(0, 20)
	_, err := d.contribute(ctx, honest)
	require.NoError(t, err)

	prov, err := d.provider()
	require.NoError(t, err)
	nonce, err := commit.NewNonce()
	require.NoError(t, err)
	att, err := prov.Notary.Attest(ctx, notary.AttestRequest{Dataset: demoDataset, SourceID: "acct-liar", Nonce: fmt.Sprintf("%x", nonce)})
	require.NoError(t, err)
	row, err := client.RowFromAttestation(att)
	require.NoError(t, err)
	cell := row.Values[demoColumn]
	// claims a million ETH more than the bank says
	cell.Raw = new(big.Int).Add(cell.Raw, new(big.Int).Lsh(big.NewInt(1_000_000), 24))
	row.Values[demoColumn] = cell
	rec, err := prov.Submit(ctx, demoDataset, att, row, time.Now())
	require.NoError(t, err, "the lie is not visible before the check in MPC")

	_, err = d.waitAdmitted(ctx, 21)
	require.ErrorContains(t, err, "only 20 of 21 rows were admitted")
	st, err := prov.Coordinator.Provider(ctx, demoDataset, rec.Ticket)
	require.NoError(t, err)
	assert.Equal(t, "rejected", st.Status)
	assert.NotEmpty(t, st.Reason)
	t.Logf("the liar's ticket: %s (%s)", st.Status, st.Reason)

	q, err := d.query(ctx)
	require.NoError(t, err)
	assertClose(t, clearOutputs(t, honest), parseOutputs(t, q))
}

// TestDemoPartyKilledDuringQuery: party 1 is killed while it computes a
// query; the query fails with an error, and once the party is back the
// same query succeeds.
func TestDemoPartyKilledDuringQuery(t *testing.T) {
	d, ctx := startDemo(t, false)
	ids := demoIDs(0, 3000)
	_, err := d.contribute(ctx, ids)
	require.NoError(t, err)
	_, err = d.waitAdmitted(ctx, int64(len(ids)))
	require.NoError(t, err)

	an := d.analyst()
	q, err := an.CreateQuery(ctx, api.CreateQuery{Dataset: demoDataset, ProgramHash: d.devconHash, Params: map[string]string{}}, 0)
	require.NoError(t, err)
	// kill party 1 once it has started the job
	log := d.procs.get("party1").logPath
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(log)
		return bytes.Contains(b, []byte(`"job started"`)) && bytes.Contains(b, []byte(q.ID))
	}, time.Minute, time.Millisecond)
	require.NoError(t, d.procs.kill("party1"))
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	q, err = an.WaitQuery(wctx, q.ID)
	require.Error(t, err, "a query cannot finish without party 1")
	require.NotNil(t, q)
	assert.Equal(t, "failed", q.Status)
	assert.NotEmpty(t, q.Error)
	t.Logf("the query failed %s after the kill: %s", time.Since(start).Round(time.Millisecond), q.Error)

	require.NoError(t, d.procs.restart("party1"))
	require.NoError(t, d.waitParty(ctx, 1))
	require.NoError(t, d.waitCoordinator(ctx))
	q, err = d.query(ctx)
	require.NoError(t, err, "the retry succeeds once the party is back")
	assertClose(t, clearOutputs(t, ids), parseOutputs(t, q))
}

// TestDemoRestartsLoseNoRow: a party is down (killed) when providers
// start to submit and comes back a moment later — every provider still gets
// its three receipts (the client retries the same shares) and every row is
// admitted; then the coordinator and a party are killed and restarted — no
// admitted row is lost, the query sees them all, and providers go on.
func TestDemoRestartsLoseNoRow(t *testing.T) {
	d, ctx := startDemo(t, false)
	first := demoIDs(0, 100)
	_, err := d.contribute(ctx, first)
	require.NoError(t, err)
	_, err = d.waitAdmitted(ctx, int64(len(first)))
	require.NoError(t, err)

	// no admission is under way now: kill party 2, let providers come
	require.NoError(t, d.procs.kill("party2"))
	second := demoIDs(len(first), 300)
	var res *client.LoadResult
	var cerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, cerr = d.contribute(ctx, second)
	}()
	time.Sleep(500 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the contributions were over while party 2 was down")
	default:
	}
	require.NoError(t, d.procs.restart("party2"))
	<-done
	require.NoError(t, cerr)
	assert.Len(t, res.Receipts, len(second))
	all := append(append([]string{}, first...), second...)
	_, err = d.waitAdmitted(ctx, int64(len(all)))
	require.NoError(t, err)

	require.NoError(t, d.procs.kill("coordinator"))
	require.NoError(t, d.procs.restart("coordinator"))
	require.NoError(t, d.procs.kill("party0"))
	require.NoError(t, d.procs.restart("party0"))
	for p := range 3 {
		require.NoError(t, d.waitParty(ctx, p))
	}
	require.NoError(t, d.waitCoordinator(ctx))
	ds, err := d.operator().Dataset(ctx, demoDataset)
	require.NoError(t, err)
	assert.Equal(t, int64(len(all)), ds.Rows, "admitted rows after the restarts")
	q, err := d.query(ctx)
	require.NoError(t, err)
	assertClose(t, clearOutputs(t, all), parseOutputs(t, q))

	more := demoIDs(len(all), 100)
	_, err = d.contribute(ctx, more)
	require.NoError(t, err)
	all = append(all, more...)
	_, err = d.waitAdmitted(ctx, int64(len(all)))
	require.NoError(t, err)
	q, err = d.query(ctx)
	require.NoError(t, err)
	assertClose(t, clearOutputs(t, all), parseOutputs(t, q))
}

// TestShareCommand runs `mpcs share` as a provider would against the
// running services: a receipt and exit 0; the same source id again is
// refused with exit 1 and the coordinator's reason.
func TestShareCommand(t *testing.T) {
	d, ctx := startDemo(t, false)
	share := func(id string) (string, int) {
		cmd := exec.CommandContext(ctx, d.mpcs, "share", "--dataset", demoDataset, "--coordinator", d.coordURL,
			"--notary", d.notaryURL, "--notary-fingerprint", d.notaryFP, "--source-id", id)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return string(out), code
	}
	out, code := share("acct-00007")
	t.Log(out)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "receipt: acct-00007 of demo-bank contributed to dataset \"devcon\"")
	for p := range 3 {
		assert.Contains(t, out, fmt.Sprintf("party %d     stored", p))
	}
	_, err := d.waitAdmitted(ctx, 1)
	require.NoError(t, err)

	out, code = share("acct-00007")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "registration: coordinator:")
	assert.Contains(t, out, "already registered")
	assert.Contains(t, out, "(HTTP 409)")
}

// TestDemoPartyKilledDuringAdmission: party 2 is killed while the parties
// check an admission batch, and restarted; every submitted row must still
// be admitted. The coordinator retries the batch under a fresh id (the
// others refuse the failed one for good), and if the others committed the
// batch before party 2 did, party 2 first catches up with them.
func TestDemoPartyKilledDuringAdmission(t *testing.T) {
	d, ctx := startDemo(t, false)
	ids := demoIDs(0, 2000)
	_, err := d.contribute(ctx, ids)
	require.NoError(t, err)
	log := d.procs.get("party2").logPath
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(log)
		return bytes.Contains(b, []byte(`"admission started"`))
	}, time.Minute, time.Millisecond)
	require.NoError(t, d.procs.kill("party2"))
	require.NoError(t, d.procs.restart("party2"))
	require.NoError(t, d.waitParty(ctx, 2))
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = d.waitAdmitted(wctx, int64(len(ids)))
	require.NoError(t, err)
	q, err := d.query(ctx)
	require.NoError(t, err)
	assertClose(t, clearOutputs(t, ids), parseOutputs(t, q))
}
