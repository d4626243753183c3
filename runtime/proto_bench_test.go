package runtime

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mpcs/mpcs/vm"
)

// benchN is the vector length of BenchmarkProtocols (MPCS_BENCH_N
// overrides it).
func benchN() int {
	if s := os.Getenv("MPCS_BENCH_N"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 1_000_000
}

// BenchmarkProtocols times the protocols of BenchOps on vectors of 10^6
// elements, three parties in one process over the in-memory network. It reports
// elements per second (of wall time, all three parties together) and the
// bytes all parties send per element.
func BenchmarkProtocols(b *testing.B) {
	n := benchN()
	for _, k := range []int{64, 128} {
		f := defaultF(k)
		es := testEngines(b, k, f, [3]InputSource{})
		rng := testRNG(1)
		x, y := benchValues(k, n, rng), benchValues(k, n, rng)
		xs, ys := dealA(b, k, []vm.Vec{x}, 1), dealA(b, k, []vm.Vec{y}, 2)
		for _, op := range BenchOps {
			b.Run(fmt.Sprintf("%s/k%d/n%d", op.Name, k, n), func(b *testing.B) {
				var d delta
				cpu0 := cpuTime()
				start := time.Now()
				b.ResetTimer()
				for range b.N {
					d = measure(es, func() {
						on3(b, es, func(ctx context.Context, e *Engine) (struct{}, error) {
							return struct{}{}, op.run(ctx, e, xs[e.me][0], ys[e.me][0], f)
						})
					})
				}
				el := time.Since(start)
				cpu := cpuTime() - cpu0
				b.ReportMetric(float64(n)*float64(b.N)/el.Seconds(), "elem/s")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(n)/float64(b.N), "cpu-ns/elem")
				b.ReportMetric(float64(d.bytes)/float64(n), "B/elem")
				b.ReportMetric(float64(d.rounds), "rounds")
			})
		}
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
