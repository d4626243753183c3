package coordinator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/runtime/partyapi"
)

// submitQuery checks a query and starts it, or returns the query that
// already answers it: one with the same dataset, program, parameters and
// row count that is done (the cached result) or under way.
func (s *Server) submitQuery(ctx context.Context, req api.CreateQuery, published bool) (api.Query, error) {
	req.ProgramHash = strings.ToLower(strings.TrimSpace(req.ProgramHash))
	if req.Dataset == "" {
		return api.Query{}, errorf(http.StatusBadRequest, "dataset is required")
	}
	if !hexKeyRE.MatchString(req.ProgramHash) {
		return api.Query{}, errorf(http.StatusBadRequest, "program_hash must be the 64 hex digits mpcc compile prints")
	}
	if req.Params == nil {
		req.Params = map[string]string{}
	}
	d, err := s.dataset(ctx, req.Dataset, false)
	if err != nil {
		return api.Query{}, err
	}
	prog, bytecode, _, err := s.loadProgram(ctx, req.ProgramHash)
	if err != nil {
		return api.Query{}, err
	}
	if prog.Ring != s.cfg.Ring || prog.FracBits != s.cfg.FracBits {
		return api.Query{}, errorf(http.StatusBadRequest, "program %s is compiled for ring %d with %d fractional bits; this deployment uses ring %d with %d (mpcc compile --ring %d --frac-bits %d)",
			req.ProgramHash, prog.Ring, prog.FracBits, s.cfg.Ring, s.cfg.FracBits, s.cfg.Ring, s.cfg.FracBits)
	}
	cols := map[string]string{}
	for _, c := range d.Columns {
		cols[c.Name] = c.Type
	}
	for _, in := range prog.Inputs {
		t, ok := cols[in.Name]
		if !ok {
			return api.Query{}, errorf(http.StatusBadRequest, "program %s reads column %q, which dataset %q does not have", req.ProgramHash, in.Name, d.Name)
		}
		if t != in.Type.String() {
			return api.Query{}, errorf(http.StatusBadRequest, "program %s reads column %q as %s; in dataset %q it is %s", req.ProgramHash, in.Name, in.Type, d.Name, t)
		}
	}
	known := map[string]bool{}
	for _, p := range prog.Params {
		known[p.Name] = true
	}
	for k := range req.Params {
		if !known[k] {
			return api.Query{}, errorf(http.StatusBadRequest, "program %s has no parameter %q", req.ProgramHash, k)
		}
	}
	if d.Rows < d.MinRows {
		return api.Query{}, errorf(http.StatusConflict, "not enough rows: dataset %q has %d admitted rows; results are released from %d", d.Name, d.Rows, d.MinRows)
	}
	paramsJSON, _ := json.Marshal(req.Params)
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%s\x00%d", d.Name, req.ProgramHash, paramsJSON, d.Rows))
	key := hex.EncodeToString(sum[:])

	// One lookup-and-insert at a time, so identical queries arriving
	// together share one run.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return api.Query{}, errorf(http.StatusServiceUnavailable, "the coordinator is shutting down")
	}
	if id, err := s.st.cachedQuery(ctx, key); err == nil {
		return s.st.query(ctx, id)
	} else if !errors.Is(err, errNotFound) {
		return api.Query{}, err
	}
	id := newID("q-")
	if err := s.st.insertQuery(ctx, queryRow{ID: id, Dataset: d.Name, ProgramHash: req.ProgramHash, ParamsJSON: string(paramsJSON), CacheKey: key, Rows: d.Rows, Published: published}, s.now()); err != nil {
		return api.Query{}, err
	}
	done := make(chan struct{})
	s.waiters[id] = done
	job := partyapi.Job{ID: id, Dataset: d.Name, Bytecode: bytecode, Params: req.Params, Rows: d.Rows}
	s.wg.Go(func() { s.runQuery(job, done) })
	s.log.Info("query submitted", "query", id, "dataset", d.Name, "program", req.ProgramHash, "rows", d.Rows, "published", published)
	return s.st.query(ctx, id)
}

// runQuery runs a job at the three parties and records the outcome.
func (s *Server) runQuery(job partyapi.Job, done chan struct{}) {
	defer func() {
		s.mu.Lock()
		delete(s.waiters, job.ID)
		s.mu.Unlock()
		close(done)
	}()
	// Writes after a shutdown began still go through.
	dbctx := context.WithoutCancel(s.ctx)
	fail := func(msg string) {
		s.log.Warn("query failed", "query", job.ID, "err", msg)
		if err := s.st.failQuery(dbctx, job.ID, msg, s.now()); err != nil {
			s.log.Error("recording a failed query", "query", job.ID, "err", err)
		}
	}
	select {
	case s.sem <- struct{}{}:
	case <-s.ctx.Done():
		fail("interrupted: the coordinator stopped before the query ran; submit it again")
		return
	}
	defer func() { <-s.sem }()
	if err := s.st.setQueryRunning(dbctx, job.ID); err != nil {
		fail("recording the start: " + err.Error())
		return
	}
	signed, err := partyapi.Sign(s.key, job)
	if err != nil {
		fail("signing the job: " + err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.JobTimeout.Duration)
	defer cancel()
	start := time.Now()
	res, err := allParties(ctx, s.parties, func(ctx context.Context, c *partyClient) (partyapi.JobResult, error) {
		var r partyapi.JobResult
		err := c.do(ctx, http.MethodPost, "/v1/jobs", signed, &r)
		return r, err
	})
	if err != nil {
		if s.ctx.Err() != nil {
			fail("interrupted: the coordinator stopped while the query ran; submit it again")
			return
		}
		fail("the parties could not run the query: " + err.Error())
		return
	}
	outputs, err := agreeOutputs(job.ID, res)
	if err != nil {
		fail(err.Error())
		return
	}
	var bytesSent int64
	for _, r := range res {
		bytesSent += r.Bytes
	}
	if err := s.st.finishQuery(dbctx, job.ID, outputs, res[0].Rounds, bytesSent, s.now()); err != nil {
		s.log.Error("storing a result", "query", job.ID, "err", err)
		fail("storing the result: " + err.Error())
		return
	}
	s.log.Info("query done", "query", job.ID, "dataset", job.Dataset, "rows", job.Rows, "elapsed", time.Since(start).Round(time.Millisecond))
}

// agreeOutputs checks that the three parties revealed the same outputs for
// job id and returns party 0's, compacted (in program order).
func agreeOutputs(id string, res []partyapi.JobResult) ([]byte, error) {
	var canon [][]byte
	for i, r := range res {
		if r.ID != id {
			return nil, fmt.Errorf("party %d answered for job %q, not %q", i, r.ID, id)
		}
		c, err := canonicalJSON(r.Outputs)
		if err != nil {
			return nil, fmt.Errorf("party %d: outputs are not a JSON object: %v", i, err)
		}
		canon = append(canon, c)
	}
	for i := 1; i < len(canon); i++ {
		if !bytes.Equal(canon[0], canon[i]) {
			return nil, fmt.Errorf("the parties' results disagree: party 0 revealed %s, party %d revealed %s; the result is withheld", canon[0], i, canon[i])
		}
	}
	var out bytes.Buffer
	if err := json.Compact(&out, res[0].Outputs); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// canonicalJSON re-encodes a JSON object with sorted keys and numbers as
// written.
func canonicalJSON(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("null")
	}
	return json.Marshal(v)
}

// waitQuery returns a query, first waiting up to wait for it to finish.
func (s *Server) waitQuery(ctx context.Context, id string, wait time.Duration) (api.Query, error) {
	if wait > 0 {
		s.mu.Lock()
		done := s.waiters[id]
		s.mu.Unlock()
		if done != nil {
			t := time.NewTimer(wait)
			select {
			case <-done:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
	q, err := s.st.query(ctx, id)
	if errors.Is(err, errNotFound) {
		return q, errorf(http.StatusNotFound, "no query %q", id)
	}
	return q, err
}

// publish re-runs each dataset's published query when rows were admitted
// since its last run (or its last run failed long enough ago).
func (s *Server) publish(ctx context.Context) {
	for _, p := range s.cfg.Published {
		pub := s.published[p.Dataset]
		d, err := s.st.dataset(ctx, p.Dataset, false)
		if err != nil {
			if !errors.Is(err, errNotFound) {
				s.log.Error("published query", "dataset", p.Dataset, "err", err)
			}
			continue
		}
		if d.Rows < d.MinRows {
			continue
		}
		last, err := s.st.latestQuery(ctx, d.Name, pub.hash, pub.paramsJSON, qQueued, qRunning, qDone, qFailed)
		if err == nil {
			if last.Status == qQueued || last.Status == qRunning {
				continue
			}
			if last.Rows >= d.Rows && (last.Status == qDone || last.FinishedAt == nil || s.now().Sub(*last.FinishedAt) < s.cfg.PublishRetry.Duration) {
				continue
			}
		} else if !errors.Is(err, errNotFound) {
			s.log.Error("published query", "dataset", p.Dataset, "err", err)
			continue
		}
		if _, err := s.submitQuery(ctx, api.CreateQuery{Dataset: d.Name, ProgramHash: pub.hash, Params: pub.params}, true); err != nil {
			s.log.Warn("published query not run", "dataset", d.Name, "err", err)
		}
	}
}
