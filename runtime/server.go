package runtime

// The party server (mpcvm serve, docs/party.md): a long-running party that
// accepts providers' submissions, admits them in batches after the
// consistency and commitment checks, and runs the coordinator's jobs, many
// at once, each in a session of its own on the pinned mutual-TLS network.
//
// Its client API is HTTPS (TLS 1.3, the party's own certificate) with the
// routes of package partyapi. Errors are {"error": "..."} with a 4xx
// status for a bad request (which changes nothing) and 5xx for a failure of
// this party or of the computation.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

// Request body limits.
const (
	srvMaxSubmission = 1 << 20
	srvMaxAdmission  = 16 << 20
	srvMaxJob        = 64 << 20
)

// Server is one party's long-running server. Create it with NewServer,
// start it with Start (or Run) and stop it with Close.
type Server struct {
	cfg   *Config
	party int
	log   *slog.Logger
	pub   ed25519.PublicKey
	ring  int
	frac  int
	store *srvStore

	allow     map[[32]byte]*srvProgram // by program hash
	admission *vm.Program
	maxJobs   int
	jobLimit  time.Duration
	cert      tls.Certificate

	// Now is the clock the ticket expiry is checked against (time.Now if nil).
	Now func() time.Time

	jobSlots chan struct{}

	mu       sync.Mutex
	net      Network
	netReady chan struct{} // closed once net is set

	apiLn, mpcLn net.Listener // bound by the caller (UseListeners), or nil
	running      map[string]bool
	failed       map[string]string // ids of jobs and admissions that failed since start
	dsLocks      map[string]chan struct{}

	testCrash func(point string) error // tests only: see setTestCrash

	ctx      context.Context // the server's lifetime
	cancel   context.CancelFunc
	http     *http.Server
	apiAddr  net.Addr
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// srvProgram is an allowlisted program.
type srvProgram struct {
	file  string
	bytes []byte
	prog  *vm.Program
}

// srvError is an error with its HTTP status.
type srvError struct {
	status int
	msg    string
}

func (e *srvError) Error() string { return e.msg }

func srvErrorf(status int, format string, args ...any) *srvError {
	return &srvError{status, fmt.Sprintf(format, args...)}
}

// NewServer prepares party's server from the deployment config: it checks
// the [serve] and [coordinator] settings, opens the party's state in
// data_dir/partyN, and loads the allowlist and the admission program. log
// receives the structured logs (slog.Default() if nil).
func NewServer(cfg *Config, party int, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	log = log.With("party", party)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pc := cfg.Lookup(party)
	if pc == nil {
		return nil, fmt.Errorf("%s: no party %d; parties are 0, 1 and 2", cfg.name(), party)
	}
	sc := cfg.Serve
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(cfg.name()+": "+format, args...)) }
	if pc.API == "" {
		errf("party %d: api is not set; mpcvm serve needs the address of the party's client API (e.g. api = \"127.0.0.1:7200\")", party)
	}
	if pc.Key == "" {
		errf("party %d: key is not set; the party needs its own private key", party)
	}
	pub, err := hex.DecodeString(cfg.Coordinator.PublicKey)
	if cfg.Coordinator.PublicKey == "" {
		errf("[coordinator] public_key is missing: the parties verify tickets, admissions and jobs with it")
	} else if err != nil || len(pub) != ed25519.PublicKeySize {
		errf("[coordinator] public_key = %q: want %d bytes of hex (an Ed25519 public key)", cfg.Coordinator.PublicKey, ed25519.PublicKeySize)
	}
	for _, m := range []struct{ key, val string }{{"data_dir", sc.DataDir}, {"allowlist", sc.Allowlist}, {"admission_program", sc.AdmissionProgram}} {
		if m.val == "" {
			errf("[serve] %s is missing", m.key)
		}
	}
	if sc.Ring == 0 {
		errf("[serve] ring is missing (64 or 128)")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cert, err := tls.LoadX509KeyPair(cfg.Resolve(pc.Cert), cfg.Resolve(pc.Key))
	if err != nil {
		return nil, fmt.Errorf("%s: party %d: %w", cfg.name(), party, err)
	}
	s := &Server{
		cfg: cfg, party: party, log: log, pub: ed25519.PublicKey(pub), ring: sc.Ring, frac: sc.FracBits,
		maxJobs: sc.MaxJobs, jobLimit: sc.JobTimeout, cert: cert,
		netReady: make(chan struct{}),
		running:  map[string]bool{},
		failed:   map[string]string{},
		dsLocks:  map[string]chan struct{}{},
	}
	if s.maxJobs == 0 {
		s.maxJobs = DefaultMaxJobs
	}
	if s.jobLimit == 0 {
		s.jobLimit = DefaultJobTimeout
	}
	s.jobSlots = make(chan struct{}, s.maxJobs)
	if err := s.loadPrograms(); err != nil {
		return nil, err
	}
	dir := filepath.Join(cfg.Resolve(sc.DataDir), "party"+strconv.Itoa(party))
	if s.store, err = srvOpenStore(dir, party, s.ring, s.frac, log); err != nil {
		return nil, err
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// loadPrograms reads the allowlist folder and the admission program.
func (s *Server) loadPrograms() error {
	sc := s.cfg.Serve
	dir := s.cfg.Resolve(sc.Allowlist)
	files, err := filepath.Glob(filepath.Join(dir, "*.mpcb"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%s: [serve] allowlist = %q: %w", s.cfg.name(), sc.Allowlist, err)
	}
	s.allow = map[[32]byte]*srvProgram{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("allowlist: %w", err)
		}
		p, err := vm.Decode(b)
		if err != nil {
			return fmt.Errorf("allowlist: %s: %w", f, err)
		}
		s.allow[p.Hash] = &srvProgram{file: filepath.Base(f), bytes: b, prog: p}
	}
	path := s.cfg.Resolve(sc.AdmissionProgram)
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: [serve] admission_program: %w (compile programs/admission/admission.mpcs with mpcc compile)", s.cfg.name(), err)
	}
	p, err := vm.Decode(b)
	if err != nil {
		return fmt.Errorf("%s: [serve] admission_program %s: %w", s.cfg.name(), path, err)
	}
	if err := srvCheckAdmissionProgram(p, s.ring, s.frac); err != nil {
		return fmt.Errorf("%s: [serve] admission_program %s: %w", s.cfg.name(), path, err)
	}
	s.admission = p
	return nil
}

// UseListeners makes Start serve the client API on api and the MPC network
// on mpc, listeners the caller has bound (to the addresses of the config,
// or to ports it chose); the server owns and closes them. Without it,
// Start binds the configured addresses itself.
func (s *Server) UseListeners(api, mpc net.Listener) { s.apiLn, s.mpcLn = api, mpc }

// Start binds the client API, serves it in the background and connects to
// the two other parties in the background (retrying until they are up).
// Submissions are accepted at once; admissions and jobs once the parties
// are connected.
func (s *Server) Start(ctx context.Context) error {
	pc := s.cfg.Lookup(s.party)
	ln := s.apiLn
	if ln == nil {
		var lc net.ListenConfig
		var err error
		if ln, err = lc.Listen(ctx, "tcp", pc.API); err != nil {
			return fmt.Errorf("party %d: client API: listen on %s: %w", s.party, pc.API, err)
		}
	}
	s.apiAddr = ln.Addr()
	s.http = &http.Server{
		Handler: s.Handler(),
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS13,
			Certificates: []tls.Certificate{s.cert},
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return s.ctx },
	}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("client API stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.connect()
	}()
	s.log.Info("party server started", "api", s.apiAddr.String(), "mpc", pc.ListenAddress(),
		"ring", s.ring, "frac_bits", s.frac, "allowlist", len(s.allow), "admission_program", hex.EncodeToString(s.admission.Hash[:]))
	return nil
}

// APIAddr is the address the client API listens on (after Start).
func (s *Server) APIAddr() net.Addr { return s.apiAddr }

// Run starts the server and serves until ctx ends, then closes it.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Start(ctx); err != nil {
		s.Close()
		return err
	}
	<-ctx.Done()
	return s.Close()
}

// connect starts the MPC network, retrying until the other parties are up
// or the server closes.
func (s *Server) connect() {
	backoff := time.Second
	for {
		var n Network
		var err error
		if ln := s.mpcLn; ln != nil {
			s.mpcLn = nil // a network owns its listener; retries bind anew
			n, err = NewTLSNetwork(s.ctx, s.cfg, s.party, ln)
		} else {
			n, err = ListenTLS(s.ctx, s.cfg, s.party)
		}
		if err == nil {
			s.mu.Lock()
			s.net = n
			close(s.netReady)
			s.mu.Unlock()
			s.log.Info("connected to the other parties")
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		s.log.Warn("waiting for the other parties", "err", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// network returns the MPC network, waiting a short while for it.
func (s *Server) network(ctx context.Context) (Network, *srvError) {
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-s.netReady:
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.net == nil {
			return nil, srvErrorf(503, "party %d is shutting down", s.party)
		}
		return s.net, nil
	case <-ctx.Done():
		return nil, srvErrorf(503, "party %d: %v", s.party, ctx.Err())
	case <-t.C:
		return nil, srvErrorf(503, "party %d is not connected to the other parties yet; retry later", s.party)
	}
}

// Close stops the server: the API stops accepting requests and waits for
// the running ones (jobs are cancelled), the network and the store close.
func (s *Server) Close() error {
	s.once.Do(func() {
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			s.cancel()
			_ = s.http.Shutdown(ctx)
			cancel()
		}
		s.cancel()
		s.wg.Wait()
		s.mu.Lock()
		n := s.net
		s.net = nil
		s.mu.Unlock()
		if n != nil {
			n.Close()
		}
		s.closeErr = s.store.Close()
		s.log.Info("party server stopped")
	})
	return s.closeErr
}

// Handler is the client API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/submissions", s.handleSubmission)
	mux.HandleFunc("POST /v1/admissions", s.handleAdmission)
	mux.HandleFunc("POST /v1/jobs", s.handleJob)
	mux.HandleFunc("GET /v1/datasets/{name}", s.handleDataset)
	mux.HandleFunc("GET /v1/health", s.handleHealth)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		routes := map[string]string{"/v1/submissions": "POST", "/v1/admissions": "POST", "/v1/jobs": "POST", "/v1/health": "GET"}
		if m, ok := routes[r.URL.Path]; ok || strings.HasPrefix(r.URL.Path, "/v1/datasets/") {
			if !ok {
				m = "GET"
			}
			w.Header().Set("Allow", m)
			s.fail(w, r, srvErrorf(405, "%s %s: use %s", r.Method, r.URL.Path, m))
			return
		}
		s.fail(w, r, srvErrorf(404, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s.logged(mux)
}

type srvStatusWriter struct {
	http.ResponseWriter
	status int
}

func (w *srvStatusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// logged logs every request: method, path, status and duration (never a
// body: bodies hold shares).
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &srvStatusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		lvl := slog.LevelInfo
		if sw.status >= 500 {
			lvl = slog.LevelError
		} else if sw.status >= 400 {
			lvl = slog.LevelWarn
		}
		if r.URL.Path == "/v1/submissions" && sw.status < 400 {
			lvl = slog.LevelDebug // one per provider
		}
		s.log.Log(r.Context(), lvl, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	})
}

func (s *Server) reply(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.fail(w, nil, srvErrorf(500, "encoding the reply: %v", err))
		return
	}
	s.replyRaw(w, status, b)
}

func (s *Server) replyRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var se *srvError
	if !errors.As(err, &se) {
		se = &srvError{500, err.Error()}
	}
	if se.status >= 400 && r != nil {
		s.log.Log(r.Context(), srvLevel(se.status), "request refused", "path", r.URL.Path, "status", se.status, "err", se.msg)
	}
	s.reply(w, se.status, struct {
		Error string `json:"error"`
	}{se.msg})
}

func srvLevel(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// srvDecode reads a JSON body strictly: one value, no unknown fields, at most
// limit bytes.
func srvDecode(w http.ResponseWriter, r *http.Request, limit int64, v any) *srvError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return srvErrorf(413, "request body larger than %d bytes", limit)
		}
		return srvErrorf(400, "reading the request: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return srvErrorf(400, "malformed JSON: %v", err)
	}
	if d.More() {
		return srvErrorf(400, "malformed JSON: more than one value in the body")
	}
	var extra json.RawMessage
	if err := d.Decode(&extra); err != io.EOF {
		return srvErrorf(400, "malformed JSON: trailing data after the value")
	}
	return nil
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ---- submissions ----

func (s *Server) handleSubmission(w http.ResponseWriter, r *http.Request) {
	var sub partyapi.Submission
	if err := srvDecode(w, r, srvMaxSubmission, &sub); err != nil {
		s.fail(w, r, err)
		return
	}
	row, serr := s.srvIntake(&sub, s.now())
	if serr != nil {
		s.fail(w, r, serr)
		return
	}
	stored, err := s.store.putSubmission(r.Context(), row, s.now())
	var ce *srvColumnsError
	switch {
	case errors.Is(err, errTicketUsed):
		s.fail(w, r, srvErrorf(409, "ticket %s was already used for another submission", row.Ticket))
		return
	case errors.As(err, &ce):
		s.fail(w, r, srvErrorf(400, "%s", ce.msg))
		return
	case err != nil:
		s.fail(w, r, srvErrorf(500, "storing submission %s: %v", row.Ticket, err))
		return
	}
	s.reply(w, 200, partyapi.SubmissionReceipt{Ticket: row.Ticket, Party: s.party, Stored: stored, Status: "pending"})
}

// ---- datasets and health ----

func (s *Server) handleDataset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := srvCheckToken("dataset", name); err != nil {
		s.fail(w, r, srvErrorf(400, "%v", err))
		return
	}
	pending, admitted, err := s.store.counts(r.Context(), name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, 200, partyapi.DatasetStatus{Dataset: name, Pending: pending, Admitted: admitted})
}

// Health is the body of GET /v1/health.
type Health struct {
	Status           string   `json:"status"` // "ok", or "connecting" while the parties are not connected
	Party            int      `json:"party"`
	Ring             int      `json:"ring"`
	FracBits         int      `json:"frac_bits"`
	Connected        bool     `json:"connected"`
	RunningJobs      int      `json:"running_jobs"`
	Allowlist        []string `json:"allowlist"` // hashes of the programs the party runs
	AdmissionProgram string   `json:"admission_program"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := Health{Status: "ok", Party: s.party, Ring: s.ring, FracBits: s.frac, RunningJobs: len(s.jobSlots),
		AdmissionProgram: hex.EncodeToString(s.admission.Hash[:]), Allowlist: []string{}}
	select {
	case <-s.netReady:
		h.Connected = true
	default:
		h.Status = "connecting"
	}
	for hash := range s.allow {
		h.Allowlist = append(h.Allowlist, hex.EncodeToString(hash[:]))
	}
	slices.Sort(h.Allowlist)
	s.reply(w, 200, h)
}

// ---- sessions ----

// srvSessionID derives the session id of a job or an admission from its
// id: all three parties derive the same.
func srvSessionID(kind, id string) SessionID {
	h := sha256.Sum256([]byte("mpcs/" + kind + "\x00" + id))
	return SessionID(h[:16])
}

// begin marks kind/id as running; false if it already is.
func (s *Server) begin(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[key] {
		return false
	}
	s.running[key] = true
	return true
}

func (s *Server) end(key string, failure error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, key)
	if failure != nil {
		if len(s.failed) >= 10000 {
			clear(s.failed) // bounded; the session layer remembers fewer
		}
		s.failed[key] = failure.Error()
	}
}

func (s *Server) failedBefore(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := s.failed[key]
	return msg, ok
}

// abandon opens and closes session id, so the other parties, if they run
// it, fail at once ("closed the session") instead of waiting for the idle
// timeout. Only for coordinator-signed work this party refuses; it runs in
// the background (waiting a little for the network after a restart).
func (s *Server) abandon(id SessionID) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		n, err := s.network(ctx)
		if err != nil {
			return
		}
		if c, err := n.Session(ctx, id); err == nil {
			c.Close()
		}
	}()
}

// lockDataset serializes the admissions of one dataset.
func (s *Server) lockDataset(ctx context.Context, name string) (func(), error) {
	s.mu.Lock()
	ch := s.dsLocks[name]
	if ch == nil {
		ch = make(chan struct{}, 1)
		s.dsLocks[name] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// srvRunError classifies the failure of a computation.
func srvRunError(what string, err error) *srvError {
	var re *vm.RuntimeError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return srvErrorf(504, "%s: %v", what, err)
	case errors.Is(err, context.Canceled):
		return srvErrorf(503, "%s: cancelled: %v", what, err)
	case errors.Is(err, ErrPeerClosedSession) || errors.Is(err, ErrPeerDisconnected) ||
		errors.Is(err, ErrNoMessage) || errors.Is(err, ErrSessionClosed) || errors.Is(err, ErrPeerUnreachable):
		return srvErrorf(502, "%s: %v", what, err)
	case errors.Is(err, ErrIntegrity):
		return srvErrorf(500, "%s: %v", what, err)
	case errors.As(err, &re):
		return srvErrorf(422, "%s: the program failed: %v", what, err)
	default:
		return srvErrorf(502, "%s: %v", what, err)
	}
}
