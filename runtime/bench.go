package runtime

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/mpcs/mpcs/vm"
)

// BenchOp is one protocol measured by Bench.
type BenchOp struct {
	Name string
	Op   vm.Opcode // the instruction it runs (malicious mode: measured only if verified)
	run  func(ctx context.Context, e *Engine, x, y vm.Share, f int) error
}

// BenchOps are the protocols Bench measures, in table order.
var BenchOps = []BenchOp{
	{"mul", vm.AMUL, func(ctx context.Context, e *Engine, x, y vm.Share, _ int) error {
		_, err := e.api().Mul(ctx, []vm.Share{x}, []vm.Share{y})
		return err
	}},
	{"dot", vm.ADOT, func(ctx context.Context, e *Engine, x, y vm.Share, _ int) error {
		_, err := e.api().Dot(ctx, []vm.Share{x}, []vm.Share{y})
		return err
	}},
	// 64 ANDs per element (the low words of the inputs as XOR shares)
	{"and", vm.BAND, func(ctx context.Context, e *Engine, x, y vm.Share, _ int) error {
		_, err := e.api().BAnd(ctx, []vm.Share{lowWords(x)}, []vm.Share{lowWords(y)})
		return err
	}},
	// fixed-point multiplication: AMUL followed by ATRUNC of its result by
	// F, which the VM runs as one fused call (Engine.MulTrunc) under the
	// semi-honest model
	{"fixmul", vm.ATRUNC, func(ctx context.Context, e *Engine, x, y vm.Share, f int) error {
		if e.tr == nil {
			_, err := e.MulTrunc(ctx, []vm.Share{x}, []vm.Share{y}, []uint{uint(f)})
			return err
		}
		z, err := e.api().Mul(ctx, []vm.Share{x}, []vm.Share{y})
		if err != nil {
			return err
		}
		_, err = e.api().Trunc(ctx, z, []uint{uint(f)})
		return err
	}},
	{"ltz", vm.ALTZ, func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.api().LTZ(ctx, []vm.Share{x})
		return err
	}},
	{"eqz", vm.AEQZ, func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.api().EQZ(ctx, []vm.Share{x})
		return err
	}},
	{"a2b", vm.A2B, func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.api().A2B(ctx, []vm.Share{x}, []uint{0})
		return err
	}},
	{"open", vm.AOPEN, func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.api().Open(ctx, []vm.Share{x})
		return err
	}},
}

// lowWords returns the low words of an arithmetic share, as a boolean one.
func lowWords(x vm.Share) vm.Share { return vm.Share{{Lo: x[0].Lo}, {Lo: x[1].Lo}} }

// BenchRow is one measured protocol.
type BenchRow struct {
	Op           string
	N            int
	Rounds       int64   // of one run
	BytesPerElem float64 // sent by all three parties together, in one run
	Time         time.Duration
	PerSecond    float64 // elements per second
	// Runs is the number of timed runs: Time and PerSecond are their
	// median, MinPerSecond and MaxPerSecond their range.
	Runs                       int
	MinPerSecond, MaxPerSecond float64
	Kernels                    string
}

// Bench runs each named protocol (all of BenchOps when ops is empty) on n
// random fixed-point-sized elements in ring k, as three parties over nets
// with the engine options opts, and measures wall time, rounds and bytes of
// runs timed runs (at least one) after untimed warm-up runs (for about a
// second); the time is their median. Under Malicious it measures the
// verified protocols only, and a run's final check is not included.
func Bench(ctx context.Context, nets [3]Network, k, n, runs int, ops []string, opts ...EngineOption) ([]BenchRow, error) {
	runs = max(runs, 1)
	f := 24
	if k == 64 {
		f = 16
	}
	var engines [3]*Engine
	var conns [3]Conn
	var id SessionID
	copy(id[:], "bench")
	_, _ = crand.Read(id[5:])
	errs := make(chan error, 3)
	for p := range nets {
		go func(p int) {
			c, err := nets[p].Session(ctx, id)
			if err == nil {
				conns[p] = c
				engines[p], err = NewEngine(ctx, c, k, f, nil, opts...)
			}
			errs <- err
		}(p)
	}
	for range 3 {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := benchValues(k, n, rng), benchValues(k, n, rng)
	// dealt with ChaCha8 seeded from crypto/rand (a benchmark's inputs)
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		return nil, err
	}
	deal := rand.NewChaCha8(seed)
	xs, err := SplitArith(k, x, deal)
	if err != nil {
		return nil, err
	}
	ys, err := SplitArith(k, y, deal)
	if err != nil {
		return nil, err
	}
	var rows []BenchRow
	for _, op := range BenchOps {
		if len(ops) > 0 && !slices.Contains(ops, op.Name) {
			continue
		}
		if engines[0].tr != nil && !verifiedOps[op.Op] {
			continue
		}
		// untimed warm-up runs: buffers, pools, the heap and TCP windows
		// reach their steady state, as in a session that runs many
		// instructions
		warm := time.Now()
		for i := 0; i < benchWarmUpMax && (i < benchWarmUpMin || time.Since(warm) < benchWarmUp); i++ {
			if err := runOn3(ctx, engines, op, xs, ys, f); err != nil {
				return rows, fmt.Errorf("%s: %w", op.Name, err)
			}
		}
		var before [3]EngineStats
		for p, e := range engines {
			before[p] = e.Stats()
		}
		times := make([]time.Duration, runs)
		for i := range times {
			start := time.Now()
			err := runOn3(ctx, engines, op, xs, ys, f)
			times[i] = time.Since(start)
			if err != nil {
				return rows, fmt.Errorf("%s: %w", op.Name, err)
			}
		}
		var bytes int64
		for p, e := range engines {
			bytes += e.Stats().BytesSent - before[p].BytesSent
		}
		per := float64(bytes) / float64(n) / float64(runs)
		if op.Name == "dot" {
			per = float64(bytes) / float64(runs) // one dot product of n elements
		}
		slices.Sort(times)
		el := times[runs/2]
		if runs%2 == 0 {
			el = (times[runs/2-1] + times[runs/2]) / 2
		}
		rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
		rows = append(rows, BenchRow{
			Op: op.Name, N: n, Rounds: (engines[0].Stats().Rounds - before[0].Rounds) / int64(runs),
			BytesPerElem: per, Time: el, PerSecond: rate(el), Runs: runs,
			MinPerSecond: rate(times[runs-1]), MaxPerSecond: rate(times[0]), Kernels: vm.KernelsInUse(),
		})
	}
	return rows, nil
}

// The untimed warm-up runs before the timed ones: for benchWarmUp, at
// least benchWarmUpMin runs and at most benchWarmUpMax. Over localhost TLS
// the first ten or so runs of a 10^6-element operation are slower than the
// rest (the buffer pool, the heap and the TCP windows growing), as a party
// server's first instructions are.
const (
	benchWarmUp    = time.Second
	benchWarmUpMin = 2
	benchWarmUpMax = 20
)

// runOn3 runs op at the three parties concurrently.
func runOn3(ctx context.Context, engines [3]*Engine, op BenchOp, xs, ys [3]vm.Share, f int) error {
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for p, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = op.run(ctx, e, xs[p], ys[p], f)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// benchValues returns n random values of ring k below 2^29 in magnitude,
// so that fixed-point products stay in range.
func benchValues(k, n int, rng *rand.Rand) vm.Vec {
	v := vm.NewVec(k, n)
	for i := range n {
		setRingElem(v, i, signExt(k, u128{uint64(rng.Int64N(1<<30) - 1<<29), 0}))
	}
	return v
}

// LocalTLSNetworks starts three parties on 127.0.0.1 with fresh keys in dir,
// connected by pinned mutual TLS 1.3, as in a deployment on one machine
// (connection events are not logged).
func LocalTLSNetworks(ctx context.Context, dir string) ([3]Network, error) {
	var nets [3]Network
	cfg := &Config{Dir: dir, File: filepath.Join(dir, "deploy.toml"), Logger: slog.New(slog.DiscardHandler)}
	var lns [3]net.Listener
	for p := range 3 {
		cert, key, err := GenerateKey(p, filepath.Join(dir, "keys"))
		if err != nil {
			return nets, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nets, err
		}
		lns[p] = ln
		cfg.Party = append(cfg.Party, PartyConfig{ID: p, Address: ln.Addr().String(), Cert: cert, Key: key})
	}
	if err := cfg.Validate(); err != nil {
		return nets, err
	}
	errs := make(chan error, 3)
	for p := range 3 {
		go func(p int) {
			var err error
			nets[p], err = NewTLSNetwork(ctx, cfg, p, lns[p])
			errs <- err
		}(p)
	}
	var first error
	for range 3 {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		for _, n := range nets {
			if n != nil {
				n.Close()
			}
		}
		return nets, first
	}
	return nets, nil
}
