package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkProviders: 1,000 providers contribute at once to a running
// system on localhost (attest, register, share with the three parties,
// confirm); every one must be accepted and admitted. Reports the
// submission latency (p50, p99) and how many were lost, for each security
// model.
func BenchmarkProviders(b *testing.B) {
	for _, sec := range []string{"semi-honest", "malicious"} {
		b.Run(sec, func(b *testing.B) { benchProviders(b, sec) })
	}
}

func benchProviders(b *testing.B, sec string) {
	const n = 1000
	d, ctx := startDemoAs(b, false, sec, 30*time.Minute)
	var p50, p99 time.Duration
	from := 0
	for b.Loop() {
		ids := demoIDs(from, n)
		from += n
		res, err := d.contribute(ctx, ids)
		require.NoError(b, err)
		ds, err := d.waitAdmitted(ctx, int64(from))
		require.NoError(b, err)
		b.ReportMetric(float64(int64(from)-ds.Rows), "lost")
		p50, p99 = res.Percentile(0.5), res.Percentile(0.99)
	}
	b.ReportMetric(float64(p50.Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p99.Milliseconds()), "p99-ms")
	b.ReportMetric(float64(n), "providers")
}

// BenchmarkDevconQuery: the Devcon query over 10,000 admitted providers,
// end to end: from the analyst's request to the result the coordinator
// caches (query-ms: a fresh computation by the three parties), and a
// repeated request answered from that cache (cached-ms), for each security
// model.
func BenchmarkDevconQuery(b *testing.B) {
	for _, sec := range []string{"semi-honest", "malicious"} {
		b.Run(sec, func(b *testing.B) { benchDevconQuery(b, sec) })
	}
}

func benchDevconQuery(b *testing.B, sec string) {
	const n = 10000
	d, ctx := startDemoAs(b, false, sec, 60*time.Minute)
	_, err := d.contribute(ctx, demoIDs(0, n))
	require.NoError(b, err)
	rows := n
	var fresh, cached time.Duration
	for b.Loop() {
		// one more row, so that the query is not answered from the cache
		b.StopTimer()
		_, err := d.contribute(ctx, demoIDs(rows, 1))
		require.NoError(b, err)
		rows++
		_, err = d.waitAdmitted(ctx, int64(rows))
		require.NoError(b, err)
		b.StartTimer()

		start := time.Now()
		q, err := d.query(ctx)
		require.NoError(b, err)
		fresh = time.Since(start)
		require.Equal(b, int64(rows), q.Rows)
		start = time.Now()
		again, err := d.query(ctx)
		require.NoError(b, err)
		cached = time.Since(start)
		require.Equal(b, q.ID, again.ID, "the repeated request is answered from the cache")
	}
	b.ReportMetric(float64(fresh.Milliseconds()), "query-ms")
	b.ReportMetric(float64(cached.Milliseconds()), "cached-ms")
	b.ReportMetric(float64(rows), "rows")
}
