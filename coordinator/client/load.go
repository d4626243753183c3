package client

import (
	"context"
	"slices"
	"sync"
	"time"
)

// LoadResult is the outcome of many providers contributing at once.
type LoadResult struct {
	Receipts  []*Receipt       // of the contributions that succeeded, in the order of the ids
	Errors    map[string]error // source id → why its contribution failed
	Latencies []time.Duration  // of the successful contributions, sorted
	Elapsed   time.Duration    // wall time of the whole load
}

// MedianSteps is the median duration of each step over the successful
// contributions.
func (r *LoadResult) MedianSteps() Steps {
	var a, g, p, c []time.Duration
	for _, rec := range r.Receipts {
		a = append(a, rec.Steps.Attest)
		g = append(g, rec.Steps.Register)
		p = append(p, rec.Steps.Parties)
		c = append(c, rec.Steps.Confirm)
	}
	med := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return Percentile(ds, 0.5)
	}
	return Steps{Attest: med(a), Register: med(g), Parties: med(p), Confirm: med(c)}
}

// Percentile returns the q-quantile (0 ≤ q ≤ 1, nearest rank) of the
// sorted latencies, or 0 if there are none.
func (r *LoadResult) Percentile(q float64) time.Duration {
	return Percentile(r.Latencies, q)
}

// Percentile returns the q-quantile (nearest rank) of sorted durations.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ShareMany runs the contributions of the source ids to dataset at once,
// at most concurrency at a time (0: all of them), and collects their
// receipts and latencies. A contribution's latency runs from its start to
// the coordinator's confirmation.
func (p *Provider) ShareMany(ctx context.Context, dataset string, ids []string, concurrency int) *LoadResult {
	if concurrency <= 0 {
		concurrency = len(ids)
	}
	res := &LoadResult{Errors: map[string]error{}}
	receipts := make([]*Receipt, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, max(concurrency, 1))
	start := time.Now()
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			receipts[i], errs[i] = p.Share(ctx, Contribution{Dataset: dataset, SourceID: id})
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for i, id := range ids {
		if errs[i] != nil {
			res.Errors[id] = errs[i]
			continue
		}
		res.Receipts = append(res.Receipts, receipts[i])
		res.Latencies = append(res.Latencies, receipts[i].Elapsed)
	}
	slices.Sort(res.Latencies)
	return res
}
