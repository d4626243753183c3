package runtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/mpcs/mpcs/vm"
)

// BenchOp is one protocol measured by Bench.
type BenchOp struct {
	Name string
	run  func(ctx context.Context, e *Engine, x, y vm.Share, f int) error
}

// BenchOps are the protocols Bench measures, in table order.
var BenchOps = []BenchOp{
	{"mul", func(ctx context.Context, e *Engine, x, y vm.Share, _ int) error {
		_, err := e.Mul(ctx, []vm.Share{x}, []vm.Share{y})
		return err
	}},
	{"dot", func(ctx context.Context, e *Engine, x, y vm.Share, _ int) error {
		_, err := e.Dot(ctx, []vm.Share{x}, []vm.Share{y})
		return err
	}},
	{"fixmul", func(ctx context.Context, e *Engine, x, y vm.Share, f int) error {
		z, err := e.Mul(ctx, []vm.Share{x}, []vm.Share{y})
		if err != nil {
			return err
		}
		_, err = e.Trunc(ctx, z, []uint{uint(f)})
		return err
	}},
	{"ltz", func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.LTZ(ctx, []vm.Share{x})
		return err
	}},
	{"eqz", func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.EQZ(ctx, []vm.Share{x})
		return err
	}},
	{"a2b", func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.A2B(ctx, []vm.Share{x}, []uint{0})
		return err
	}},
	{"open", func(ctx context.Context, e *Engine, x, _ vm.Share, _ int) error {
		_, err := e.Open(ctx, []vm.Share{x})
		return err
	}},
}

// BenchRow is one measured protocol.
type BenchRow struct {
	Op           string
	N            int
	Rounds       int64
	BytesPerElem float64 // sent by all three parties together
	Time         time.Duration
	PerSecond    float64 // elements per second
	Kernels      string
}

// Bench runs each named protocol (all of BenchOps when ops is empty) on n
// random fixed-point-sized elements in ring k, as three parties over nets,
// and measures wall time, rounds and bytes.
func Bench(ctx context.Context, nets [3]Network, k, n int, ops []string) ([]BenchRow, error) {
	f := 24
	if k == 64 {
		f = 16
	}
	var engines [3]*Engine
	var conns [3]Conn
	id := SessionID{'b', 'e', 'n', 'c', 'h'}
	errs := make(chan error, 3)
	for p := range nets {
		go func(p int) {
			c, err := nets[p].Session(ctx, id)
			if err == nil {
				conns[p] = c
				engines[p], err = NewEngine(ctx, c, k, f, nil)
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
	// values below 2^29 in magnitude, so fixed-point products stay in range
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := vm.NewVec(k, n), vm.NewVec(k, n)
	for i := 0; i < n; i++ {
		vm.SetElemBig(k, x, i, big.NewInt(rng.Int64N(1<<30)-1<<29))
		vm.SetElemBig(k, y, i, big.NewInt(rng.Int64N(1<<30)-1<<29))
	}
	xs, err := SplitArith(k, x, nil)
	if err != nil {
		return nil, err
	}
	ys, err := SplitArith(k, y, nil)
	if err != nil {
		return nil, err
	}
	var rows []BenchRow
	for _, op := range BenchOps {
		if len(ops) > 0 && !contains(ops, op.Name) {
			continue
		}
		var before [3]EngineStats
		for p, e := range engines {
			before[p] = e.Stats()
		}
		start := time.Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for p, e := range engines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := op.run(ctx, e, xs[p], ys[p], f); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		if first != nil {
			return rows, fmt.Errorf("%s: %w", op.Name, first)
		}
		var bytes int64
		for p, e := range engines {
			bytes += e.Stats().BytesSent - before[p].BytesSent
		}
		per := float64(bytes) / float64(n)
		if op.Name == "dot" {
			per = float64(bytes) // one dot product of n elements
		}
		rows = append(rows, BenchRow{
			Op: op.Name, N: n, Rounds: engines[0].Stats().Rounds - before[0].Rounds,
			BytesPerElem: per, Time: el, PerSecond: float64(n) / el.Seconds(), Kernels: vm.KernelsInUse(),
		})
	}
	return rows, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
