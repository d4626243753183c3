package commit_test

import (
	"context"
	"crypto/sha3"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// honestBatch returns n honest sfix submissions.
func honestBatch(r *rand.Rand, k, n int) []submission {
	subs := make([]submission, n)
	for i := range subs {
		subs[i] = honest(randomValue(r, k), randomNonce(r))
	}
	return subs
}

// BenchmarkCheck runs check on a batch of n rows (an sfix column, secret
// commitments) as three parties in one process (runtime.Sim over in-memory
// networks), the result revealed; every row must pass. Metrics: rounds of
// the run, bytes all three parties sent per check, and ms per batch.
//
//	go test ./stdlib/commit -run '^$' -bench Check -benchtime 5x
func BenchmarkCheck(b *testing.B) {
	for _, ring := range []int{128, 64} {
		p := compile(b, checkProgram("sfix", false, false), ring)
		for _, n := range []int{1, 100, 10000} {
			r := rand.New(rand.NewPCG(uint64(n), uint64(ring)))
			d := dataset(b, p, checkColumns(honestBatch(r, ring, n), "sfix", p.FracBits))
			b.Run(fmt.Sprintf("ring%d/n=%d", ring, n), func(b *testing.B) {
				var res *vm.Result
				var st runtime.SimStats
				for b.Loop() {
					var err error
					res, st, err = runtime.Sim(context.Background(), p, d, nil, runtime.NewMemNetworks())
					if err != nil {
						b.Fatal(err)
					}
				}
				for i, ok := range words(b, res, "ok", n) {
					if ok != 1 {
						b.Fatalf("honest row %d failed the check", i)
					}
				}
				b.ReportMetric(float64(st.Rounds), "rounds")
				b.ReportMetric(float64(st.BytesSent)/float64(n), "B/check")
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
			})
		}
	}
}

// BenchmarkSHA3 hashes one 48-byte message per row (one block), n rows;
// the digests must be FIPS 202's.
func BenchmarkSHA3(b *testing.B) {
	p := compile(b, hashProgram(48), 128)
	for _, n := range []int{1, 10000} {
		r := rand.New(rand.NewPCG(uint64(n), 1))
		msgs := make([][]byte, n)
		for i := range msgs {
			msgs[i] = randomBytes(r, 48)
		}
		d := dataset(b, p, messageColumns(msgs))
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var res *vm.Result
			var st runtime.SimStats
			for b.Loop() {
				var err error
				res, st, err = runtime.Sim(context.Background(), p, d, nil, runtime.NewMemNetworks())
				if err != nil {
					b.Fatal(err)
				}
			}
			for i, h := range digests(b, res, n) {
				if h != sha3.Sum256(msgs[i]) {
					b.Fatalf("message %d: digest %x, not SHA3-256's", i, h)
				}
			}
			b.ReportMetric(float64(st.Rounds), "rounds")
			b.ReportMetric(float64(st.BytesSent)/float64(n), "B/hash")
		})
	}
}

// TestCostTable prints the figures of docs/commit.md (rounds, bytes and the
// median wall time of a few runs per batch size) when COMMIT_COSTS=1:
//
//	COMMIT_COSTS=1 go test ./stdlib/commit -run CostTable -v
func TestCostTable(t *testing.T) {
	if os.Getenv("COMMIT_COSTS") == "" {
		t.Skip("set COMMIT_COSTS=1 to measure")
	}
	t.Logf("| ring | program | rows | rounds | bytes / row | wall time (median of %d) |", 5)
	t.Logf("|---|---|---|---|---|---|")
	for _, ring := range []int{128, 64} {
		for _, prog := range []string{"sha3_256 (48 B)", "check"} {
			var p *vm.Program
			if prog == "check" {
				p = compile(t, checkProgram("sfix", false, false), ring)
			} else {
				p = compile(t, hashProgram(48), ring)
			}
			for _, n := range []int{1, 100, 10000} {
				r := rand.New(rand.NewPCG(uint64(n), uint64(ring)))
				var d *vm.Dataset
				if prog == "check" {
					d = dataset(t, p, checkColumns(honestBatch(r, ring, n), "sfix", p.FracBits))
				} else {
					msgs := make([][]byte, n)
					for i := range msgs {
						msgs[i] = randomBytes(r, commit.MessageSize)
					}
					d = dataset(t, p, messageColumns(msgs))
				}
				var times []time.Duration
				var st runtime.SimStats
				for range 5 {
					var err error
					_, st, err = runtime.Sim(context.Background(), p, d, nil, runtime.NewMemNetworks())
					if err != nil {
						t.Fatal(err)
					}
					times = append(times, st.Elapsed)
				}
				slices.Sort(times)
				t.Logf("| %d | %s | %d | %d | %.0f | %v |", ring, prog, n, st.Rounds,
					float64(st.BytesSent)/float64(n), times[len(times)/2].Round(10*time.Microsecond))
			}
		}
	}
}
