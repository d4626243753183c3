package runtime

// Jobs: the coordinator asks the three parties to run an allowlisted
// program on a dataset's first Rows admitted rows (POST /v1/jobs). Each job
// runs in its own session, whose id is derived from the job id, so any
// number run at once over the same connections.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	var sj partyapi.Signed[partyapi.Job]
	if err := srvDecode(w, r, srvMaxJob, &sj); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := sj.Verify(s.pub); err != nil {
		s.fail(w, r, srvErrorf(403, "job: %v", err))
		return
	}
	job := &sj.Body
	if err := srvCheckToken("job id", job.ID); err != nil {
		s.fail(w, r, srvErrorf(400, "%v", err))
		return
	}
	res, err := s.runJob(r.Context(), job)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyRaw(w, 200, res)
}

// runJob runs a verified job and returns its JobResult (JSON).
func (s *Server) runJob(ctx context.Context, job *partyapi.Job) ([]byte, error) {
	if prev, err := s.store.job(ctx, job.ID); err != nil {
		return nil, srvErrorf(500, "job %s: %v", job.ID, err)
	} else if prev != nil {
		return prev, nil // a retry of a finished job: the same result
	}
	key := "job/" + job.ID
	if !s.begin(key) {
		return nil, srvErrorf(409, "job %s is already running", job.ID)
	}
	var failure error
	defer func() { s.end(key, failure) }()
	if msg, ok := s.failedBefore(key); ok {
		failure = srvErrorf(409, "job %s already ran and failed (%s); send the job again with a new id", job.ID, msg)
		return nil, failure
	}
	sid := srvSessionID("job", job.ID)
	p, d, serr := s.checkJob(ctx, job)
	if serr != nil {
		// This party will not run it: let the others know at once.
		s.abandon(sid)
		failure = serr
		return nil, serr
	}
	res, err := s.execJob(ctx, job, p, d, sid)
	if err != nil {
		failure = err
		return nil, err
	}
	if err := s.store.putJob(context.WithoutCancel(ctx), job.ID, res); err != nil {
		s.log.Error("storing a job result", "job", job.ID, "err", err)
	}
	return res, nil
}

// checkJob checks everything this party can check alone and returns the
// allowlisted program.
func (s *Server) checkJob(ctx context.Context, job *partyapi.Job) (*vm.Program, *srvDatasetState, *srvError) {
	if err := srvCheckToken("dataset", job.Dataset); err != nil {
		return nil, nil, srvErrorf(400, "job %s: %v", job.ID, err)
	}
	if job.Rows < 0 {
		return nil, nil, srvErrorf(400, "job %s: rows = %d must not be negative", job.ID, job.Rows)
	}
	b := job.Bytecode
	if len(b) < 32 {
		return nil, nil, srvErrorf(400, "job %s: no bytecode (%d bytes)", job.ID, len(b))
	}
	// The hash H is the bytecode's last 32 bytes; the bytes themselves
	// must be those of the allowlisted file, so bytecode that is not on the
	// allowlist never reaches the decoder.
	hash := [32]byte(b[len(b)-32:])
	ap := s.allow[hash]
	if ap == nil {
		return nil, nil, srvErrorf(403, "job %s: program %s is not on party %d's allowlist (the operator puts the compiled .mpcb in the allowlist folder)",
			job.ID, hex.EncodeToString(hash[:]), s.party)
	}
	if !bytes.Equal(ap.bytes, b) {
		return nil, nil, srvErrorf(403, "job %s: the bytecode claims hash %s but is not the allowlisted program %s", job.ID, hex.EncodeToString(hash[:]), ap.file)
	}
	p := ap.prog
	if p.Ring != s.ring || p.FracBits != s.frac && srvReadsSfix(p) {
		return nil, nil, srvErrorf(400, "job %s: program %s is compiled for ring %d with %d fractional bits; the datasets are in ring %d with %d",
			job.ID, ap.file, p.Ring, p.FracBits, s.ring, s.frac)
	}
	if _, err := vm.ParseParams(p, job.Params); err != nil {
		return nil, nil, srvErrorf(400, "job %s: %v", job.ID, err)
	}
	d, err := s.store.dataset(ctx, job.Dataset)
	if err != nil {
		return nil, nil, srvErrorf(500, "job %s: %v", job.ID, err)
	}
	if job.Rows > d.Admitted {
		return nil, nil, srvErrorf(409, "job %s: party %d has %d admitted rows of dataset %q, the job asks for the first %d",
			job.ID, s.party, d.Admitted, job.Dataset, job.Rows)
	}
	if err := srvCheckColumns(p, d); err != nil {
		return nil, nil, srvErrorf(400, "job %s: %v", job.ID, err)
	}
	return p, d, nil
}

func srvReadsSfix(p *vm.Program) bool {
	for _, c := range p.Inputs {
		if c.Type == vm.TSfix {
			return true
		}
	}
	return false
}

// srvCheckColumns checks that the dataset has every column p reads.
func srvCheckColumns(p *vm.Program, d *srvDatasetState) error {
	src := &srvDatasetSource{name: d.Name, cols: d.Columns}
	for _, c := range p.Inputs {
		if _, _, err := src.locate(c); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) execJob(ctx context.Context, job *partyapi.Job, p *vm.Program, d *srvDatasetState, sid SessionID) ([]byte, error) {
	select {
	case s.jobSlots <- struct{}{}:
		defer func() { <-s.jobSlots }()
	default:
		s.abandon(sid)
		return nil, srvErrorf(503, "party %d is running %d jobs, its limit (max_jobs); retry later", s.party, s.maxJobs)
	}
	rows, err := s.store.admittedRows(ctx, job.Dataset, job.Rows)
	if err != nil {
		s.abandon(sid)
		return nil, srvRunError("job "+job.ID, err)
	}
	params, _ := vm.ParseParams(p, job.Params)
	n, serr := s.network(ctx)
	if serr != nil {
		return nil, serr
	}
	ctx, cancel := context.WithTimeout(ctx, s.jobLimit)
	defer cancel()
	conn, err := n.Session(ctx, sid)
	if err != nil {
		return nil, srvRunError("job "+job.ID, err)
	}
	defer conn.Close()
	s.log.Info("job started", "job", job.ID, "dataset", job.Dataset, "rows", job.Rows, "program", hex.EncodeToString(p.Hash[:]))
	src := &srvDatasetSource{name: job.Dataset, ring: s.ring, frac: s.frac, cols: d.Columns, rows: rows}
	eng, err := NewEngine(ctx, conn, p.Ring, p.FracBits, src, WithSecurity(s.cfg.Serve.SecurityModel()))
	if err != nil {
		return nil, srvRunError("job "+job.ID, err)
	}
	res, err := eng.Run(ctx, p, params)
	if err != nil {
		return nil, srvRunError("job "+job.ID, err)
	}
	var outs struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal(res.JSON(), &outs); err != nil {
		return nil, srvErrorf(500, "job %s: %v", job.ID, err)
	}
	st := eng.Stats()
	s.log.Info("job finished", "job", job.ID, "rounds", st.Rounds, "bytes_sent", st.BytesSent)
	return json.Marshal(partyapi.JobResult{ID: job.ID, Outputs: outs.Outputs, Rounds: st.Rounds, Bytes: st.BytesSent})
}

// srvDatasetSource serves a dataset's admitted rows to the engine: a value
// column <col> as sint or sfix (its raw ring integer: x, or round(x·2^F)
// at the dataset's F), its nonce words as sbits columns <col>_nonce0..3.
type srvDatasetSource struct {
	name       string
	ring, frac int
	cols       []string
	rows       []*srvStored
}

// locate finds the column c reads: its index among the row's columns and
// the nonce word (-1 for the value).
func (d *srvDatasetSource) locate(c vm.Column) (int, int, error) {
	for i, name := range d.cols {
		if c.Name == name {
			if c.Type == vm.TSbits {
				return 0, 0, fmt.Errorf("column %q of dataset %q is a number: read it as sint or sfix, not sbits", c.Name, d.name)
			}
			return i, -1, nil
		}
		for w := range 4 {
			if c.Name == NonceColumn(name, w) {
				if c.Type != vm.TSbits {
					return 0, 0, fmt.Errorf("column %q of dataset %q is a nonce word: read it as sbits, not %s", c.Name, d.name, c.Type)
				}
				return i, w, nil
			}
		}
	}
	return 0, 0, fmt.Errorf("dataset %q has no column %q (its columns: %s, and their nonce words <column>_nonce0..3)",
		d.name, c.Name, strings.Join(d.cols, ", "))
}

// Column implements InputSource.
func (d *srvDatasetSource) Column(_ context.Context, c vm.Column, k, f int) (vm.Share, error) {
	if k != d.ring {
		return nil, fmt.Errorf("dataset %q is in ring %d, the program runs in ring %d", d.name, d.ring, k)
	}
	if c.Type == vm.TSfix && f != d.frac {
		return nil, fmt.Errorf("dataset %q has %d fractional bits, the program %d", d.name, d.frac, f)
	}
	i, w, err := d.locate(c)
	if err != nil {
		return nil, err
	}
	n := len(d.rows)
	if w >= 0 {
		out := vm.Share{vm.NewWords(n), vm.NewWords(n)}
		for r, row := range d.rows {
			for comp := range 2 {
				out[comp].Lo[r] = row.Cols[i].Nonce[w][comp]
			}
		}
		return out, nil
	}
	out := vm.Share{vm.NewVec(k, n), vm.NewVec(k, n)}
	for r, row := range d.rows {
		for comp := range 2 {
			out[comp].Lo[r] = row.Cols[i].Value[comp][0]
			if k == 128 {
				out[comp].Hi[r] = row.Cols[i].Value[comp][1]
			}
		}
	}
	return out, nil
}
