package coordinator

import (
	"context"
	"fmt"
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

// sendAdmission sends one signed batch to the three parties and records
// their agreed outcome. On failure the batch stays pending (same id) for
// the next round.
func (s *Server) sendAdmission(ctx context.Context, a *admissionRow) error {
	signed, err := partyapi.Sign(s.key, partyapi.Admission{ID: a.ID, Dataset: a.Dataset, Tickets: a.Tickets})
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
			s.log.Warn("admission batch not accepted; retrying", "batch", a.ID, "dataset", a.Dataset, "tickets", len(a.Tickets), "attempts", a.Attempts+1, "err", err)
		}
		a.Attempts++
		if rerr := s.st.admissionAttemptFailed(context.WithoutCancel(ctx), a.ID, err.Error()); rerr != nil {
			s.log.Error("admission: recording a failure", "batch", a.ID, "err", rerr)
		}
		return err
	}
	now := s.now()
	if msg := agreeAdmission(a, res); msg != "" {
		s.log.Error("the parties disagree on an admission batch; its rows are rejected", "batch", a.ID, "dataset", a.Dataset, "detail", msg)
		return s.st.abandonAdmission(context.WithoutCancel(ctx), a, "the parties disagreed on this batch: "+msg, now)
	}
	r := res[0]
	if err := s.st.finishAdmission(context.WithoutCancel(ctx), a, r.Admitted, r.Rejected, r.Rows, now); err != nil {
		s.log.Error("admission: recording the outcome", "batch", a.ID, "err", err)
		return err
	}
	s.log.Info("admission batch done", "batch", a.ID, "dataset", a.Dataset, "admitted", len(r.Admitted), "rejected", len(a.Tickets)-len(r.Admitted), "rows", r.Rows)
	return nil
}

// agreeAdmission checks that the three results are for batch a, admit only
// its tickets, and agree on the admitted set and the row count; it returns
// what differs, or "".
func agreeAdmission(a *admissionRow, res []partyapi.AdmissionResult) string {
	inBatch := map[string]bool{}
	for _, t := range a.Tickets {
		inBatch[t] = true
	}
	var ref []string
	for i, r := range res {
		if r.ID != a.ID {
			return fmt.Sprintf("party %d answered for batch %q", i, r.ID)
		}
		adm := slices.Clone(r.Admitted)
		slices.Sort(adm)
		for _, t := range adm {
			if !inBatch[t] {
				return fmt.Sprintf("party %d admitted ticket %q, which is not in the batch", i, t)
			}
		}
		if i == 0 {
			ref = adm
			continue
		}
		if !slices.Equal(ref, adm) {
			return fmt.Sprintf("party 0 admitted %d tickets, party %d admitted %d (or other ones)", len(ref), i, len(adm))
		}
		if r.Rows != res[0].Rows {
			return fmt.Sprintf("party 0 counts %d rows, party %d counts %d", res[0].Rows, i, r.Rows)
		}
	}
	return ""
}
