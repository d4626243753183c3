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

// BenchmarkProtocols times the main protocols on vectors of 10^6 elements,
// three parties in one process over the in-memory network. It reports
// elements per second (of wall time, all three parties together) and the
// bytes all parties send per element.
func BenchmarkProtocols(b *testing.B) {
	n := benchN()
	for _, k := range []int{64, 128} {
		f := defaultF(k)
		es := testEngines(b, k, f, [3]InputSource{})
		rng := testRNG(1)
		// fixed-point-sized values, so that products stay in range
		x := vm.NewVec(k, n)
		y := vm.NewVec(k, n)
		for i := 0; i < n; i++ {
			setRingElem(x, i, signExt(k, u128{uint64(int64(rng.IntN(1<<30) - 1<<29)), 0}))
			setRingElem(y, i, signExt(k, u128{uint64(int64(rng.IntN(1<<30) - 1<<29)), 0}))
		}
		xs, ys := dealA(b, k, []vm.Vec{x}, 1), dealA(b, k, []vm.Vec{y}, 2)
		cases := []struct {
			name string
			run  func(ctx context.Context, e *Engine) error
		}{
			{"Mul", func(ctx context.Context, e *Engine) error {
				_, err := e.Mul(ctx, xs[e.me], ys[e.me])
				return err
			}},
			{"Dot", func(ctx context.Context, e *Engine) error {
				_, err := e.Dot(ctx, xs[e.me], ys[e.me])
				return err
			}},
			{"FixMul", func(ctx context.Context, e *Engine) error {
				z, err := e.Mul(ctx, xs[e.me], ys[e.me])
				if err != nil {
					return err
				}
				_, err = e.Trunc(ctx, z, []uint{uint(f)})
				return err
			}},
			{"LTZ", func(ctx context.Context, e *Engine) error {
				_, err := e.LTZ(ctx, xs[e.me])
				return err
			}},
			{"EQZ", func(ctx context.Context, e *Engine) error {
				_, err := e.EQZ(ctx, xs[e.me])
				return err
			}},
			{"A2B", func(ctx context.Context, e *Engine) error {
				_, err := e.A2B(ctx, xs[e.me], []uint{0})
				return err
			}},
			{"Open", func(ctx context.Context, e *Engine) error {
				_, err := e.Open(ctx, xs[e.me])
				return err
			}},
		}
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/k%d/n%d", c.name, k, n), func(b *testing.B) {
				var d delta
				cpu0 := cpuTime()
				start := time.Now()
				b.ResetTimer()
				for range b.N {
					d = measure(es, func() {
						on3(b, es, func(ctx context.Context, e *Engine) (struct{}, error) {
							return struct{}{}, c.run(ctx, e)
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
