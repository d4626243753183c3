package coordinator

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/mpcs/mpcs/runtime/partyapi"
)

// admissionLoop sends batches of submitted tickets to the parties every
// admission interval (or sooner when woken), then re-runs the published
// queries whose datasets grew.
func (s *Server) admissionLoop() {
	t := time.NewTicker(s.cfg.Admission.Interval.Duration)
	defer t.Stop()
	s.publish(s.ctx)
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		s.admitOnce(s.ctx)
		s.publish(s.ctx)
	}
}

// admitOnce first retries the batches left pending, then batches the newly
// submitted tickets of each dataset. A dataset whose batch fails waits for
// the next round (its batches go in order).
func (s *Server) admitOnce(ctx context.Context) {
	s.unbatched.Store(0)
	blocked := map[string]bool{}
	pending, err := s.st.pendingAdmissions(ctx)
	if err != nil {
		s.log.Error("admission: listing pending batches", "err", err)
		return
	}
	for i := range pending {
		a := &pending[i]
		if blocked[a.Dataset] {
			continue
		}
		if err := s.sendAdmission(ctx, a); err != nil {
			blocked[a.Dataset] = true
		}
	}
	datasets, err := s.st.datasetsWithSubmissions(ctx)
	if err != nil {
		s.log.Error("admission: listing submissions", "err", err)
		return
	}
	for _, d := range datasets {
		for !blocked[d] && ctx.Err() == nil {
			a, err := s.st.newAdmission(ctx, newID("a-"), d, s.cfg.Admission.BatchSize, s.now())
			if err != nil {
				s.log.Error("admission: making a batch", "dataset", d, "err", err)
				break
			}
			if a == nil {
				break
			}
			if err := s.sendAdmission(ctx, a); err != nil {
				blocked[d] = true
			}
		}
	}
}

// sendAdmission sends one signed batch to the three parties under its
// attempt id and records their agreed outcome. On failure the batch stays
// pending, and its next attempt gets a fresh id (attemptID): the same
// tickets in the same order, of which the parties report those an earlier
// attempt decided (AlreadyAdmitted; the parties first bring a party that
// missed that attempt's commit up to date).
func (s *Server) sendAdmission(ctx context.Context, a *admissionRow) error {
	id := a.attemptID()
	signed, err := partyapi.Sign(s.key, partyapi.Admission{ID: id, Dataset: a.Dataset, Tickets: a.Tickets})
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout.Duration)
	defer cancel()
	res, err := allParties(cctx, s.parties, func(ctx context.Context, c *partyClient) (partyapi.AdmissionResult, error) {
		var r partyapi.AdmissionResult
		err := c.do(ctx, http.MethodPost, "/v1/admissions", signed, &r)
		return r, err
	})
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// Log the first failure and then every 30th, not every round.
		if a.Attempts%30 == 0 {
			s.log.Warn("admission batch not accepted; retrying under a new id", "batch", a.ID, "attempt", id, "dataset", a.Dataset, "tickets", len(a.Tickets), "attempts", a.Attempts+1, "err", err)
		}
		a.Attempts++
		if rerr := s.st.admissionAttemptFailed(context.WithoutCancel(ctx), a.ID, err.Error()); rerr != nil {
			s.log.Error("admission: recording a failure", "batch", a.ID, "err", rerr)
		}
		return err
	}
	now := s.now()
	if msg := agreeAdmission(a, id, res); msg != "" {
		s.log.Error("the parties disagree on an admission batch; its rows are rejected", "batch", a.ID, "attempt", id, "dataset", a.Dataset, "detail", msg)
		return s.st.abandonAdmission(context.WithoutCancel(ctx), a, "the parties disagreed on this batch: "+msg, now)
	}
	r := res[0]
	// Tickets an earlier attempt admitted (its result was lost) are
	// admitted.
	admitted := slices.Clone(r.Admitted)
	for _, t := range a.Tickets {
		if _, ok := r.AlreadyAdmitted[t]; ok {
			admitted = append(admitted, t)
		}
	}
	if err := s.st.finishAdmission(context.WithoutCancel(ctx), a, admitted, r.Rejected, r.Rows, now); err != nil {
		s.log.Error("admission: recording the outcome", "batch", a.ID, "err", err)
		return err
	}
	s.log.Info("admission batch done", "batch", a.ID, "attempt", id, "dataset", a.Dataset, "admitted", len(admitted),
		"admitted_earlier", len(admitted)-len(r.Admitted), "rejected", len(a.Tickets)-len(admitted), "rows", r.Rows)
	return nil
}

// agreeAdmission checks that the three results are for attempt id of
// batch a, admit only its tickets, and agree on the admitted set, on the
// tickets earlier attempts admitted and on the row count; it returns what
// differs, or "".
func agreeAdmission(a *admissionRow, id string, res []partyapi.AdmissionResult) string {
	inBatch := map[string]bool{}
	for _, t := range a.Tickets {
		inBatch[t] = true
	}
	var ref []string
	for i, r := range res {
		if r.ID != id {
			return fmt.Sprintf("party %d answered for batch %q", i, r.ID)
		}
		adm := slices.Clone(r.Admitted)
		slices.Sort(adm)
		for _, t := range adm {
			if !inBatch[t] {
				return fmt.Sprintf("party %d admitted ticket %q, which is not in the batch", i, t)
			}
			if _, ok := r.AlreadyAdmitted[t]; ok {
				return fmt.Sprintf("party %d admitted ticket %q and reports it admitted earlier", i, t)
			}
		}
		for t := range r.AlreadyAdmitted {
			if !inBatch[t] {
				return fmt.Sprintf("party %d reports ticket %q admitted earlier, which is not in the batch", i, t)
			}
		}
		if i == 0 {
			ref = adm
			continue
		}
		if !slices.Equal(ref, adm) {
			return fmt.Sprintf("party 0 admitted %d tickets, party %d admitted %d (or other ones)", len(ref), i, len(adm))
		}
		if !maps.Equal(r.AlreadyAdmitted, res[0].AlreadyAdmitted) {
			return fmt.Sprintf("party 0 reports %d tickets admitted earlier, party %d %d (or other ones, or at other rows)", len(res[0].AlreadyAdmitted), i, len(r.AlreadyAdmitted))
		}
		if r.Rows != res[0].Rows {
			return fmt.Sprintf("party 0 counts %d rows, party %d counts %d", res[0].Rows, i, r.Rows)
		}
	}
	return ""
}
