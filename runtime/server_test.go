package runtime

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

const srvTestProgram = `
balance = input("balance", sfix)
output("providers", len(balance))
output("total", sum(balance))
output("max", max(balance))
output("mean", sum(balance) / len(balance))
`

type srvCluster struct {
	t       *testing.T
	dir     string
	cfgPath string
	cfg     *Config
	coord   ed25519.PrivateKey
	servers [3]*Server
	logs    [3]*srvLogBuf
	client  [3]*http.Client
	ring    int
	frac    int
	prog    *vm.Program
	progB   []byte
	// listeners bound before the config was written, handed to the
	// servers on their first start
	apiLn, mpcLn [3]net.Listener
}

// srvLogBuf collects a server's logs (to check they hold no share).
type srvLogBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *srvLogBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *srvLogBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func srvCompile(t *testing.T, path string, src []byte, ring int) (*vm.Program, []byte) {
	t.Helper()
	p, err := compiler.Compile(path, src, compiler.Options{Ring: ring})
	if d, ok := compiler.IsDiagnostics(err); ok {
		t.Fatal(d.Render())
	}
	require.NoError(t, err)
	b, err := vm.Encode(p)
	require.NoError(t, err)
	return p, b
}

// newSrvCluster writes a deployment (keys, config, allowlist with the
// admission program and the test program) and starts three servers.
func newSrvCluster(t *testing.T, ring int) *srvCluster {
	t.Helper()
	c := &srvCluster{t: t, dir: t.TempDir(), ring: ring, frac: compiler.DefaultFracBits(ring)}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	c.coord = priv
	var cfg strings.Builder
	// bind every listener first and write the config from their addresses,
	// so no other process can take a port between choosing and binding it
	for p := range 3 {
		_, _, err := GenerateKey(p, filepath.Join(c.dir, "keys"))
		require.NoError(t, err)
		for i, ln := range []*net.Listener{&c.mpcLn[p], &c.apiLn[p]} {
			*ln, err = net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err, "listener %d of party %d", i, p)
		}
		fmt.Fprintf(&cfg, "[[party]]\nid = %d\naddress = %q\ncert = \"keys/party%d.crt\"\nkey = \"keys/party%d.key\"\napi = %q\n\n",
			p, c.mpcLn[p].Addr().String(), p, p, c.apiLn[p].Addr().String())
	}
	fmt.Fprintf(&cfg, "[timeouts]\nidle = \"20s\"\n\n[coordinator]\npublic_key = %q\n\n", hex.EncodeToString(pub))
	fmt.Fprintf(&cfg, "[serve]\ndata_dir = \"data\"\nallowlist = \"allow\"\nring = %d\nfrac_bits = %d\nadmission_program = \"allow/admission.mpcb\"\n", ring, c.frac)
	c.cfgPath = filepath.Join(c.dir, "deploy.toml")
	require.NoError(t, os.WriteFile(c.cfgPath, []byte(cfg.String()), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(c.dir, "allow"), 0o755))
	admSrc, err := os.ReadFile("../programs/admission/admission.mpcs")
	require.NoError(t, err)
	_, adm := srvCompile(t, "admission.mpcs", admSrc, ring)
	require.NoError(t, os.WriteFile(filepath.Join(c.dir, "allow", "admission.mpcb"), adm, 0o644))
	c.prog, c.progB = srvCompile(t, "stats.mpcs", []byte(srvTestProgram), ring)
	require.NoError(t, os.WriteFile(filepath.Join(c.dir, "allow", "stats.mpcb"), c.progB, 0o644))
	c.cfg, err = LoadConfig(c.cfgPath)
	require.NoError(t, err)
	for p := range 3 {
		c.logs[p] = &srvLogBuf{}
		fp, err := CertFingerprint(filepath.Join(c.dir, "keys", fmt.Sprintf("party%d.crt", p)))
		require.NoError(t, err)
		c.client[p] = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256, TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS13,
			InsecureSkipVerify: true, // pinned below
			VerifyConnection: func(cs tls.ConnectionState) error {
				sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
				if hex.EncodeToString(sum[:]) != fp {
					return fmt.Errorf("party %d: certificate not pinned", p)
				}
				return nil
			},
		}}}
	}
	for p := range 3 {
		c.start(p)
	}
	t.Cleanup(func() {
		for p := range 3 {
			c.stop(p)
		}
	})
	return c
}

func (c *srvCluster) start(p int) {
	c.t.Helper()
	log := slog.New(slog.NewJSONHandler(c.logs[p], &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := *c.cfg
	cfg.Logger = log
	s, err := NewServer(&cfg, p, log)
	require.NoError(c.t, err)
	if c.apiLn[p] != nil { // first start: the listeners bound above
		s.UseListeners(c.apiLn[p], c.mpcLn[p])
		c.apiLn[p], c.mpcLn[p] = nil, nil
	}
	require.NoError(c.t, s.Start(context.Background()))
	c.servers[p] = s
}

func (c *srvCluster) stop(p int) {
	if c.servers[p] != nil {
		c.servers[p].Close()
		c.servers[p] = nil
	}
}

// do sends a request to party p and returns the status and body.
func (c *srvCluster) do(p int, method, path string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, "https://"+c.cfg.Lookup(p).API+path, r)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client[p].Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, out
}

// all sends the same request to the three parties at once.
func (c *srvCluster) all(method, path string, body any) ([3]int, [3][]byte) {
	var st [3]int
	var out [3][]byte
	var wg sync.WaitGroup
	for p := range 3 {
		wg.Go(func() { st[p], out[p] = c.do(p, method, path, body) })
	}
	wg.Wait()
	return st, out
}

// srvProvider is one provider's row in the clear and its three submissions.
type srvProvider struct {
	ticket string
	value  float64
	raw    *big.Int
	subs   [3]partyapi.Submission
}

func (c *srvCluster) ticket(id, dataset string, commit [32]byte, expires time.Time) partyapi.Signed[partyapi.Ticket] {
	st, err := partyapi.Sign(c.coord, partyapi.Ticket{ID: id, Dataset: dataset, Expires: expires,
		Commitments: map[string]string{"balance": hex.EncodeToString(commit[:])}})
	require.NoError(c.t, err)
	return st
}

// provider splits value (column balance, sfix) and a random nonce into the
// three parties' submissions with a ticket for dataset.
func (c *srvCluster) provider(id, dataset string, value float64) *srvProvider {
	raw, err := vm.ParseValue(c.ring, c.frac, vm.TSfix, fmt.Sprint(value))
	require.NoError(c.t, err)
	nonce, err := commit.NewNonce()
	require.NoError(c.t, err)
	pr := &srvProvider{ticket: id, value: value, raw: raw}
	tk := c.ticket(id, dataset, commit.Compute(raw, nonce), time.Now().Add(time.Hour))
	v := vm.NewVec(c.ring, 1)
	vm.SetElemBig(c.ring, v, 0, raw)
	vs, err := SplitArith(c.ring, v, nil)
	require.NoError(c.t, err)
	var ns [4][3]vm.Share
	for w := range 4 {
		ns[w], err = SplitBool(vm.Vec{Lo: []uint64{commit.NonceWords(nonce)[w]}}, nil)
		require.NoError(c.t, err)
	}
	for p := range 3 {
		sub := partyapi.Submission{Ticket: tk, Party: p, Values: map[string][2]string{}, Nonce: map[string][4][2]string{}}
		var val [2]string
		var non [4][2]string
		for i := range 2 {
			val[i] = srvHexElem(c.ring, vs[p][i])
			for w := range 4 {
				non[w][i] = srvHexElem(64, ns[w][p][i])
			}
		}
		sub.Values["balance"] = val
		sub.Nonce["balance"] = non
		pr.subs[p] = sub
	}
	return pr
}

func srvHexElem(k int, v vm.Vec) string {
	b := binary.LittleEndian.AppendUint64(nil, v.Lo[0])
	if k == 128 {
		hi := uint64(0)
		if v.Hi != nil {
			hi = v.Hi[0]
		}
		b = binary.LittleEndian.AppendUint64(b, hi)
	}
	return hex.EncodeToString(b)
}

func (c *srvCluster) submit(pr *srvProvider) {
	c.t.Helper()
	for p := range 3 {
		st, body := c.do(p, "POST", "/v1/submissions", pr.subs[p])
		require.Equal(c.t, 200, st, "party %d: %s", p, body)
		var rc partyapi.SubmissionReceipt
		require.NoError(c.t, json.Unmarshal(body, &rc))
		require.Equal(c.t, pr.ticket, rc.Ticket)
		require.Equal(c.t, "pending", rc.Status)
	}
}

func (c *srvCluster) admit(id, dataset string, tickets []string) partyapi.AdmissionResult {
	c.t.Helper()
	sa, err := partyapi.Sign(c.coord, partyapi.Admission{ID: id, Dataset: dataset, Tickets: tickets})
	require.NoError(c.t, err)
	st, out := c.all("POST", "/v1/admissions", sa)
	for p := range 3 {
		require.Equal(c.t, 200, st[p], "party %d: %s", p, out[p])
		require.JSONEq(c.t, string(out[0]), string(out[p]), "the parties agree")
	}
	var res partyapi.AdmissionResult
	require.NoError(c.t, json.Unmarshal(out[0], &res))
	return res
}

func (c *srvCluster) job(id, dataset string, rows int64, bytecode []byte) ([3]int, [3][]byte) {
	sj, err := partyapi.Sign(c.coord, partyapi.Job{ID: id, Dataset: dataset, Bytecode: bytecode, Rows: rows, Params: map[string]string{}})
	require.NoError(c.t, err)
	return c.all("POST", "/v1/jobs", sj)
}

// emulate runs the test program on the cleartext rows.
func (c *srvCluster) emulate(rows []*srvProvider) string {
	c.t.Helper()
	v := vm.NewVec(c.ring, len(rows))
	for i, r := range rows {
		vm.SetElemBig(c.ring, v, i, r.raw)
	}
	data := &vm.Dataset{Ring: c.ring, FracBits: c.frac, Rows: len(rows), Columns: []vm.Column{{Name: "balance", Type: vm.TSfix}}, Values: []vm.Vec{v}}
	res, err := vm.Emulate(context.Background(), c.prog, data, nil)
	require.NoError(c.t, err)
	var outs struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	require.NoError(c.t, json.Unmarshal(res.JSON(), &outs))
	return string(outs.Outputs)
}

func (c *srvCluster) checkJob(id, dataset string, rows []*srvProvider) {
	c.t.Helper()
	st, out := c.job(id, dataset, int64(len(rows)), c.progB)
	want := c.emulate(rows)
	for p := range 3 {
		require.Equal(c.t, 200, st[p], "party %d: %s", p, out[p])
		var jr partyapi.JobResult
		require.NoError(c.t, json.Unmarshal(out[p], &jr))
		require.Equal(c.t, id, jr.ID)
		require.JSONEq(c.t, want, string(jr.Outputs), "party %d", p)
		require.Positive(c.t, jr.Rounds)
	}
}

func (c *srvCluster) status(p int, dataset string) partyapi.DatasetStatus {
	c.t.Helper()
	st, out := c.do(p, "GET", "/v1/datasets/"+dataset, nil)
	require.Equal(c.t, 200, st, "%s", out)
	var ds partyapi.DatasetStatus
	require.NoError(c.t, json.Unmarshal(out, &ds))
	return ds
}

func srvTickets(rows []*srvProvider) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.ticket)
	}
	return out
}

func TestServerEndToEnd(t *testing.T) {
	for _, ring := range []int{128, 64} {
		t.Run(fmt.Sprint("ring", ring), func(t *testing.T) {
			if ring == 64 && testing.Short() {
				t.Skip("short")
			}
			c := newSrvCluster(t, ring)
			var rows []*srvProvider
			for i := range 10 {
				rows = append(rows, c.provider(fmt.Sprintf("t%02d", i), "devcon", float64(i*i)/4-3.5))
			}
			// A provider whose value does not match its commitment.
			forged := c.provider("forged", "devcon", 100)
			var other [32]byte
			forgedTicket := c.ticket("forged", "devcon", other, time.Now().Add(time.Hour))
			for p := range 3 {
				forged.subs[p].Ticket = forgedTicket
			}
			// A provider whose shares disagree: party 1's copy of x_2
			// differs from party 2's.
			bad := c.provider("bad-shares", "devcon", 7)
			comp := bad.subs[1].Values["balance"]
			b, _ := hex.DecodeString(comp[1])
			b[0] ^= 1
			comp[1] = hex.EncodeToString(b)
			bad.subs[1].Values["balance"] = comp
			// A provider who reached only parties 0 and 1.
			partial := c.provider("partial", "devcon", 1)

			for _, pr := range append(rows, forged, bad) {
				c.submit(pr)
			}
			for p := range 2 {
				st, body := c.do(p, "POST", "/v1/submissions", partial.subs[p])
				require.Equal(t, 200, st, "%s", body)
			}
			for p := range 3 {
				require.Equal(t, partyapi.DatasetStatus{Dataset: "devcon", Pending: 12 + int64(min(1, 1-p/2)), Admitted: 0}, c.status(p, "devcon"))
			}

			tickets := append(srvTickets(rows[:5]), "forged", "bad-shares", "partial", "never-submitted")
			tickets = append(tickets, srvTickets(rows[5:])...)
			res := c.admit("adm-1", "devcon", tickets)
			require.Equal(t, srvTickets(rows), res.Admitted, "admitted in the batch's order")
			require.Equal(t, map[string]string{
				"forged":          admCommitMismatch,
				"bad-shares":      "the shares disagree: component x_2 differs between parties 1 and 2",
				"partial":         "not submitted to party 2",
				"never-submitted": "not submitted to party 0",
			}, res.Rejected)
			require.EqualValues(t, 10, res.Rows)
			require.Equal(t, res, c.admit("adm-1", "devcon", tickets), "a retry gets the same result")
			for p := range 3 {
				ds := c.status(p, "devcon")
				require.EqualValues(t, 10, ds.Admitted)
				require.EqualValues(t, min(1, 1-p/2), ds.Pending, "party %d: only the partial submission stays pending", p)
			}

			// A second batch: the partial provider completes its submission.
			st, body := c.do(2, "POST", "/v1/submissions", partial.subs[2])
			require.Equal(t, 200, st, "%s", body)
			res = c.admit("adm-2", "devcon", []string{"partial", "t03"})
			require.Equal(t, []string{"partial"}, res.Admitted)
			require.Equal(t, map[string]string{"t03": "already admitted by an earlier admission"}, res.Rejected)
			require.EqualValues(t, 11, res.Rows)
			rows = append(rows, partial)

			c.checkJob("job-1", "devcon", rows)
			c.checkJob("job-2", "devcon", rows[:4])
			// A retried job gets the stored result.
			c.checkJob("job-1", "devcon", rows)

			for p := range 3 {
				logs := c.logs[p].String()
				require.Contains(t, logs, "admission finished")
				for _, pr := range rows {
					for _, comp := range pr.subs[p].Values["balance"] {
						require.NotContains(t, logs, comp, "a share in the logs")
					}
					require.NotContains(t, logs, pr.subs[p].Nonce["balance"][0][0], "a share in the logs")
				}
			}
		})
	}
}

func TestServerBadInput(t *testing.T) {
	c := newSrvCluster(t, 128)
	good := c.provider("good", "ds", 1.5)
	c.submit(good)

	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	forgedTicket, _ := partyapi.Sign(otherKey, good.subs[0].Ticket.Body)
	mod := func(f func(s *partyapi.Submission)) partyapi.Submission {
		pr := c.provider("fresh", "ds", 2)
		s := pr.subs[0]
		f(&s)
		return s
	}
	expired := c.provider("old", "ds", 1)
	expired.subs[0].Ticket = c.ticket("old", "ds", [32]byte{}, time.Now().Add(-time.Minute))
	reused := c.provider("good", "ds", 3) // the same ticket id, other shares
	reused.subs[0].Ticket = good.subs[0].Ticket
	twoCols := c.provider("twocols", "ds", 1)
	tc := twoCols.subs[0]
	tc.Ticket, _ = partyapi.Sign(c.coord, partyapi.Ticket{ID: "twocols", Dataset: "ds", Expires: time.Now().Add(time.Hour),
		Commitments: map[string]string{"balance": strings.Repeat("00", 32), "age": strings.Repeat("00", 32)}})
	tc.Values["age"] = tc.Values["balance"]
	tc.Nonce["age"] = tc.Nonce["balance"]

	for _, tt := range []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"malformed JSON", []byte(`{"ticket": `), 400, "malformed JSON"},
		{"unknown field", []byte(`{"ticket": {}, "extra": 1}`), 400, `unknown field "extra"`},
		{"two values", []byte(`{} {}`), 400, "more than one value"},
		{"wrong party", mod(func(s *partyapi.Submission) { s.Party = 1 }), 400, "this is party 0; the submission is for party 1"},
		{"forged ticket", mod(func(s *partyapi.Submission) { s.Ticket = forgedTicket }), 403, "not signed by the coordinator"},
		{"changed ticket", mod(func(s *partyapi.Submission) { s.Ticket.Body.Dataset = "other" }), 403, "not signed by the coordinator"},
		{"expired ticket", expired.subs[0], 403, "expired"},
		{"reused ticket", reused.subs[0], 409, "already used"},
		{"short share", mod(func(s *partyapi.Submission) { s.Values["balance"] = [2]string{"00", "00"} }), 400, "1 bytes, want 16"},
		{"not hex", mod(func(s *partyapi.Submission) { s.Values["balance"] = [2]string{"zz", "00"} }), 400, "not hex"},
		{"missing nonce", mod(func(s *partyapi.Submission) { s.Nonce = nil }), 400, "nonce are given for columns [], the ticket has [balance]"},
		{"other columns", tc, 400, "are not those of dataset"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, body := c.do(0, "POST", "/v1/submissions", tt.body)
			require.Equal(t, tt.status, st, "%s", body)
			var e struct{ Error string }
			require.NoError(t, json.Unmarshal(body, &e), "%s", body)
			require.Contains(t, e.Error, tt.msg)
		})
	}
	// A retry of the same submission is acknowledged again.
	st, body := c.do(0, "POST", "/v1/submissions", good.subs[0])
	require.Equal(t, 200, st, "%s", body)
	require.Equal(t, partyapi.DatasetStatus{Dataset: "ds", Pending: 1}, c.status(0, "ds"), "nothing else was stored")

	// Admissions and jobs not signed by the coordinator.
	sa, _ := partyapi.Sign(otherKey, partyapi.Admission{ID: "a", Dataset: "ds", Tickets: []string{"good"}})
	st, body = c.do(0, "POST", "/v1/admissions", sa)
	require.Equal(t, 403, st, "%s", body)
	require.Contains(t, string(body), "not signed by the coordinator")
	sj, _ := partyapi.Sign(otherKey, partyapi.Job{ID: "j", Dataset: "ds", Bytecode: c.progB, Rows: 1})
	st, body = c.do(0, "POST", "/v1/jobs", sj)
	require.Equal(t, 403, st, "%s", body)
	sa, _ = partyapi.Sign(c.coord, partyapi.Admission{ID: "a", Dataset: "ds", Tickets: []string{"x", "x"}})
	st, body = c.do(0, "POST", "/v1/admissions", sa)
	require.Equal(t, 400, st, "%s", body)
	require.Contains(t, string(body), "twice")

	// Wrong routes and methods.
	st, body = c.do(0, "GET", "/v1/submissions", nil)
	require.Equal(t, 405, st, "%s", body)
	st, _ = c.do(0, "GET", "/v2/nothing", nil)
	require.Equal(t, 404, st)

	// The health endpoint lists the allowlist.
	st, body = c.do(0, "GET", "/v1/health", nil)
	require.Equal(t, 200, st)
	var h Health
	require.NoError(t, json.Unmarshal(body, &h))
	require.Equal(t, 0, h.Party)
	require.Contains(t, h.Allowlist, hex.EncodeToString(c.prog.Hash[:]))

	// After all that, the good row is admitted and a job runs.
	c.submit(c.provider("good2", "ds", 2.5))
	for p := 1; p < 3; p++ {
		st, body := c.do(p, "POST", "/v1/submissions", good.subs[p])
		require.Equal(t, 200, st, "%s", body)
	}
	res := c.admit("adm", "ds", []string{"good", "good2"})
	require.Len(t, res.Admitted, 2, "%v", res.Rejected)
}

func TestServerJobs(t *testing.T) {
	c := newSrvCluster(t, 128)
	var rows []*srvProvider
	for i := range 6 {
		pr := c.provider(fmt.Sprint("r", i), "d", float64(10*i)+0.25)
		c.submit(pr)
		rows = append(rows, pr)
	}
	require.Len(t, c.admit("a1", "d", srvTickets(rows)).Admitted, 6)

	t.Run("unknown program hash", func(t *testing.T) {
		p, b := srvCompile(t, "other.mpcs", []byte("x = input(\"balance\", sfix)\noutput(\"m\", max(x))\n"), 128)
		st, out := c.job("unknown", "d", 6, b)
		for q := range 3 {
			require.Equal(t, 403, st[q], "%s", out[q])
			require.Contains(t, string(out[q]), hex.EncodeToString(p.Hash[:])+" is not on party")
			require.Contains(t, string(out[q]), "allowlist")
		}
		// Bytecode that claims an allowlisted hash.
		forged := append(append([]byte(nil), b[:len(b)-32]...), c.prog.Hash[:]...)
		st, out = c.job("forged", "d", 6, forged)
		require.Equal(t, 403, st[0], "%s", out[0])
		require.Contains(t, string(out[0]), "is not the allowlisted program")
	})
	t.Run("more rows than admitted", func(t *testing.T) {
		st, out := c.job("too-many", "d", 7, c.progB)
		require.Equal(t, 409, st[0], "%s", out[0])
		require.Contains(t, string(out[0]), "has 6 admitted rows")
	})
	t.Run("one party refuses", func(t *testing.T) {
		// Only party 0 is asked; the others fail at once when it abandons.
		sj, err := partyapi.Sign(c.coord, partyapi.Job{ID: "lonely", Dataset: "d", Bytecode: c.progB, Rows: 9})
		require.NoError(t, err)
		st, _ := c.do(0, "POST", "/v1/jobs", sj)
		require.Equal(t, 409, st)
		sj.Body.Rows = 6
		sj, _ = partyapi.Sign(c.coord, sj.Body)
		start := time.Now()
		var wg sync.WaitGroup
		for p := 1; p < 3; p++ {
			wg.Go(func() {
				st, out := c.do(p, "POST", "/v1/jobs", sj)
				require.Equal(t, 502, st, "%s", out)
				require.Contains(t, string(out), "closed the session")
			})
		}
		wg.Wait()
		require.Less(t, time.Since(start), 10*time.Second, "the others did not wait for the idle timeout")
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for j := range 8 {
			wg.Go(func() { c.checkJob(fmt.Sprint("conc-", j), "d", rows[:j%6+1]) })
		}
		wg.Wait()
	})
}

func TestServerRestart(t *testing.T) {
	c := newSrvCluster(t, 128)
	var rows []*srvProvider
	for i := range 8 {
		pr := c.provider(fmt.Sprint("r", i), "d", float64(i)+0.5)
		c.submit(pr)
		rows = append(rows, pr)
	}
	require.Len(t, c.admit("a1", "d", srvTickets(rows[:5])).Admitted, 5)

	// Restart one party, then all three: every acknowledged row is there.
	c.stop(1)
	c.start(1)
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 3, Admitted: 5}, c.status(p, "d"))
	}
	c.checkJob("j1", "d", rows[:5])
	for p := range 3 {
		c.stop(p)
	}
	for p := range 3 {
		c.start(p)
	}
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 3, Admitted: 5}, c.status(p, "d"))
	}
	res := c.admit("a2", "d", srvTickets(rows[5:]))
	require.Len(t, res.Admitted, 3)
	require.EqualValues(t, 8, res.Rows)
	c.checkJob("j2", "d", rows)
	// The first admission's result survived too.
	require.Len(t, c.admit("a1", "d", srvTickets(rows[:5])).Admitted, 5)
}

func TestServerTamperedRow(t *testing.T) {
	c := newSrvCluster(t, 128)
	var rows []*srvProvider
	for i := range 4 {
		pr := c.provider(fmt.Sprint("r", i), "d", float64(i))
		c.submit(pr)
		rows = append(rows, pr)
	}
	require.Len(t, c.admit("a1", "d", srvTickets(rows)).Admitted, 4)

	// Change one byte of an admitted row of party 2 on disk.
	c.stop(2)
	db, err := sql.Open("sqlite", filepath.Join(c.dir, "data", "party2", srvDBName))
	require.NoError(t, err)
	var body []byte
	require.NoError(t, db.QueryRow(`SELECT body FROM submissions WHERE ticket = 'r2'`).Scan(&body))
	body[len(body)-1] ^= 0x80
	_, err = db.Exec(`UPDATE submissions SET body = ? WHERE ticket = 'r2'`, body)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	c.start(2)

	st, out := c.job("j", "d", 4, c.progB)
	require.Equal(t, 500, st[2], "%s", out[2])
	var e struct{ Error string }
	require.NoError(t, json.Unmarshal(out[2], &e))
	require.Contains(t, e.Error, `stored submission "r2" of dataset "d" failed its integrity check`)
	for p := range 2 {
		require.NotEqual(t, 200, st[p], "party %d ran without party 2", p)
	}
	// Rows before the tampered one are still usable.
	c.checkJob("j-ok", "d", rows[:2])
}

// TestServerManySubmissions has 1,000 providers submit concurrently to the
// three parties: all are acknowledged, stored and admitted in one batch,
// and the job sees every row.
func TestServerManySubmissions(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 providers")
	}
	c := newSrvCluster(t, 128)
	const n = 1000
	rows := make([]*srvProvider, n)
	for i := range rows {
		rows[i] = c.provider(fmt.Sprintf("p%04d", i), "big", float64(i%97)+0.5)
	}
	lat := make([]time.Duration, n)
	sem := make(chan struct{}, 200)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range rows {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t0 := time.Now()
			c.submit(rows[i])
			lat[i] = time.Since(t0)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	t.Logf("%d providers × 3 parties in %s: p50 %s, p99 %s per provider (3 sequential submissions)",
		n, elapsed.Round(time.Millisecond), lat[n/2].Round(time.Microsecond), lat[n*99/100].Round(time.Microsecond))
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "big", Pending: n}, c.status(p, "big"))
	}
	t0 := time.Now()
	res := c.admit("all", "big", srvTickets(rows))
	t.Logf("admission of %d rows: %s", n, time.Since(t0).Round(time.Millisecond))
	require.Len(t, res.Admitted, n)
	c.checkJob("job", "big", rows)
}

// admitRaw sends a signed admission to the three parties and returns
// their statuses and bodies.
func (c *srvCluster) admitRaw(id, dataset string, tickets []string) ([3]int, [3][]byte) {
	c.t.Helper()
	sa, err := partyapi.Sign(c.coord, partyapi.Admission{ID: id, Dataset: dataset, Tickets: tickets})
	require.NoError(c.t, err)
	return c.all("POST", "/v1/admissions", sa)
}

// crashAt makes party p stop its admissions at point as if it crashed
// there (until it is restarted).
func (c *srvCluster) crashAt(p int, point string) {
	c.servers[p].setTestCrash(func(at string) error {
		if at == point {
			return fmt.Errorf("party %d crashed at %s (test)", p, at)
		}
		return nil
	})
}

func (c *srvCluster) restart(p int) {
	c.stop(p)
	c.start(p)
}

// openStore opens party p's store (the party must be stopped).
func (c *srvCluster) openStore(p int) *srvStore {
	st, err := srvOpenStore(filepath.Join(c.dir, "data", fmt.Sprint("party", p)), p, c.ring, c.frac, slog.New(slog.DiscardHandler))
	require.NoError(c.t, err)
	return st
}

// forged is a provider whose value does not match its ticket's commitment.
func (c *srvCluster) forged(id, dataset string) *srvProvider {
	pr := c.provider(id, dataset, 100)
	tk := c.ticket(id, dataset, [32]byte{1}, time.Now().Add(time.Hour))
	for p := range 3 {
		pr.subs[p].Ticket = tk
	}
	return pr
}

// TestServerCrashBeforeCommit: party 2 stops after the commitment check of
// an admission and before its commit (as if killed there), so the two
// others admit the batch and it does not. After its restart the
// coordinator's retry of the batch under a new id succeeds at all three:
// party 2 catches up with the others first (a crash during the catch-up is
// harmless, and a peer that sends another account of the missed admission
// stops it), and every ticket is reported already admitted.
func TestServerCrashBeforeCommit(t *testing.T) {
	c := newSrvCluster(t, 128)
	var rows []*srvProvider
	for i := range 6 {
		pr := c.provider(fmt.Sprint("r", i), "d", float64(i)*1.5+0.25)
		c.submit(pr)
		rows = append(rows, pr)
	}
	liar := c.forged("liar", "d")
	c.submit(liar)
	require.Len(t, c.admit("a0", "d", srvTickets(rows[:2])).Admitted, 2)

	batch := append(srvTickets(rows[2:5]), "liar")
	c.crashAt(2, "commit")
	codes, out := c.admitRaw("a1", "d", batch)
	require.Equal(t, 500, codes[2], "%s", out[2])
	require.Contains(t, string(out[2]), "crashed at commit")
	var first partyapi.AdmissionResult
	for p := range 2 {
		require.Equal(t, 200, codes[p], "party %d: %s", p, out[p])
		require.JSONEq(t, string(out[0]), string(out[p]))
	}
	require.NoError(t, json.Unmarshal(out[0], &first))
	require.Equal(t, srvTickets(rows[2:5]), first.Admitted)
	require.Equal(t, admCommitMismatch, first.Rejected["liar"])
	c.restart(2)
	for p := range 3 {
		want := partyapi.DatasetStatus{Dataset: "d", Pending: 1, Admitted: 5}
		if p == 2 {
			want = partyapi.DatasetStatus{Dataset: "d", Pending: 5, Admitted: 2}
		}
		require.Equal(t, want, c.status(p, "d"), "party %d", p)
	}

	// Party 2 crashes again while it catches up: nothing changes.
	c.crashAt(2, "catch-up")
	codes, out = c.admitRaw("a1.1", "d", batch)
	for p := range 3 {
		require.NotEqual(t, 200, codes[p], "party %d: %s", p, out[p])
		t.Logf("party %d: %d %s", p, codes[p], bytes.TrimSpace(out[p]))
	}
	c.restart(2)
	require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 5, Admitted: 2}, c.status(2, "d"))

	// One of the others gives another account of the missed admission
	// (here party 1's stored result, rewritten with a valid MAC): party 2
	// does not take it.
	c.stop(1)
	st1 := c.openStore(1)
	other := first
	other.Rejected = map[string]string{"liar": "the shares disagree: component x_0 differs between parties 0 and 2"}
	otherJSON, err := json.Marshal(other)
	require.NoError(t, err)
	_, err = st1.db.Exec(`UPDATE admissions SET result = ?, mac = ? WHERE id = 'a1'`, otherJSON, st1.mac("admission", []byte("a1"), []byte("d"), otherJSON))
	require.NoError(t, err)
	require.NoError(t, st1.Close())
	c.start(1)
	codes, out = c.admitRaw("a1.2", "d", batch)
	for p := range 3 {
		require.Equal(t, 409, codes[p], "party %d: %s", p, out[p])
		require.Contains(t, string(out[p]), "sent different accounts of the admissions it missed")
	}
	require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 5, Admitted: 2}, c.status(2, "d"))
	c.stop(1)
	st1 = c.openStore(1)
	firstJSON, err := json.Marshal(first)
	require.NoError(t, err)
	_, err = st1.db.Exec(`UPDATE admissions SET result = ?, mac = ? WHERE id = 'a1'`, firstJSON, st1.mac("admission", []byte("a1"), []byte("d"), firstJSON))
	require.NoError(t, err)
	require.NoError(t, st1.Close())
	c.start(1)

	// The retry: party 2 catches up, every ticket was decided by a1.
	res := c.admit("a1.3", "d", batch)
	require.Empty(t, res.Admitted)
	require.EqualValues(t, 5, res.Rows)
	require.Equal(t, map[string]partyapi.AdmittedRow{"r2": {Admission: "a1", Row: 2}, "r3": {Admission: "a1", Row: 3}, "r4": {Admission: "a1", Row: 4}}, res.AlreadyAdmitted)
	require.Equal(t, map[string]string{
		"r2": "already admitted by an earlier admission", "r3": "already admitted by an earlier admission",
		"r4": "already admitted by an earlier admission", "liar": "already rejected by an earlier admission",
	}, res.Rejected)
	require.Contains(t, c.logs[2].String(), "caught up with the other parties")
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 1, Admitted: 5}, c.status(p, "d"), "party %d", p)
	}
	// a1's result is party 2's too now.
	require.Equal(t, first, c.admit("a1", "d", batch))

	res = c.admit("a2", "d", []string{"r5"})
	require.Equal(t, []string{"r5"}, res.Admitted)
	require.EqualValues(t, 6, res.Rows)
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Admitted: 6}, c.status(p, "d"), "party %d", p)
	}
	c.checkJob("j", "d", rows)
}

// TestServerAloneCommitted: only party 1 commits an admission (parties 0
// and 2 stop before their commits, as when party 2 dies in the last round
// of the commitment check and party 0 waits for it). The retry makes party
// 1 undo its commit, and the batch is admitted anew at all three.
func TestServerAloneCommitted(t *testing.T) {
	c := newSrvCluster(t, 128)
	var rows []*srvProvider
	for i := range 4 {
		pr := c.provider(fmt.Sprint("r", i), "d", float64(i)+0.5)
		c.submit(pr)
		rows = append(rows, pr)
	}
	liar := c.forged("liar", "d")
	c.submit(liar)
	require.Len(t, c.admit("a0", "d", srvTickets(rows[:1])).Admitted, 1)
	batch := append(srvTickets(rows[1:]), "liar")
	c.crashAt(0, "commit")
	c.crashAt(2, "commit")
	codes, out := c.admitRaw("a1", "d", batch)
	require.Equal(t, []int{500, 200, 500}, codes[:], "%s", out)
	c.restart(0)
	c.restart(2)
	require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Admitted: 4}, c.status(1, "d"))

	// A crash before the undo changes nothing.
	c.crashAt(1, "roll-back")
	codes, out = c.admitRaw("a1.1", "d", batch)
	for p := range 3 {
		require.NotEqual(t, 200, codes[p], "party %d: %s", p, out[p])
	}
	c.restart(1)
	require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Admitted: 4}, c.status(1, "d"))

	res := c.admit("a1.2", "d", batch)
	require.Equal(t, srvTickets(rows[1:]), res.Admitted)
	require.Empty(t, res.AlreadyAdmitted)
	require.Equal(t, map[string]string{"liar": admCommitMismatch}, res.Rejected)
	require.EqualValues(t, 4, res.Rows)
	require.Contains(t, c.logs[1].String(), "undid admissions the other parties did not record")
	for p := range 3 {
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Admitted: 4}, c.status(p, "d"), "party %d", p)
	}
	c.checkJob("j", "d", rows)
}

// TestServerDiverged: copies of a dataset that no two parties share, or
// where the odd one's is not a prefix of the others' or theirs of its,
// make every admission fail with 409 at all three parties, and nothing is
// admitted anywhere; a party behind the others that lacks a row they
// admitted says so.
func TestServerDiverged(t *testing.T) {
	ctx := context.Background()
	// rogue admits tickets at party p behind the others' back.
	rogue := func(c *srvCluster, p int, id string, tickets ...string) {
		t := c.t
		c.stop(p)
		st := c.openStore(p)
		before, err := st.dataset(ctx, "d")
		require.NoError(t, err)
		subs, err := st.submissions(ctx, tickets)
		require.NoError(t, err)
		var decs []srvDecision
		for _, sub := range subs {
			decs = append(decs, srvDecision{st: sub, status: srvAdmitted})
		}
		res, _ := json.Marshal(partyapi.AdmissionResult{ID: id, Admitted: tickets, Rejected: map[string]string{}, Rows: before.Admitted + int64(len(tickets))})
		require.NoError(t, st.commitAdmission(ctx, id, before, decs, res))
		require.NoError(t, st.Close())
		c.start(p)
	}
	setup := func(t *testing.T) (*srvCluster, []string) {
		c := newSrvCluster(t, 128)
		var rows []*srvProvider
		for i := range 3 {
			pr := c.provider(fmt.Sprint("r", i), "d", float64(i))
			c.submit(pr)
			rows = append(rows, pr)
		}
		return c, srvTickets(rows)
	}
	refused := func(c *srvCluster, id string, tickets []string, msg string) {
		t := c.t
		codes, out := c.admitRaw(id, "d", tickets)
		for p := range 3 {
			require.Equal(t, 409, codes[p], "party %d: %s", p, out[p])
			require.Contains(t, string(out[p]), msg, "party %d", p)
			t.Logf("party %d: %s", p, bytes.TrimSpace(out[p]))
		}
	}

	t.Run("forked", func(t *testing.T) {
		c, tickets := setup(t)
		rogue(c, 2, "x", "r0")
		rogue(c, 0, "y", "r1")
		rogue(c, 1, "y", "r1")
		refused(c, "a", tickets, `copies of dataset \"d\" differ (parties 0, 1 and 2 have 1, 1 and 1 admitted rows, the same number but other rows)`)
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 2, Admitted: 1}, c.status(0, "d"))
	})
	t.Run("no two alike", func(t *testing.T) {
		c, tickets := setup(t)
		rogue(c, 1, "x", "r0")
		rogue(c, 2, "y", "r0", "r1")
		refused(c, "a", tickets, `copies of dataset \"d\" differ (parties 0, 1 and 2 have 0, 1 and 2 admitted rows, no two alike)`)
	})
	t.Run("ahead but not a prefix", func(t *testing.T) {
		c, tickets := setup(t)
		rogue(c, 0, "x", "r0")
		rogue(c, 1, "x", "r0")
		rogue(c, 2, "y", "r1", "r0")
		refused(c, "a", tickets, `party 2 is ahead of the others on dataset \"d\" (2 admitted rows, they have 1), but its first 1 rows are not theirs`)
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 1, Admitted: 2}, c.status(2, "d"))
	})
	t.Run("behind but not a prefix", func(t *testing.T) {
		c, tickets := setup(t)
		rogue(c, 0, "x", "r0", "r1")
		rogue(c, 1, "x", "r0", "r1")
		rogue(c, 2, "y", "r1")
		refused(c, "a", tickets, "party 2 is behind the others")
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 2, Admitted: 1}, c.status(2, "d"))
	})
	t.Run("a row missing behind", func(t *testing.T) {
		c, tickets := setup(t)
		c.crashAt(2, "commit")
		codes, _ := c.admitRaw("a0", "d", tickets[:2])
		require.Equal(t, []int{200, 200, 500}, codes[:])
		// Party 2 loses r1 (say its data folder was restored from an old
		// copy that did not have it yet).
		c.stop(2)
		st := c.openStore(2)
		_, err := st.db.Exec(`DELETE FROM submissions WHERE ticket = 'r1'`)
		require.NoError(t, err)
		require.NoError(t, st.Close())
		c.start(2)
		refused(c, "a1", tickets[2:], `party 2 is behind the others on dataset \"d\" (0 admitted rows, they have 2) and cannot catch up: it holds no submission of ticket \"r1\", which the others admitted in admission \"a0\"`)
		require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Pending: 2}, c.status(2, "d"))
	})
	t.Run("ahead alone is undone", func(t *testing.T) {
		c, tickets := setup(t)
		rogue(c, 2, "x", "r0")
		res := c.admit("a", "d", tickets)
		require.Equal(t, tickets, res.Admitted)
		for p := range 3 {
			require.Equal(t, partyapi.DatasetStatus{Dataset: "d", Admitted: 3}, c.status(p, "d"))
		}
	})
}
