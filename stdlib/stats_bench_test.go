package stdlib_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/vm"
)

// benchData returns n rows of the sfix column x, uniform in [0, 10^6) with
// 10 fractional bits, for the program p.
func benchData(tb testing.TB, p *vm.Program, n int, seed uint64) *vm.Dataset {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &vm.Dataset{Ring: p.Ring, FracBits: p.FracBits, Rows: n}
	for _, c := range p.Inputs {
		v := vm.NewVec(p.Ring, n)
		for i := range n {
			raw := new(big.Int).Lsh(big.NewInt(rng.Int64N(1_000_000<<10)), uint(p.FracBits-10))
			vm.SetElemBig(p.Ring, v, i, raw)
		}
		d.Columns = append(d.Columns, c)
		d.Values = append(d.Values, v)
	}
	return d
}

func simOnce(tb testing.TB, p *vm.Program, data *vm.Dataset) (*vm.Result, runtime.SimStats) {
	nets := runtime.NewMemNetworks()
	defer func() {
		for _, nt := range nets {
			nt.Close()
		}
	}()
	res, st, err := runtime.Sim(context.Background(), p, data, nil, nets)
	require.NoError(tb, err)
	return res, st
}

// BenchmarkStats runs whole statistics programs as three parties in one
// process (runtime.Sim over in-memory networks, k = 128). s/run is the wall
// time of the run after dealing the shares (SimStats.Elapsed). The outputs
// must be the reference executor's, bit for bit (as in TestStatsSim).
func BenchmarkStats(b *testing.B) {
	cases := []struct {
		name string
		src  string
		ns   []int
	}{
		{"mean", "from stats import mean\nx = input(\"x\", sfix)\noutput(\"r\", mean(x))\n", []int{1e6}},
		{"mean-where", "from stats import mean\nx = input(\"x\", sfix)\noutput(\"r\", mean(x, where=x > 500000))\n", []int{1e4, 1e6}},
		{"variance", "from stats import variance\nx = input(\"x\", sfix)\noutput(\"r\", variance(x))\n", []int{1e4}},
		{"stdev", "from stats import stdev\nx = input(\"x\", sfix)\noutput(\"r\", stdev(x))\n", []int{1e4}},
		{"correlation", "from stats import correlation\nx = input(\"x\", sfix)\ny = input(\"y\", sfix)\noutput(\"r\", correlation(x, y))\n", []int{1e4}},
		{"linear_regression", "from stats import linear_regression\nx = input(\"x\", sfix)\ny = input(\"y\", sfix)\na, b = linear_regression(x, y)\noutput(\"r\", [a, b])\n", []int{1e4}},
		{"variance-where", "from stats import variance\nx = input(\"x\", sfix)\noutput(\"r\", variance(x, where=x > 500000))\n", []int{1e4}},
		{"median-where", "from stats import median\nx = input(\"x\", sfix)\noutput(\"r\", median(x, where=x > 500000))\n", []int{1e4, 1e5}},
		{"quantiles", "from stats import quantiles\nx = input(\"x\", sfix)\noutput(\"r\", quantiles(x))\n", []int{1e4}},
		{"mode", "from stats import mode\nx = input(\"x\", sfix)\noutput(\"r\", mode(x))\n", []int{1e4}},
		{"histogram", "from stats import histogram\nx = input(\"x\", sfix)\noutput(\"r\", histogram(x, [0, 1000, 10000, 100000, 500000, 1000000]))\n", []int{1e4}},
		{"gini-where", "from stats import gini\nx = input(\"x\", sfix)\noutput(\"r\", gini(x, where=x > 500000))\n", []int{1e4}},
		{"median", "from stats import median\nx = input(\"x\", sfix)\noutput(\"r\", median(x))\n", []int{1e3, 1e4, 1e5, 1e6}},
		{"gini", "from stats import gini\nx = input(\"x\", sfix)\noutput(\"r\", gini(x))\n", []int{1e3, 1e4, 1e5, 1e6}},
	}
	for _, c := range cases {
		p, err := compiler.Compile(c.name+".mpcs", []byte(c.src), compiler.Options{})
		require.NoError(b, err)
		for _, n := range c.ns {
			data := benchData(b, p, n, uint64(n))
			b.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(b *testing.B) {
				var el time.Duration
				var res *vm.Result
				var st runtime.SimStats
				for range b.N {
					res, st = simOnce(b, p, data)
					el += st.Elapsed
				}
				b.StopTimer()
				want, err := vm.Emulate(context.Background(), p, data, nil)
				require.NoError(b, err)
				require.Equal(b, string(want.JSON()), string(res.JSON()), "three parties and the reference executor differ")
				b.ReportMetric(el.Seconds()/float64(b.N), "s/run")
				b.ReportMetric(float64(st.Rounds), "rounds")
				b.ReportMetric(float64(st.BytesSent)/float64(n), "B/row")
			})
		}
	}
}
