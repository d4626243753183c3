package coordinator

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

// route is one API route: a ServeMux pattern, the role it needs and its
// handler. routes() is the router's whole table; a test checks that each
// appears in openapi.yaml.
type route struct {
	method, path string
	role         role
	register     bool // counts against the stricter registration limit
	h            func(w http.ResponseWriter, r *http.Request) error
}

func (s *Server) routes() []route {
	return []route{
		{method: "POST", path: "/v1/datasets", role: roleOperator, h: s.handleCreateDataset},
		{method: "GET", path: "/v1/datasets", h: s.handleListDatasets},
		{method: "GET", path: "/v1/datasets/{name}", h: s.handleGetDataset},
		{method: "POST", path: "/v1/datasets/{name}/providers", register: true, h: s.handleRegister},
		{method: "GET", path: "/v1/datasets/{name}/providers/{ticket}", h: s.handleProvider},
		{method: "POST", path: "/v1/datasets/{name}/providers/{ticket}/submitted", h: s.handleSubmitted},
		{method: "GET", path: "/v1/datasets/{name}/stats", h: s.handleStats},
		{method: "POST", path: "/v1/programs", role: roleOperator, h: s.handleUploadProgram},
		{method: "GET", path: "/v1/programs", role: roleAnalyst, h: s.handleListPrograms},
		{method: "GET", path: "/v1/programs/{hash}", role: roleAnalyst, h: s.handleGetProgram},
		{method: "POST", path: "/v1/queries", role: roleAnalyst, h: s.handleCreateQuery},
		{method: "GET", path: "/v1/queries", role: roleAnalyst, h: s.handleListQueries},
		{method: "GET", path: "/v1/queries/{id}", role: roleAnalyst, h: s.handleGetQuery},
		{method: "GET", path: "/v1/health", h: s.handleHealth},
		{method: "GET", path: "/openapi.yaml", h: s.handleOpenAPI},
		{method: "GET", path: "/", h: s.handlePage},
		{method: "GET", path: "/assets/{file}", h: s.handleAsset},
	}
}

// Handler is the coordinator's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		pattern := rt.method + " " + rt.path
		if rt.path == "/" {
			pattern += "{$}"
		}
		mux.Handle(pattern, s.wrap(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route %s %s (the API is described at /openapi.yaml)", r.Method, r.URL.Path))
	})
	return mux
}

// httpError is an error with the status it answers with.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// wrap applies the rate limits and the role check, and renders errors.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.now()
		key := bearer(r)
		role, keyID := s.keys.role(key)
		ip := clientIP(r, s.cfg.TrustProxy)
		var ok bool
		var wait time.Duration
		if role != rolePublic {
			ok, wait = s.keyLim.allow("key:"+keyID, now)
		} else {
			ok, wait = s.ipLim.allow("ip:"+ip, now)
		}
		if ok && rt.register {
			ok, wait = s.regLim.allow("ip:"+ip, now)
		}
		if !ok {
			w.Header().Set("Retry-After", retryAfter(wait))
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded; retry after "+retryAfter(wait)+"s")
			return
		}
		if role < rt.role {
			if key == "" || role == rolePublic {
				w.Header().Set("WWW-Authenticate", `Bearer realm="mpcs"`)
				writeError(w, http.StatusUnauthorized, fmt.Sprintf("this needs an %s API key: send \"Authorization: Bearer KEY\"", rt.role))
				return
			}
			writeError(w, http.StatusForbidden, fmt.Sprintf("this needs an %s API key; the key given is an %s key", rt.role, role))
			return
		}
		if err := rt.h(w, r); err != nil {
			var he *httpError
			if errors.As(err, &he) {
				writeError(w, he.status, he.msg)
				return
			}
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusInternalServerError, "internal error: "+err.Error())
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, api.Error{Error: msg})
}

// maxJSONBody bounds a JSON request body.
const maxJSONBody = 1 << 20

// decode reads a JSON body strictly into v: one object, no unknown fields.
// An empty body is accepted when allowEmpty.
func decode(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", maxJSONBody)
		}
		return errorf(http.StatusBadRequest, "reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		if allowEmpty {
			return nil
		}
		return errorf(http.StatusBadRequest, "malformed JSON: the request body is empty")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if d.More() {
		return errorf(http.StatusBadRequest, "malformed JSON: more than one value in the body")
	}
	return nil
}

// ---- datasets

func (s *Server) handleCreateDataset(w http.ResponseWriter, r *http.Request) error {
	var req api.CreateDataset
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := validateDataset(req.Name, req.Columns, req.NotaryKeys, req.MinRows); err != nil {
		return errorf(http.StatusBadRequest, "dataset %q: %v", req.Name, err)
	}
	err := s.st.createDataset(r.Context(), req, s.now())
	if errors.Is(err, errExists) {
		return errorf(http.StatusConflict, "dataset %q already exists", req.Name)
	}
	if err != nil {
		return err
	}
	d, err := s.st.dataset(r.Context(), req.Name, true)
	if err != nil {
		return err
	}
	s.log.Info("dataset created", "dataset", d.Name, "columns", len(d.Columns), "min_rows", d.MinRows)
	return writeJSON(w, http.StatusCreated, d)
}

func (s *Server) handleListDatasets(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.st.datasets(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ds)
}

// dataset reads a dataset, or answers 404; without withPending its Pending
// is 0 (store.dataset).
func (s *Server) dataset(ctx context.Context, name string, withPending bool) (api.Dataset, error) {
	d, err := s.st.dataset(ctx, name, withPending)
	if errors.Is(err, errNotFound) {
		return d, errorf(http.StatusNotFound, "no dataset %q", name)
	}
	return d, err
}

func (s *Server) handleGetDataset(w http.ResponseWriter, r *http.Request) error {
	d, err := s.dataset(r.Context(), r.PathValue("name"), true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// ---- providers

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := s.dataset(ctx, r.PathValue("name"), false)
	if err != nil {
		return err
	}
	var req api.Register
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	a := req.Attestation
	now := s.now()
	if err := a.Verify(d.NotaryKeys, d.Name, now); err != nil {
		return errorf(http.StatusForbidden, "attestation refused: %v", err)
	}
	if a.Source == "" || a.SourceID == "" {
		return errorf(http.StatusBadRequest, "attestation: source and source_id are required")
	}
	if err := sameColumns(d.Columns, a.Commitments); err != nil {
		return errorf(http.StatusBadRequest, "attestation: %v", err)
	}
	commitments := make(map[string]string, len(a.Commitments))
	for k, v := range a.Commitments {
		commitments[k] = strings.ToLower(v)
	}
	ticket := partyapi.Ticket{ID: newID("t-"), Dataset: d.Name, Commitments: commitments, Expires: now.Add(s.cfg.TicketTTL.Duration).UTC().Truncate(time.Second)}
	signed, err := partyapi.Sign(s.key, ticket)
	if err != nil {
		return err
	}
	attJSON, _ := json.Marshal(a)
	ticketJSON, _ := json.Marshal(signed)
	err = s.st.register(ctx, providerRow{Ticket: signed, Source: a.Source, SourceID: a.SourceID, Attestation: attJSON, SignedTicket: ticketJSON}, now)
	if errors.Is(err, errSourceReuse) {
		return errorf(http.StatusConflict, "source id %q at %q has already registered for dataset %q: one row per provider", a.SourceID, a.Source, d.Name)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, api.Registration{Ticket: signed, Parties: s.endpoints, Ring: s.cfg.Ring, FracBits: s.cfg.FracBits})
}

// sameColumns checks that an attestation commits to exactly the dataset's
// columns.
func sameColumns(cols []partyapi.Column, commitments map[string]string) error {
	want := map[string]bool{}
	for _, c := range cols {
		want[c.Name] = true
		if _, ok := commitments[c.Name]; !ok {
			return fmt.Errorf("no commitment for column %q", c.Name)
		}
	}
	for k := range commitments {
		if !want[k] {
			return fmt.Errorf("commitment for %q, which is not a column of the dataset", k)
		}
	}
	return nil
}

// noTicket is the answer for a ticket the dataset does not have.
func noTicket(dataset, ticket string) error {
	return errorf(http.StatusNotFound, "no ticket %q in dataset %q (an expired ticket is forgotten when its provider registers again)", ticket, dataset)
}

func (s *Server) handleProvider(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.dataset(r.Context(), r.PathValue("name"), false); err != nil {
		return err
	}
	name, ticket := r.PathValue("name"), r.PathValue("ticket")
	p, err := s.st.provider(r.Context(), name, ticket)
	if errors.Is(err, errNotFound) {
		return noTicket(name, ticket)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleSubmitted(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	name, ticket := r.PathValue("name"), r.PathValue("ticket")
	if _, err := s.dataset(ctx, name, false); err != nil {
		return err
	}
	var req api.Submitted
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	if len(req.Receipts) > 0 {
		seen := map[int]bool{}
		for _, rc := range req.Receipts {
			if rc.Ticket != ticket {
				return errorf(http.StatusBadRequest, "receipt of party %d is for ticket %q, not %q", rc.Party, rc.Ticket, ticket)
			}
			if rc.Party < 0 || rc.Party > 2 || seen[rc.Party] {
				return errorf(http.StatusBadRequest, "receipts: party %d is not 0, 1 or 2, or appears twice", rc.Party)
			}
			seen[rc.Party] = true
		}
		if len(seen) != 3 {
			return errorf(http.StatusBadRequest, "receipts: all three parties must have acknowledged the shares (got %d)", len(seen))
		}
	}
	p, changed, err := s.st.markSubmitted(ctx, name, ticket, s.now())
	if errors.Is(err, errNotFound) {
		return noTicket(name, ticket)
	}
	if err != nil {
		return err
	}
	// A full batch goes at once; smaller ones wait for the interval.
	if changed && s.unbatched.Add(1) >= int64(s.cfg.Admission.BatchSize) {
		s.wake()
	}
	return writeJSON(w, http.StatusOK, p)
}

// ---- programs

func (s *Server) handleUploadProgram(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxProgramBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "program over %d bytes (max_program_bytes)", s.cfg.MaxProgramBytes)
		}
		return errorf(http.StatusBadRequest, "reading the program: %v", err)
	}
	p, err := vm.Decode(b)
	if err != nil {
		return errorf(http.StatusBadRequest, "not a valid .mpcb program: %v", err)
	}
	hash := hex.EncodeToString(p.Hash[:])
	created, err := s.st.putProgram(r.Context(), hash, b, s.now())
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.programs[hash] = p
	s.mu.Unlock()
	info, err := s.programInfo(r.Context(), hash)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.log.Info("program stored", "hash", hash, "bytes", len(b))
	}
	return writeJSON(w, status, info)
}

// loadProgram returns the decoded program of hash, its bytecode and when it
// was stored.
func (s *Server) loadProgram(ctx context.Context, hash string) (*vm.Program, []byte, time.Time, error) {
	b, created, err := s.st.program(ctx, hash)
	if errors.Is(err, errNotFound) {
		return nil, nil, created, errorf(http.StatusNotFound, "unknown program %s: an operator uploads it with POST /v1/programs (and each party adds its hash to its allowlist)", hash)
	}
	if err != nil {
		return nil, nil, created, err
	}
	s.mu.Lock()
	p := s.programs[hash]
	s.mu.Unlock()
	if p == nil {
		if p, err = vm.Decode(b); err != nil {
			return nil, nil, created, fmt.Errorf("stored program %s: %w", hash, err)
		}
		s.mu.Lock()
		s.programs[hash] = p
		s.mu.Unlock()
	}
	return p, b, created, nil
}

func (s *Server) programInfo(ctx context.Context, hash string) (api.Program, error) {
	p, b, created, err := s.loadProgram(ctx, hash)
	if err != nil {
		return api.Program{}, err
	}
	info := api.Program{Hash: hash, Size: len(b), Ring: p.Ring, FracBits: p.FracBits, CreatedAt: created,
		Inputs: []partyapi.Column{}, Params: []string{}, Outputs: []string{}}
	for _, c := range p.Inputs {
		info.Inputs = append(info.Inputs, partyapi.Column{Name: c.Name, Type: c.Type.String()})
	}
	for _, pa := range p.Params {
		info.Params = append(info.Params, pa.Name)
	}
	for _, o := range p.Outputs {
		info.Outputs = append(info.Outputs, o.Name)
	}
	return info, nil
}

func (s *Server) handleListPrograms(w http.ResponseWriter, r *http.Request) error {
	hashes, err := s.st.programHashes(r.Context())
	if err != nil {
		return err
	}
	out := []api.Program{}
	for _, h := range hashes {
		info, err := s.programInfo(r.Context(), h)
		if err != nil {
			return err
		}
		out = append(out, info)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleGetProgram(w http.ResponseWriter, r *http.Request) error {
	info, err := s.programInfo(r.Context(), strings.ToLower(r.PathValue("hash")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, info)
}

// ---- queries

// maxWait bounds ?wait=.
const maxWait = 60 * time.Second

// parseWait reads ?wait= as a Go duration or seconds.
func parseWait(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("wait")
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, err2 := strconv.ParseFloat(v, 64)
		if err2 != nil {
			return 0, errorf(http.StatusBadRequest, "wait=%q: give a duration such as 30s", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	return min(max(d, 0), maxWait), nil
}

func (s *Server) handleCreateQuery(w http.ResponseWriter, r *http.Request) error {
	wait, err := parseWait(r)
	if err != nil {
		return err
	}
	var req api.CreateQuery
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	q, err := s.submitQuery(r.Context(), req, false)
	if err != nil {
		return err
	}
	if wait > 0 && (q.Status == qQueued || q.Status == qRunning) {
		if q, err = s.waitQuery(r.Context(), q.ID, wait); err != nil {
			return err
		}
	}
	status := http.StatusAccepted
	if q.Status == qDone || q.Status == qFailed {
		status = http.StatusOK
	}
	return writeJSON(w, status, q)
}

func (s *Server) handleGetQuery(w http.ResponseWriter, r *http.Request) error {
	wait, err := parseWait(r)
	if err != nil {
		return err
	}
	q, err := s.waitQuery(r.Context(), r.PathValue("id"), wait)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, q)
}

func (s *Server) handleListQueries(w http.ResponseWriter, r *http.Request) error {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(http.StatusBadRequest, "limit must be 1 to 1000")
		}
		limit = n
	}
	ds := r.URL.Query().Get("dataset")
	if ds != "" {
		if _, err := s.dataset(r.Context(), ds, false); err != nil {
			return err
		}
	}
	qs, err := s.st.queries(r.Context(), ds, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, qs)
}

// ---- stats, health

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d, err := s.dataset(ctx, r.PathValue("name"), true)
	if err != nil {
		return err
	}
	st := api.Stats{Dataset: d.Name, Providers: d.Rows, Pending: d.Pending, MinRows: d.MinRows, Status: "unpublished"}
	pub, ok := s.published[d.Name]
	if ok {
		st.ProgramHash = pub.hash
		st.Status = "waiting"
		q, err := s.st.latestQuery(ctx, d.Name, pub.hash, pub.paramsJSON, qDone)
		if err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		if err == nil {
			st.Status = "ready"
			st.Outputs = q.Outputs
			st.Rows = q.Rows
			st.UpdatedAt = q.FinishedAt
		}
	}
	return writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	h := api.Health{Status: "ok", Parties: make([]api.PartyHealth, len(s.parties))}
	done := make(chan struct{})
	for i, c := range s.parties {
		go func() {
			defer func() { done <- struct{}{} }()
			err := c.do(ctx, http.MethodGet, "/v1/health", nil, nil)
			h.Parties[i] = api.PartyHealth{Party: c.id, OK: err == nil}
			if err != nil {
				h.Parties[i].Error = err.Error()
			}
		}()
	}
	for range s.parties {
		<-done
	}
	for _, p := range h.Parties {
		if !p.OK {
			h.Status = "degraded"
		}
	}
	sort.Slice(h.Parties, func(i, j int) bool { return h.Parties[i].Party < h.Parties[j].Party })
	return writeJSON(w, http.StatusOK, h)
}
