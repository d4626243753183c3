package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/coordinator"
	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/coordinator/notary"
	"github.com/mpcs/mpcs/coordinator/notary/datasource"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

func init() { register(demoCmd) }

// demoOptions are the flags of mpcs demo.
type demoOptions struct {
	providers   int
	once        bool
	dir         string
	keep        bool
	programs    string
	bin         string
	concurrency int
	timeout     time.Duration
	security    string
}

// The demo's fixed choices.
const (
	demoDataset = "devcon"
	demoColumn  = "balance"
	demoRing    = 128
)

func demoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo [--providers N] [--once]",
		Short: "Run the whole system on localhost: 3 parties, coordinator, notary, data source, N providers, the Devcon query",
		Long: "Start the whole system on localhost as subprocesses — three parties (mpcvm serve),\n" +
			"the coordinator, the notary and a sample HTTPS data source — with fresh keys and\n" +
			"certificates in a work folder; have N providers contribute their balances at once;\n" +
			"wait until the parties have admitted them; run the Devcon study (programs/devcon);\n" +
			"print the results and the web page's URL, and keep serving until Ctrl-C. With --once,\n" +
			"stop after printing the results. Every process it started is stopped when it ends.\n" +
			"See docs/demo.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.providers < 1 {
				return cli.Usage("--providers must be at least 1")
			}
			if _, err := runtime.ParseSecurity(o.security); err != nil {
				return cli.Usage("--security: %v", err)
			}
			return runDemo(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.providers, "providers", 1000, "how many providers contribute, all at once")
	f.BoolVar(&o.once, "once", false, "exit after printing the results")
	f.StringVar(&o.dir, "dir", "", "work folder for keys, configs, state and logs (default: a new temporary folder)")
	f.BoolVar(&o.keep, "keep", false, "keep the temporary work folder when the demo ends")
	f.StringVar(&o.programs, "programs", "", "the repository's programs folder (default: found from the working folder)")
	f.StringVar(&o.bin, "bin", "", "folder of the mpcs and mpcvm binaries to start (default: this mpcs, and mpcvm next to it or in PATH)")
	f.IntVar(&o.concurrency, "concurrency", 0, "providers in flight at once (0: all of them)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up if the providers and the query take longer")
	f.StringVar(&o.security, "security", "malicious", "the parties' security model: malicious or semi-honest (docs/security.md)")
	return cmd
}

// demo is one run of the demo.
type demo struct {
	o        demoOptions
	out      io.Writer
	dir      string
	temp     bool   // dir is a temporary folder of the demo's own
	programs string // the repository's programs folder
	mpcs     string
	mpcvm    string
	procs    *procs
	publish  bool // the coordinator publishes the Devcon query (re-run on new rows)

	// ports: party peer links, party APIs, coordinator, notary, source
	peer, api                  [3]int
	coordPort, notaryPort, src int

	coordURL, notaryURL, sourceURL string
	partyFP                        [3]string
	notaryFP                       string
	notaryPub                      string
	operatorKey, analystKey        string
	devcon                         []byte // the compiled Devcon program
	devconHash                     string
}

func runDemo(ctx context.Context, o demoOptions, out io.Writer) (err error) {
	d, err := newDemo(o, out)
	if err != nil {
		return err
	}
	defer func() {
		d.close(err == nil)
		if err != nil {
			err = fmt.Errorf("%w\n(the logs are in %s)", err, filepath.Join(d.dir, "logs"))
		}
	}()
	if err := d.setup(); err != nil {
		return cli.Failed(err)
	}
	if err := d.startAll(ctx); err != nil {
		return cli.Failed(err)
	}
	return d.run(ctx)
}

// newDemo finds the binaries and the programs and makes the work folder.
func newDemo(o demoOptions, out io.Writer) (d *demo, err error) {
	d = &demo{o: o, out: out, publish: true}
	if o.bin != "" {
		d.mpcs, err = findBinary("mpcs", o.bin)
	} else {
		d.mpcs, err = os.Executable()
	}
	if err != nil {
		return nil, cli.Usage("cannot find the mpcs executable: %v", err)
	}
	if d.mpcvm, err = findBinary("mpcvm", o.bin); err != nil {
		return nil, cli.Usage("%v", err)
	}
	if !hasSubcommand(d.mpcvm, "serve") {
		return nil, cli.Usage("%s has no serve command: the party server is not built in (make build)", d.mpcvm)
	}
	if !hasSubcommand(d.mpcs, "coordinator") {
		return nil, cli.Usage("%s has no coordinator command (make build)", d.mpcs)
	}
	d.programs = o.programs
	if d.programs == "" {
		wd, _ := os.Getwd()
		root, err := findUp(wd, filepath.Join("programs", "devcon", "devcon.mpcs"))
		if err != nil {
			return nil, cli.Usage("cannot find programs/devcon/devcon.mpcs from %s: run the demo in the repository or give --programs DIR", wd)
		}
		d.programs = filepath.Join(root, "programs")
	}
	d.temp = o.dir == ""
	if d.temp {
		if d.dir, err = os.MkdirTemp("", "mpcs-demo-"); err != nil {
			return nil, cli.Failed(err)
		}
	} else {
		if d.dir, err = filepath.Abs(o.dir); err != nil {
			return nil, cli.Usage("%v", err)
		}
		if entries, err := os.ReadDir(d.dir); err == nil && len(entries) > 0 {
			return nil, cli.Usage("--dir %s is not empty: the demo starts from scratch; remove it or name another", o.dir)
		}
		if err := os.MkdirAll(d.dir, 0o700); err != nil {
			return nil, cli.Usage("%v", err)
		}
	}
	fmt.Fprintf(out, "work folder %s (keys, configs, state; logs in logs/)\n", d.dir)
	d.procs = newProcs(d.dir)
	return d, nil
}

// close stops every process the demo started and, after a run that went
// well, removes a temporary work folder (unless --keep).
func (d *demo) close(ok bool) {
	d.procs.stopAll(10 * time.Second)
	if ok {
		fmt.Fprintln(d.out, "stopped every process the demo started")
	}
	if d.temp && !d.o.keep && ok {
		os.RemoveAll(d.dir)
	}
}

// setup makes keys and certificates, compiles the programs and writes the
// three configs.
func (d *demo) setup() error {
	programs := d.programs
	// The interactive demo prefers well-known ports (the page at :8080);
	// with --once (tests, CI) any free ports do, so runs side by side
	// do not race for them.
	prefer := []int{7100, 7101, 7102, 7200, 7201, 7202, 8080, 7300, 7400}
	if d.o.once {
		prefer = make([]int, len(prefer))
	}
	ports, err := freePorts(prefer)
	if err != nil {
		return err
	}
	copy(d.peer[:], ports[0:3])
	copy(d.api[:], ports[3:6])
	d.coordPort, d.notaryPort, d.src = ports[6], ports[7], ports[8]
	d.coordURL = fmt.Sprintf("http://127.0.0.1:%d", d.coordPort)
	d.notaryURL = fmt.Sprintf("https://127.0.0.1:%d", d.notaryPort)
	d.sourceURL = fmt.Sprintf("https://127.0.0.1:%d", d.src)

	keys := filepath.Join(d.dir, "keys")
	for p := range 3 {
		cert, _, err := runtime.GenerateKey(p, keys)
		if err != nil {
			return err
		}
		if d.partyFP[p], err = runtime.CertFingerprint(cert); err != nil {
			return err
		}
	}
	ckey, err := coordinator.GenerateSigningKey(filepath.Join(keys, "coordinator.key"))
	if err != nil {
		return err
	}
	nkey, _, err := notary.LoadOrCreateKey(filepath.Join(keys, "notary.key"))
	if err != nil {
		return err
	}
	d.notaryPub = notary.PublicKeyHex(nkey)
	if err := tlsutil.SelfSigned(filepath.Join(keys, "notary.crt"), filepath.Join(keys, "notary-tls.key"), "mpcs notary", tlsutil.LocalHosts); err != nil {
		return err
	}
	if d.notaryFP, err = runtime.CertFingerprint(filepath.Join(keys, "notary.crt")); err != nil {
		return err
	}
	if err := tlsutil.SelfSigned(filepath.Join(keys, "datasource.crt"), filepath.Join(keys, "datasource.key"), "mpcs sample data source", tlsutil.LocalHosts); err != nil {
		return err
	}
	d.operatorKey, d.analystKey = randomKey(), randomKey()

	// the programs: the Devcon study and the admission check
	allow := filepath.Join(d.dir, "allow")
	if err := os.MkdirAll(allow, 0o755); err != nil {
		return err
	}
	for _, p := range []struct{ src, out string }{
		{filepath.Join(programs, "devcon", "devcon.mpcs"), "devcon.mpcb"},
		{filepath.Join(programs, "admission", "admission.mpcs"), "admission.mpcb"},
	} {
		b, hash, err := compileProgram(p.src)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(allow, p.out), b, 0o644); err != nil {
			return err
		}
		if p.out == "devcon.mpcb" {
			d.devcon, d.devconHash = b, hash
		}
	}

	frac := compiler.DefaultFracBits(demoRing)
	var deploy strings.Builder
	fmt.Fprintf(&deploy, "# The deployment of the three parties (docs/party.md), written by mpcs demo.\n")
	for p := range 3 {
		fmt.Fprintf(&deploy, "[[party]]\nid = %d\naddress = \"127.0.0.1:%d\"\ncert = \"keys/party%d.crt\"\nkey = \"keys/party%d.key\"\napi = \"127.0.0.1:%d\"\n\n",
			p, d.peer[p], p, p, d.api[p])
	}
	fmt.Fprintf(&deploy, "[coordinator]\npublic_key = %q\n\n", coordinator.PublicKeyHex(ckey))
	fmt.Fprintf(&deploy, "[serve]\ndata_dir = \"data\"\nallowlist = \"allow\"\nring = %d\nfrac_bits = %d\nadmission_program = \"allow/admission.mpcb\"\nsecurity = %q\n", demoRing, frac, d.o.security)
	if err := os.WriteFile(filepath.Join(d.dir, "deploy.toml"), []byte(deploy.String()), 0o600); err != nil {
		return err
	}

	var coord strings.Builder
	fmt.Fprintf(&coord, `# The coordinator (docs/coordinator.md), written by mpcs demo.
listen = "127.0.0.1:%d"
database = "sqlite://%s"
signing_key = "keys/coordinator.key"
operator_keys = [%q]
analyst_keys = [%q]
ring = %d
frac_bits = %d

# The demo's providers all come from 127.0.0.1: no per-address limits.
[rate_limit]

[admission]
interval = "200ms"
batch_size = 2000

`, d.coordPort, filepath.Join(d.dir, "coordinator.db"), d.operatorKey, d.analystKey, demoRing, frac)
	if d.publish {
		fmt.Fprintf(&coord, "\n# The web page shows this query's latest result, re-run as rows are admitted.\n[[published]]\ndataset = %q\nprogram_file = \"allow/devcon.mpcb\"\n", demoDataset)
	}
	for p := range 3 {
		fmt.Fprintf(&coord, "\n[[party]]\nid = %d\nurl = \"https://127.0.0.1:%d\"\ncert = \"keys/party%d.crt\"\n", p, d.api[p], p)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "coordinator.toml"), []byte(coord.String()), 0o600); err != nil {
		return err
	}

	nt := fmt.Sprintf(`# The notary (docs/demo.md), written by mpcs demo.
listen = "127.0.0.1:%d"
key = "keys/notary.key"
tls_cert = "keys/notary.crt"
tls_key = "keys/notary-tls.key"
validity = "1h"
ring = %d
frac_bits = %d

[source]
name = "demo-bank"
url = "%s/accounts/{id}"
json_path = "balance"
column = %q
type = "sfix"
datasets = [%q]
ca = "keys/datasource.crt"
`, d.notaryPort, demoRing, frac, d.sourceURL, demoColumn, demoDataset)
	return os.WriteFile(filepath.Join(d.dir, "notary.toml"), []byte(nt), 0o600)
}

func randomKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// compileProgram compiles an .mpcs file for the demo's ring and returns
// the bytecode and its hash.
func compileProgram(path string) ([]byte, string, error) {
	p, err := compiler.CompileFile(path, compiler.Options{Ring: demoRing})
	if err != nil {
		if diag, ok := compiler.IsDiagnostics(err); ok {
			return nil, "", fmt.Errorf("%s:\n%s", path, diag.Render())
		}
		return nil, "", err
	}
	b, err := vm.Encode(p)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return b, hex.EncodeToString(p.Hash[:]), nil
}

// startAll starts the services and waits until each is healthy.
func (d *demo) startAll(ctx context.Context) error {
	fmt.Fprintln(d.out, "starting the data source, the notary, three parties and the coordinator ...")
	if _, err := d.procs.start("datasource", d.mpcs, "datasource", "--listen", fmt.Sprintf("127.0.0.1:%d", d.src),
		"--cert", "keys/datasource.crt", "--key", "keys/datasource.key"); err != nil {
		return err
	}
	if _, err := d.procs.start("notary", d.mpcs, "notary", "--config", "notary.toml"); err != nil {
		return err
	}
	for p := range 3 {
		if _, err := d.procs.start(fmt.Sprintf("party%d", p), d.mpcvm, "serve", "--party", strconv.Itoa(p), "--config", "deploy.toml"); err != nil {
			return err
		}
	}
	if _, err := d.procs.start("coordinator", d.mpcs, "coordinator", "--config", "coordinator.toml"); err != nil {
		return err
	}

	if err := d.waitHealthy(ctx, "the data source", tlsutil.Trust{CAFile: filepath.Join(d.dir, "keys", "datasource.crt")}, d.sourceURL+"/health"); err != nil {
		return err
	}
	if err := d.waitHealthy(ctx, "the notary", tlsutil.Trust{Fingerprint: d.notaryFP}, d.notaryURL+"/v1/health"); err != nil {
		return err
	}
	for p := range 3 {
		if err := d.waitParty(ctx, p); err != nil {
			return err
		}
	}
	return d.waitCoordinator(ctx)
}

// demoStartWait bounds how long a service may take to become healthy.
const demoStartWait = 60 * time.Second

// waitParty waits until party p's API answers healthy (connected to the
// two others).
func (d *demo) waitParty(ctx context.Context, p int) error {
	return d.waitHealthy(ctx, fmt.Sprintf("party %d", p), tlsutil.Trust{Fingerprint: d.partyFP[p]},
		fmt.Sprintf("https://127.0.0.1:%d/v1/health", d.api[p]))
}

// waitHealthy waits until GET u, over TLS trusted as trust says, answers
// healthy (getOK).
func (d *demo) waitHealthy(ctx context.Context, what string, trust tlsutil.Trust, u string) error {
	hc, err := trust.HTTPClient(5 * time.Second)
	if err != nil {
		return err
	}
	return d.procs.waitFor(ctx, what, demoStartWait, func(ctx context.Context) error {
		return getOK(ctx, hc, u)
	})
}

// waitCoordinator waits until the coordinator answers healthy (it reaches
// the three parties).
func (d *demo) waitCoordinator(ctx context.Context) error {
	cc := client.NewCoordinator(d.coordURL, "", nil)
	return d.procs.waitFor(ctx, "the coordinator", demoStartWait, func(ctx context.Context) error {
		h, err := cc.Health(ctx)
		if err != nil {
			return err
		}
		if h.Status != "ok" {
			return fmt.Errorf("status %q: %+v", h.Status, h.Parties)
		}
		return nil
	})
}

// getOK checks that GET u answers 200 with a JSON status "ok".
func getOK(ctx context.Context, hc *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&h); err != nil {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	if resp.StatusCode != http.StatusOK || h.Status != "ok" {
		return fmt.Errorf("%s: %s, status %q", u, resp.Status, h.Status)
	}
	return nil
}

// run creates the dataset, has the providers contribute, waits for their
// admission, runs the query and prints the results.
func (d *demo) run(parent context.Context) error {
	ctx, cancel := context.WithTimeout(parent, d.o.timeout)
	defer cancel()
	ctx, stop := d.watch(ctx)
	defer stop()

	if err := d.createDataset(ctx); err != nil {
		return d.fail(ctx, err)
	}
	fmt.Fprintf(d.out, "all services are up; dataset %q created; the Devcon program %s is on every party's allowlist\n", demoDataset, d.devconHash[:16])

	ids := demoIDs(0, d.o.providers)
	fmt.Fprintf(d.out, "%d providers contribute their balances at once ...\n", len(ids))
	res, err := d.contribute(ctx, ids)
	if err != nil {
		return d.fail(ctx, err)
	}
	start := time.Now()
	ds, err := d.waitAdmitted(ctx, int64(len(ids)))
	if err != nil {
		return d.fail(ctx, err)
	}
	fmt.Fprintf(d.out, "the parties admitted %d rows (commitments checked in MPC) %s after the last submission\n", ds.Rows, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	q, err := d.query(ctx)
	if err != nil {
		return d.fail(ctx, err)
	}
	took := time.Since(start)
	fmt.Fprintf(d.out, "\nDevcon study over %d providers (query %s: computed in %s; this request waited %s):\n",
		q.Rows, q.ID, queryCompute(q).Round(time.Millisecond), took.Round(time.Millisecond))
	if err := printOutputs(d.out, q.Outputs); err != nil {
		return cli.Failed(err)
	}
	fmt.Fprintf(d.out, "in the clear, for comparison (the demo knows the sample source): %s\n", clearStats(ids))
	ms := res.MedianSteps()
	fmt.Fprintf(d.out, "submission latency of the %d providers: p50 %s, p99 %s (medians: notary %s, registration %s, parties %s, confirmation %s)\n",
		len(res.Latencies), res.Percentile(0.50).Round(time.Millisecond), res.Percentile(0.99).Round(time.Millisecond),
		ms.Attest.Round(time.Millisecond), ms.Register.Round(time.Millisecond), ms.Parties.Round(time.Millisecond), ms.Confirm.Round(time.Millisecond))
	fmt.Fprintf(d.out, "\nweb page: %s/\n", d.coordURL)
	if d.o.once {
		return nil
	}
	stop()
	fmt.Fprintf(d.out, "serving until Ctrl-C ...\n")
	select {
	case <-parent.Done():
		return nil
	case err := <-d.procs.exited:
		return cli.Failed(err)
	}
}

// createDataset creates the demo's dataset, accepting the notary's key,
// and stores the Devcon program at the coordinator.
func (d *demo) createDataset(ctx context.Context) error {
	op := d.operator()
	_, err := op.CreateDataset(ctx, api.CreateDataset{Name: demoDataset,
		Columns:    []partyapi.Column{{Name: demoColumn, Type: "sfix"}},
		NotaryKeys: []string{d.notaryPub}, MinRows: int64(min(d.o.providers, 10))})
	if err != nil && client.StatusOf(err) != http.StatusConflict {
		return err
	}
	_, err = op.UploadProgram(ctx, d.devcon)
	return err
}

// demoIDs are the source ids of providers from+1 .. from+n.
func demoIDs(from, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("acct-%05d", from+i+1)
	}
	return ids
}

// provider is a provider client of the demo's services.
func (d *demo) provider() (*client.Provider, error) {
	nc, err := client.NewNotary(d.notaryURL, tlsutil.Trust{Fingerprint: d.notaryFP})
	if err != nil {
		return nil, err
	}
	return &client.Provider{Coordinator: client.NewCoordinator(d.coordURL, "", nil), Notary: nc, Parties: &client.Parties{}}, nil
}

func (d *demo) operator() *client.Coordinator {
	return client.NewCoordinator(d.coordURL, d.operatorKey, nil)
}

func (d *demo) analyst() *client.Coordinator {
	return client.NewCoordinator(d.coordURL, d.analystKey, nil)
}

// contribute has the providers of ids contribute at once and reports how
// it went; it fails if any could not.
func (d *demo) contribute(ctx context.Context, ids []string) (*client.LoadResult, error) {
	prov, err := d.provider()
	if err != nil {
		return nil, err
	}
	res := prov.ShareMany(ctx, demoDataset, ids, d.o.concurrency)
	fmt.Fprintf(d.out, "%d of %d providers submitted in %s\n", len(res.Receipts), len(ids), res.Elapsed.Round(time.Millisecond))
	if len(res.Errors) == 0 {
		return res, nil
	}
	failedIDs := make([]string, 0, len(res.Errors))
	for id := range res.Errors {
		failedIDs = append(failedIDs, id)
	}
	sort.Strings(failedIDs)
	for _, id := range failedIDs[:min(5, len(failedIDs))] {
		fmt.Fprintf(d.out, "  %s: %v\n", id, res.Errors[id])
	}
	return res, fmt.Errorf("%d providers could not contribute", len(res.Errors))
}

// query runs the Devcon query as an analyst and waits for its result.
func (d *demo) query(ctx context.Context) (*api.Query, error) {
	an := d.analyst()
	q, err := an.CreateQuery(ctx, api.CreateQuery{Dataset: demoDataset, ProgramHash: d.devconHash, Params: map[string]string{}}, 0)
	if err != nil {
		return nil, err
	}
	return an.WaitQuery(ctx, q.ID)
}

// queryCompute is how long the coordinator took from accepting a query to
// its result.
func queryCompute(q *api.Query) time.Duration {
	if q.FinishedAt == nil {
		return 0
	}
	return q.FinishedAt.Sub(q.CreatedAt)
}

// watch returns a context that ends when ctx does or a service exits, and
// a function to release it.
func (d *demo) watch(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		select {
		case err := <-d.procs.exited:
			cancel(err)
		case <-done:
		}
	}()
	return ctx, sync.OnceFunc(func() { close(done); cancel(nil) })
}

// fail returns err, or the reason ctx ended if that explains it better.
func (d *demo) fail(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
		return cli.Failed(cause)
	}
	return cli.Failed(err)
}

// waitAdmitted polls the dataset until want rows are admitted; it fails
// when nothing is pending any more with fewer (rows were rejected).
func (d *demo) waitAdmitted(ctx context.Context, want int64) (*api.Dataset, error) {
	c := d.operator()
	last := time.Now()
	for {
		ds, err := c.Dataset(ctx, demoDataset)
		if err != nil {
			return nil, err
		}
		if ds.Rows >= want {
			return ds, nil
		}
		if ds.Pending == 0 {
			return ds, fmt.Errorf("only %d of %d rows were admitted (see the coordinator's log for the rejected tickets)", ds.Rows, want)
		}
		if time.Since(last) > 5*time.Second {
			fmt.Fprintf(d.out, "  ... %d admitted, %d pending\n", ds.Rows, ds.Pending)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for admission (%d of %d rows): %w", ds.Rows, want, context.Cause(ctx))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// printOutputs prints a query's outputs, the Devcon ones first.
func printOutputs(w io.Writer, raw json.RawMessage) error {
	var outs map[string]json.RawMessage
	if err := json.Unmarshal(raw, &outs); err != nil {
		return fmt.Errorf("the query's outputs: %w", err)
	}
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	order := []string{"providers", "mean", "median", "max", "gini"}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, outs[n])
	}
	return nil
}

// clearStats computes the Devcon statistics of the sample balances in the
// clear (float64), which the demo can do only because it knows the source.
func clearStats(ids []string) string {
	xs := make([]float64, len(ids))
	for i, id := range ids {
		xs[i], _ = strconv.ParseFloat(datasource.Balance(id), 64)
	}
	sort.Float64s(xs)
	n := float64(len(xs))
	var sum, weighted float64
	for i, x := range xs {
		sum += x
		weighted += float64(i+1) * x
	}
	median := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		median = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	gini := 2*weighted/(n*sum) - (n+1)/n
	return fmt.Sprintf("mean %s, median %s, max %s, gini %s", fmtF(sum/n), fmtF(median), fmtF(xs[len(xs)-1]), fmtF(gini))
}

func fmtF(x float64) string {
	if math.IsNaN(x) {
		return "nan"
	}
	return strconv.FormatFloat(x, 'f', 6, 64)
}
