package coordinator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/attest"
	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

// fakeParty is a test HTTP server implementing the partyapi routes the
// coordinator and providers call. It keeps submissions and admissions in
// memory and answers jobs with outputs a test function computes: the tests
// check the coordinator's orchestration, not MPC (the party server has its
// own tests).
type fakeParty struct {
	t     testing.TB
	id    int
	coord ed25519.PublicKey

	mu          sync.Mutex
	srv         *httptest.Server
	addr        string
	allow       map[string]bool                        // program hashes
	submitted   map[string]bool                        // tickets submitted here
	admitted    map[string][]string                    // dataset → tickets in order
	admissions  map[string]partyapi.AdmissionResult    // by id: answer repeats
	seenIDs     []string                               // admission ids in order of arrival
	tickets     map[string][]string                    // admission id → its tickets
	jobs        []partyapi.Job                         // jobs received
	outputs     func(job partyapi.Job) json.RawMessage // what a job reveals
	reject      map[string]string                      // ticket → reason
	jobDelay    time.Duration                          // before answering a job
	jobHook     func(job partyapi.Job) (int, string)   // non-zero status: answer an error
	admitStatus int                                    // non-zero: answer admissions with this status
	admitHook   func(a partyapi.Admission) int         // after deciding: non-zero answers this status instead of the result
	admittedBy  map[string]partyapi.AdmittedRow        // ticket → the admission that admitted it, and its row
	shared      *sharedSubmissions                     // what all three hold, as their consistency check would see
}

// sharedSubmissions stands in for the parties' check between themselves
// that each holds its shares of a row: a ticket whose shares did not reach
// all three is rejected by all three.
type sharedSubmissions struct {
	mu sync.Mutex
	at map[string]map[int]bool

	// The three parties: an admission runs at all three or fails at all
	// (the real ones run it in one session).
	parties []*fakeParty
}

func (s *sharedSubmissions) add(ticket string, party int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at[ticket] == nil {
		s.at[ticket] = map[int]bool{}
	}
	s.at[ticket][party] = true
}

func (s *sharedSubmissions) complete(ticket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at[ticket]) == 3
}

func newFakeParty(t testing.TB, id int, coord ed25519.PublicKey, shared *sharedSubmissions) *fakeParty {
	p := &fakeParty{
		t: t, id: id, coord: coord, shared: shared,
		allow:      map[string]bool{},
		submitted:  map[string]bool{},
		admitted:   map[string][]string{},
		admissions: map[string]partyapi.AdmissionResult{},
		admittedBy: map[string]partyapi.AdmittedRow{},
		tickets:    map[string][]string{},
		reject:     map[string]string{},
	}
	p.outputs = func(job partyapi.Job) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"providers": %d, "mean": 21.921, "median": 2.6, "max": 150, "gini": 0.7867934856986452}`, job.Rows))
	}
	p.start("127.0.0.1:0")
	t.Cleanup(p.stop)
	return p
}

// start serves on addr (TLS 1.3, httptest's certificate, the same for
// every fake party and every restart).
func (p *fakeParty) start(addr string) {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(p.t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.EnableHTTP2 = true
	srv.StartTLS()
	p.mu.Lock()
	p.srv, p.addr = srv, ln.Addr().String()
	p.mu.Unlock()
}

// stop kills the party (connections refused until restart).
func (p *fakeParty) stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.CloseClientConnections()
		srv.Close()
	}
}

func (p *fakeParty) restart() { p.start(p.addr) }

func (p *fakeParty) url() string { return "https://" + p.addr }

func (p *fakeParty) fingerprint() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	sum := sha256.Sum256(p.srv.Certificate().Raw)
	return hex.EncodeToString(sum[:])
}

func (p *fakeParty) allowProgram(hash string) {
	p.mu.Lock()
	p.allow[hash] = true
	p.mu.Unlock()
}

func writeJSONT(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// signedBody decodes a request body signed by the coordinator and checks
// the signature; when it fails it answers the error and returns false.
func signedBody[T any](w http.ResponseWriter, body []byte, coord ed25519.PublicKey) (T, bool) {
	var s partyapi.Signed[T]
	if err := json.Unmarshal(body, &s); err != nil {
		writeJSONT(w, 400, api.Error{Error: err.Error()})
		return s.Body, false
	}
	if err := s.Verify(coord); err != nil {
		writeJSONT(w, 403, api.Error{Error: err.Error()})
		return s.Body, false
	}
	return s.Body, true
}

// admit decides an admission at this party (blocked: why the others
// fail it) and returns the answer.
func (p *fakeParty) admit(a partyapi.Admission, blocked string) (partyapi.AdmissionResult, int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seenIDs = append(p.seenIDs, a.ID)
	p.tickets[a.ID] = a.Tickets
	if res, ok := p.admissions[a.ID]; ok {
		return res, 200, ""
	}
	if p.admitStatus != 0 {
		return partyapi.AdmissionResult{}, p.admitStatus, "admission refused by the test"
	}
	if blocked != "" {
		return partyapi.AdmissionResult{}, http.StatusBadGateway, blocked
	}
	res := partyapi.AdmissionResult{ID: a.ID, Admitted: []string{}, Rejected: map[string]string{}}
	for _, t := range a.Tickets {
		switch {
		case p.admittedBy[t] != (partyapi.AdmittedRow{}):
			res.Rejected[t] = "already admitted by an earlier admission"
			if res.AlreadyAdmitted == nil {
				res.AlreadyAdmitted = map[string]partyapi.AdmittedRow{}
			}
			res.AlreadyAdmitted[t] = p.admittedBy[t]
		case p.reject[t] != "":
			res.Rejected[t] = p.reject[t]
		case !p.submitted[t]:
			res.Rejected[t] = "no submission for this ticket"
		case !p.shared.complete(t):
			res.Rejected[t] = "the shares did not reach all three parties"
		default:
			res.Admitted = append(res.Admitted, t)
			p.admittedBy[t] = partyapi.AdmittedRow{Admission: a.ID, Row: int64(len(p.admitted[a.Dataset]))}
			p.admitted[a.Dataset] = append(p.admitted[a.Dataset], t)
		}
	}
	res.Rows = int64(len(p.admitted[a.Dataset]))
	p.admissions[a.ID] = res
	return res, 200, ""
}

func (p *fakeParty) serve(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || r.TLS.Version != 0x0304 {
		writeJSONT(w, 400, api.Error{Error: "TLS 1.3 only"})
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == "GET" && r.URL.Path == "/v1/health":
		writeJSONT(w, 200, map[string]string{"status": "ok"})
	case r.Method == "POST" && r.URL.Path == "/v1/submissions":
		var s partyapi.Submission
		if err := json.Unmarshal(body, &s); err != nil {
			writeJSONT(w, 400, api.Error{Error: err.Error()})
			return
		}
		if err := s.Ticket.Verify(p.coord); err != nil {
			writeJSONT(w, 403, api.Error{Error: err.Error()})
			return
		}
		p.mu.Lock()
		p.submitted[s.Ticket.Body.ID] = true
		p.mu.Unlock()
		p.shared.add(s.Ticket.Body.ID, p.id)
		writeJSONT(w, 200, partyapi.SubmissionReceipt{Ticket: s.Ticket.Body.ID, Party: p.id, Stored: time.Now(), Status: "pending"})
	case r.Method == "POST" && r.URL.Path == "/v1/admissions":
		a, ok := signedBody[partyapi.Admission](w, body, p.coord)
		if !ok {
			return
		}
		// A party that is down or refuses fails the session at the others.
		var blocked string
		for _, q := range p.shared.parties {
			if q == p {
				continue
			}
			q.mu.Lock()
			if q.srv == nil || q.admitStatus != 0 {
				blocked = fmt.Sprintf("admission %s: party %d closed the session", a.ID, q.id)
			}
			q.mu.Unlock()
		}
		res, status, msg := p.admit(a, blocked)
		p.mu.Lock()
		hook := p.admitHook
		p.mu.Unlock()
		if status == 200 && hook != nil {
			if st := hook(a); st != 0 {
				status, msg = st, "admission failed by the test after deciding"
			}
		}
		if status != 200 {
			writeJSONT(w, status, api.Error{Error: msg})
			return
		}
		writeJSONT(w, 200, res)
	case r.Method == "POST" && r.URL.Path == "/v1/jobs":
		job, ok := signedBody[partyapi.Job](w, body, p.coord)
		if !ok {
			return
		}
		prog, err := vm.Decode(job.Bytecode)
		if err != nil {
			writeJSONT(w, 400, api.Error{Error: err.Error()})
			return
		}
		hash := hex.EncodeToString(prog.Hash[:])
		p.mu.Lock()
		allowed := p.allow[hash]
		p.jobs = append(p.jobs, job)
		delay, hook, outputs := p.jobDelay, p.jobHook, p.outputs
		rows := int64(len(p.admitted[job.Dataset]))
		p.mu.Unlock()
		if !allowed {
			writeJSONT(w, 403, api.Error{Error: "program " + hash + " is not on this party's allowlist"})
			return
		}
		if job.Rows > rows {
			writeJSONT(w, 409, api.Error{Error: "the dataset has fewer admitted rows than the job asks for"})
			return
		}
		if hook != nil {
			if st, msg := hook(job); st != 0 {
				writeJSONT(w, st, api.Error{Error: msg})
				return
			}
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		writeJSONT(w, 200, partyapi.JobResult{ID: job.ID, Outputs: outputs(job), Rounds: 42, Bytes: 1000})
	default:
		writeJSONT(w, 404, api.Error{Error: "no route"})
	}
}

// env is a coordinator over a temporary SQLite database with three fake
// parties and a notary.
type env struct {
	t       testing.TB
	dir     string
	cfg     *Config
	srv     *Server
	http    *httptest.Server
	parties [3]*fakeParty
	notary  ed25519.PrivateKey
	clock   *testClock
	op, an  *client.Coordinator // operator and analyst clients
	anon    *client.Coordinator
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	testOperatorKey = "operator-key-0123456789"
	testAnalystKey  = "analyst-key-0123456789"
)

// newEnv starts an env; edit changes the config before the server starts.
func newEnv(t testing.TB, edit func(*Config, *env)) *env {
	t.Helper()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "coordinator.key")
	key, err := GenerateSigningKey(keyPath)
	require.NoError(t, err)
	_, notary, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	e := &env{t: t, dir: dir, notary: notary, clock: &testClock{t: time.Now().UTC().Truncate(time.Second)}}
	shared := &sharedSubmissions{at: map[string]map[int]bool{}}
	for i := range 3 {
		e.parties[i] = newFakeParty(t, i, key.Public().(ed25519.PublicKey), shared)
	}
	shared.parties = e.parties[:]
	cfg := &Config{
		Database:     "sqlite://" + filepath.Join(dir, "coordinator.db"),
		SigningKey:   keyPath,
		AnalystKeys:  []string{testAnalystKey},
		OperatorKeys: []string{testOperatorKey},
		Admission:    Admission{Interval: Duration{time.Hour}},
	}
	for i, p := range e.parties {
		cfg.Parties = append(cfg.Parties, Party{ID: i, URL: p.url(), Fingerprint: p.fingerprint()})
	}
	if url := os.Getenv("MPCS_TEST_POSTGRES"); url != "" {
		dropPostgres(t, url)
		cfg.Database = url
	}
	if edit != nil {
		edit(cfg, e)
	}
	require.NoError(t, cfg.Validate())
	e.cfg = cfg
	e.startServer()
	return e
}

// dropPostgres empties a scratch PostgreSQL database of the coordinator's
// tables.
func dropPostgres(t testing.TB, url string) {
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	for _, tbl := range []string{"results", "queries", "programs", "admissions", "providers", "datasets", "schema_migrations"} {
		_, err := db.Exec("DROP TABLE IF EXISTS " + tbl)
		require.NoError(t, err)
	}
}

// startServer (re)starts the coordinator on the env's database.
func (e *env) startServer() {
	t := e.t
	srv, err := New(context.Background(), e.cfg, Options{Now: e.clock.now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	e.srv = srv
	e.http = httptest.NewServer(srv.Handler())
	e.op = client.NewCoordinator(e.http.URL, testOperatorKey, nil)
	e.an = client.NewCoordinator(e.http.URL, testAnalystKey, nil)
	e.anon = client.NewCoordinator(e.http.URL, "", nil)
	t.Cleanup(e.stopServer)
}

func (e *env) stopServer() {
	if e.http != nil {
		e.http.Close()
		e.http = nil
	}
	if e.srv != nil {
		require.NoError(e.t, e.srv.Close())
		e.srv = nil
	}
}

func (e *env) restartServer() {
	e.stopServer()
	e.startServer()
}

func (e *env) notaryKey() string { return hex.EncodeToString(e.notary.Public().(ed25519.PublicKey)) }

// dataset creates a dataset with one sfix column "balance".
func (e *env) dataset(name string, minRows int64) api.Dataset {
	e.t.Helper()
	d, err := e.op.CreateDataset(context.Background(), api.CreateDataset{
		Name: name, Columns: []partyapi.Column{{Name: "balance", Type: "sfix"}},
		NotaryKeys: []string{e.notaryKey()}, MinRows: minRows,
	})
	require.NoError(e.t, err)
	return *d
}

// attestation makes a signed attestation for sourceID.
func (e *env) attestation(dataset, sourceID string) attest.Attestation {
	var c [32]byte
	rand.Read(c[:])
	a := attest.Attestation{
		Dataset: dataset, Source: "https://bank.example/api", SourceID: sourceID,
		Commitments: map[string]string{"balance": hex.EncodeToString(c[:])},
		Expires:     e.clock.now().Add(time.Hour),
	}
	a.Sign(e.notary)
	return a
}

// post sends a raw request and decodes the answer.
func (e *env) post(path, key, body string, out any) (int, http.Header) {
	e.t.Helper()
	return e.request("POST", path, key, body, out)
}

func (e *env) request(method, path, key, body string, out any) (int, http.Header) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(b, out), "body: %s", b)
	}
	return resp.StatusCode, resp.Header
}

// register registers sourceID and returns the registration.
func (e *env) register(dataset, sourceID string) api.Registration {
	e.t.Helper()
	b, _ := json.Marshal(api.Register{Attestation: e.attestation(dataset, sourceID)})
	var reg api.Registration
	code, _ := e.post("/v1/datasets/"+dataset+"/providers", "", string(b), &reg)
	require.Equal(e.t, http.StatusCreated, code)
	return reg
}

// provide registers sourceID, sends dummy shares to the given parties (all
// when none given) as a provider client would, and reports it submitted.
func (e *env) provide(dataset, sourceID string, parties ...int) api.Registration {
	e.t.Helper()
	reg := e.register(dataset, sourceID)
	if parties == nil {
		parties = []int{0, 1, 2}
	}
	var receipts []partyapi.SubmissionReceipt
	for _, i := range parties {
		ep := reg.Parties[i]
		c := &partyClient{id: i, url: ep.URL}
		tc, err := tlsutil.Pinned(ep.Fingerprint)
		require.NoError(e.t, err)
		c.http = &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
		sub := partyapi.Submission{Ticket: reg.Ticket, Party: i,
			Values: map[string][2]string{"balance": {"00", "00"}},
			Nonce:  map[string][4][2]string{"balance": {}}}
		var rc partyapi.SubmissionReceipt
		require.NoError(e.t, c.do(context.Background(), "POST", "/v1/submissions", sub, &rc))
		receipts = append(receipts, rc)
	}
	body := ""
	if len(receipts) == 3 {
		b, _ := json.Marshal(api.Submitted{Receipts: receipts})
		body = string(b)
	}
	var st api.ProviderStatus
	code, _ := e.post("/v1/datasets/"+dataset+"/providers/"+reg.Ticket.Body.ID+"/submitted", "", body, &st)
	require.Equal(e.t, http.StatusOK, code)
	require.Equal(e.t, "submitted", st.Status)
	return reg
}

// allow uploads a program (operator key) and puts it on every party's
// allowlist.
func (e *env) allow(bytecode []byte, hash string) {
	e.t.Helper()
	_, err := e.op.UploadProgram(context.Background(), bytecode)
	require.NoError(e.t, err)
	for _, p := range e.parties {
		p.allowProgram(hash)
	}
}

// admit runs one round of the admission loop.
func (e *env) admit() { e.srv.admitOnce(context.Background()) }

// compile compiles .mpcs source to bytecode.
func compile(t *testing.T, src string) ([]byte, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "p.mpcs")
	require.NoError(t, os.WriteFile(f, []byte(src), 0o644))
	p, err := compiler.CompileFile(f, compiler.Options{})
	require.NoError(t, err)
	b, err := vm.Encode(p)
	require.NoError(t, err)
	return b, hex.EncodeToString(p.Hash[:])
}

// devcon is the Devcon study's bytecode and hash.
func devcon(t *testing.T) ([]byte, string) {
	t.Helper()
	p, err := compiler.CompileFile("../programs/devcon/devcon.mpcs", compiler.Options{})
	require.NoError(t, err)
	b, err := vm.Encode(p)
	require.NoError(t, err)
	return b, hex.EncodeToString(p.Hash[:])
}

const paramProgram = `x = input("balance", sfix)
t = param("t", int, 0)
output("n", len(x))
output("t", t)
`
