package stdlib_test

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/vm"
)

// The statistics library against a reference computed here in Go with the
// definitions of Python's statistics module (sums and deviations in
// 256-bit floating point, so the reference is exact to float64), on random
// datasets: n = 1 and 2, negatives, duplicates, all-equal data, magnitudes
// up to 10^9, without a mask and with masks selecting all rows, none, one
// and a random part. The tolerances are those of docs/stats.md.

// dataset is one test input: the columns x and y (sfix), k (sint) and the
// mask column m (0/1).
type dataset struct {
	name string
	x, y []float64
	k    []int64
	m    []bool
}

// sel returns the rows of v the mask selects (all rows when mask is nil).
func sel[T any](v []T, mask []bool) []T {
	if mask == nil {
		return v
	}
	var out []T
	for i, b := range mask {
		if b {
			out = append(out, v[i])
		}
	}
	return out
}

func (d dataset) csv() string {
	var b strings.Builder
	b.WriteString("x,y,k,m\n")
	for i := range d.x {
		m := 0
		if d.m[i] {
			m = 1
		}
		fmt.Fprintf(&b, "%s,%s,%d,%d\n", strconv.FormatFloat(d.x[i], 'f', -1, 64),
			strconv.FormatFloat(d.y[i], 'f', -1, 64), d.k[i], m)
	}
	return b.String()
}

// gridValue draws a value on the grid 2^-6 of magnitude below scale (so it is
// exact in float64 and in fixed point).
func gridValue(rng *rand.Rand, scale float64, nonneg bool) float64 {
	v := math.Round(rng.Float64()*scale*64) / 64
	if !nonneg && rng.IntN(2) == 0 {
		v = -v
	}
	return v
}

// testDatasets returns the random datasets every function is checked on
// (at least 20, the same for every function). nonneg makes x and y >= 0
// and positive for the means that need it (a few zeros and negatives are
// still in the sets named so).
func testDatasets(seed uint64) []dataset {
	rng := rand.New(rand.NewPCG(seed, 99))
	type spec struct {
		name  string
		n     int
		scale float64
		kind  string // "", "dup", "equal", "neg", "pos", "int"
	}
	specs := []spec{
		{"n1", 1, 100, ""}, {"n2", 2, 100, ""}, {"n2-equal", 2, 10, "equal"},
		{"n3", 3, 10, ""}, {"small", 10, 100, ""}, {"dup", 25, 5, "dup"},
		{"equal", 7, 1000, "equal"}, {"1e9", 40, 1e9, ""}, {"1e9-pos", 33, 1e9, "pos"},
		{"neg", 15, 50, "neg"}, {"pos", 20, 20, "pos"}, {"int", 30, 1000, "int"},
		{"n300", 300, 1e4, ""}, {"n4", 4, 3, "dup"}, {"n5-pos", 5, 1e6, "pos"},
	}
	for len(specs) < 24 {
		n := 1 + rng.IntN(64)
		scale := []float64{1, 1e3, 1e6, 1e9}[rng.IntN(4)]
		kind := []string{"", "dup", "pos", "int", "neg"}[rng.IntN(5)]
		specs = append(specs, spec{fmt.Sprintf("rand%d", len(specs)), n, scale, kind})
	}
	var out []dataset
	for _, s := range specs {
		d := dataset{name: s.name}
		c := gridValue(rng, s.scale, s.kind == "pos")
		for range s.n {
			var x, y float64
			switch s.kind {
			case "dup":
				x, y = float64(rng.IntN(int(s.scale))), float64(rng.IntN(int(s.scale)))
			case "equal":
				x, y = c, gridValue(rng, s.scale, false)
			case "neg":
				x, y = -math.Abs(gridValue(rng, s.scale, true))-1, gridValue(rng, s.scale, false)
			case "pos":
				x, y = gridValue(rng, s.scale, true)+1, gridValue(rng, s.scale, true)+1
			case "int":
				x, y = math.Round(gridValue(rng, s.scale, false)), math.Round(gridValue(rng, s.scale, false))
			default:
				x, y = gridValue(rng, s.scale, false), gridValue(rng, s.scale, false)
			}
			d.x = append(d.x, x)
			d.y = append(d.y, y)
			d.k = append(d.k, int64(rng.IntN(7)-3))
		}
		out = append(out, d)
	}
	return out
}

// masks returns the masks each dataset is run with: nil (no where=), all
// rows, none, one row and a random part.
func masks(n int, rng *rand.Rand) map[string][]bool {
	all, none, one, part := make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
	for i := range n {
		all[i] = true
		part[i] = rng.IntN(2) == 0
	}
	one[rng.IntN(n)] = true
	return map[string][]bool{"nomask": nil, "all": all, "none": none, "one": one, "part": part}
}

// ---- the reference (Python's definitions, the documented edge results) ----

const refPrec = 256

func bf(x float64) *big.Float { return new(big.Float).SetPrec(refPrec).SetFloat64(x) }

// bigMean and bigDev give the exact mean and the exact sums of products of
// deviations.
func bigMean(v []float64) *big.Float {
	s := bf(0)
	for _, x := range v {
		s.Add(s, bf(x))
	}
	if len(v) == 0 {
		return s
	}
	return s.Quo(s, new(big.Float).SetInt64(int64(len(v))))
}

func bigSxy(x, y []float64) *big.Float {
	mx, my := bigMean(x), bigMean(y)
	s := bf(0)
	for i := range x {
		dx := bf(x[i])
		dx.Sub(dx, mx)
		dy := bf(y[i])
		dy.Sub(dy, my)
		s.Add(s, dx.Mul(dx, dy))
	}
	return s
}

func f64(x *big.Float) float64 { f, _ := x.Float64(); return f }

func quo(a, b *big.Float) float64 {
	if b.Sign() == 0 {
		return 0
	}
	return f64(new(big.Float).SetPrec(refPrec).Quo(a, b))
}

func sorted(v []float64) []float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return s
}

func refMedian(v []float64, kind int) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	s := sorted(v)
	switch kind {
	case -1:
		return s[(n-1)/2]
	case 1:
		return s[n/2]
	}
	return (s[(n-1)/2] + s[n/2]) / 2
}

func refMode(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := sorted(v)
	best, bestN := s[0], 0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if j-i > bestN {
			best, bestN = s[i], j-i
		}
		i = j
	}
	return best
}

// refQuantiles is Python's quantiles(data, n=q) (method 'exclusive'), with
// one data point giving it for every cut point (Python 3.13) and no data
// zeros.
func refQuantiles(v []float64, q int) []float64 {
	out := make([]float64, q-1)
	ld := len(v)
	s := sorted(v)
	for i := 1; i < q; i++ {
		switch ld {
		case 0:
		case 1:
			out[i-1] = s[0]
		default:
			m := ld + 1
			j := i * m / q
			j = max(1, min(j, ld-1))
			delta := i*m - j*q
			out[i-1] = (s[j-1]*float64(q-delta) + s[j]*float64(delta)) / float64(q)
		}
	}
	return out
}

// refPercentile is linear interpolation between closest ranks, with p as
// the fixed-point number the program holds.
func refPercentile(v []float64, p float64, f int) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	s := sorted(v)
	P := int64(math.Round(p * float64(int64(1)<<f)))
	D := int64(100) << f
	num := int64(n-1) * P
	j := num / D
	frac := float64(num-j*D) / float64(D)
	j1 := min(j+1, int64(n-1))
	return s[j] + frac*(s[j1]-s[j])
}

var histEdges = []float64{-1e9, -1000, -1, 0, 0.5, 1, 2, 10, 1000, 1e6, 1e9 + 1}

const histEdgesSrc = "[-1000000000, -1000, -1, 0, 0.5, 1, 2, 10, 1000, 1000000, 1000000001]"

func refHistogram(v []float64) []float64 {
	out := make([]float64, len(histEdges)-1)
	for _, x := range v {
		for i := range out {
			if x >= histEdges[i] && x < histEdges[i+1] {
				out[i]++
			}
		}
	}
	return out
}

func refVariance(v []float64, ddof int) float64 {
	if len(v) <= ddof {
		return 0
	}
	return quo(bigSxy(v, v), new(big.Float).SetInt64(int64(len(v)-ddof)))
}

func refCorrelation(x, y []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	sxx, syy := f64(bigSxy(x, x)), f64(bigSxy(y, y))
	if sxx == 0 || syy == 0 {
		return 0
	}
	return f64(bigSxy(x, y)) / (math.Sqrt(sxx) * math.Sqrt(syy))
}

func refRegression(x, y []float64, proportional bool) []float64 {
	if proportional {
		sxy, sxx := bf(0), bf(0)
		for i := range x {
			sxy.Add(sxy, new(big.Float).SetPrec(refPrec).Mul(bf(x[i]), bf(y[i])))
			sxx.Add(sxx, new(big.Float).SetPrec(refPrec).Mul(bf(x[i]), bf(x[i])))
		}
		return []float64{quo(sxy, sxx), 0}
	}
	slope := quo(bigSxy(x, y), bigSxy(x, x))
	return []float64{slope, f64(bigMean(y)) - slope*f64(bigMean(x))}
}

func refGini(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	num, sum := bf(0), bf(0)
	for _, a := range v {
		sum.Add(sum, bf(a))
		for _, b := range v {
			num.Add(num, bf(math.Abs(a-b)))
		}
	}
	return quo(num, sum.Mul(sum, new(big.Float).SetInt64(int64(2*n))))
}

func refHarmonic(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := bf(0)
	for _, x := range v {
		if x <= 0 {
			return 0
		}
		s.Add(s, new(big.Float).SetPrec(refPrec).Quo(bf(1), bf(x)))
	}
	return quo(new(big.Float).SetInt64(int64(len(v))), s)
}

func refGeometric(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		if x <= 0 {
			return 0
		}
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(v)))
}

// ---- the functions under test ----

// tolerance is the accepted |got - want| for one result: abs + rel * scale,
// scale being the largest |value| of the result and the data it is
// compared in (as docs/stats.md states per function).
type tolerance struct{ abs, rel float64 }

type statCase struct {
	name string
	// prog is the program's statement(s) with W for the where= argument
	// (", where=m == 1" or ""); it outputs "r".
	prog    string
	minRows int    // without a mask, fewer rows stop the program
	stops   string // the message they stop with
	// ref computes the expected result on the selected rows of x, y, k.
	ref func(x, y []float64, k []float64, f int) []float64
	tol tolerance
	// scale picks the magnitude the relative tolerance applies to.
	scale func(x, y []float64, want []float64) float64
	// positive: run on |x| + 1 as well as on the raw data (means of
	// positive data).
	positive bool
}

func maxAbs(vs ...[]float64) float64 {
	m := 0.0
	for _, v := range vs {
		for _, x := range v {
			m = max(m, math.Abs(x))
		}
	}
	return m
}

// corrScale is the tolerance of correlation: 4e-7 relative to 1, and the
// truncation of sxx and syy to 2^-F (4 units each, relative to them).
func corrScale(x, y, want []float64) float64 {
	if len(x) < 2 {
		return 4e-7
	}
	sxx, syy := f64(bigSxy(x, x)), f64(bigSxy(y, y))
	if sxx == 0 || syy == 0 {
		return 4e-7
	}
	return 4e-7 + 4*unit*(1/sxx+1/syy+1/math.Sqrt(sxx*syy))
}

func scaleData(x, y, want []float64) float64 { return maxAbs(x, want) }
func scaleWant(x, y, want []float64) float64 { return maxAbs(want) }

// unit is 2^-F for the 128-bit ring's F = 24.
const unit = 1.0 / (1 << 24)

func one(v float64) []float64 { return []float64{v} }

var statCases = []statCase{
	{name: "count", prog: `output("r", count(x W))`,
		ref: func(x, y, k []float64, f int) []float64 { return one(float64(len(x))) }},
	{name: "mean", prog: `output("r", mean(x W))`, minRows: 1, stops: "mean requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(f64(bigMean(x))) },
		tol: tolerance{unit, 1e-15}, scale: scaleData},
	{name: "mean-sint", prog: `output("r", mean(k W))`, minRows: 1, stops: "mean requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(f64(bigMean(k))) },
		tol: tolerance{unit, 0}},
	{name: "fmean", prog: `output("r", fmean(x W))`, minRows: 1, stops: "fmean requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(f64(bigMean(x))) },
		tol: tolerance{unit, 1e-15}, scale: scaleData},
	{name: "fmean-weights", prog: `output("r", fmean(x, weights=y W))`, minRows: 1, stops: "fmean requires at least one data point", positive: true,
		ref: func(x, y, k []float64, f int) []float64 {
			sw, swx := bf(0), bf(0)
			for i := range x {
				sw.Add(sw, bf(y[i]))
				swx.Add(swx, new(big.Float).SetPrec(refPrec).Mul(bf(x[i]), bf(y[i])))
			}
			return one(quo(swx, sw))
		},
		tol: tolerance{4 * unit, 4e-7}, scale: scaleData},
	{name: "harmonic_mean", prog: `output("r", harmonic_mean(x W))`, minRows: 1, stops: "harmonic_mean requires at least one data point", positive: true,
		ref: func(x, y, k []float64, f int) []float64 { return one(refHarmonic(x)) },
		tol: tolerance{16 * unit, 1e-6}, scale: scaleWant},
	{name: "median", prog: `output("r", median(x W))`, minRows: 1, stops: "median requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMedian(x, 0)) },
		tol: tolerance{unit, 0}},
	{name: "median-sint", prog: `output("r", median(k W))`, minRows: 1, stops: "median requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMedian(k, 0)) }},
	{name: "median_low", prog: `output("r", median_low(x W))`, minRows: 1, stops: "median_low requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMedian(x, -1)) }},
	{name: "median_high", prog: `output("r", median_high(x W))`, minRows: 1, stops: "median_high requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMedian(x, 1)) }},
	{name: "median_high-sint", prog: `output("r", median_high(k W))`, minRows: 1, stops: "median_high requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMedian(k, 1)) }},
	{name: "mode", prog: `output("r", mode(x W))`, minRows: 1, stops: "mode requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMode(x)) }},
	{name: "mode-sint", prog: `output("r", mode(k W))`, minRows: 1, stops: "mode requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refMode(k)) }},
	{name: "quantiles", prog: `output("r", concat(quantiles(x W), quantiles(x, n=10 W), quantiles(x, n=2 W), quantiles(x, n=1 W)))`,
		minRows: 1, stops: "quantiles requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 {
			return slices.Concat(refQuantiles(x, 4), refQuantiles(x, 10), refQuantiles(x, 2), refQuantiles(x, 1))
		},
		tol: tolerance{unit, 1e-15}, scale: scaleData},
	{name: "percentile", prog: `output("r", [percentile(x, 0 W), percentile(x, 12.5 W), percentile(x, 25 W), percentile(x, 33.3 W), percentile(x, 50 W), percentile(x, 90 W), percentile(x, 99.9 W), percentile(x, 100 W)])`,
		minRows: 1, stops: "percentile requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 {
			var out []float64
			for _, p := range []float64{0, 12.5, 25, 33.3, 50, 90, 99.9, 100} {
				out = append(out, refPercentile(x, p, f))
			}
			return out
		},
		tol: tolerance{unit, 1e-15}, scale: scaleData},
	{name: "histogram", prog: `output("r", histogram(x, ` + histEdgesSrc + ` W))`,
		ref: func(x, y, k []float64, f int) []float64 { return refHistogram(x) }},
	{name: "histogram-sint", prog: `output("r", histogram(k, [-3, -1, 0, 1, 2, 4] W))`,
		ref: func(x, y, k []float64, f int) []float64 {
			out := make([]float64, 5)
			e := []float64{-3, -1, 0, 1, 2, 4}
			for _, v := range k {
				for i := range out {
					if v >= e[i] && v < e[i+1] {
						out[i]++
					}
				}
			}
			return out
		}},
	{name: "pvariance", prog: `output("r", pvariance(x W))`, minRows: 1, stops: "pvariance requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(refVariance(x, 0)) },
		tol: tolerance{8 * unit, 2e-7}, scale: scaleWant},
	{name: "variance", prog: `output("r", variance(x W))`, minRows: 2, stops: "variance requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return one(refVariance(x, 1)) },
		tol: tolerance{8 * unit, 2e-7}, scale: scaleWant},
	{name: "variance-sint", prog: `output("r", variance(k W))`, minRows: 2, stops: "variance requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return one(refVariance(k, 1)) },
		tol: tolerance{8 * unit, 2e-7}, scale: scaleWant},
	{name: "covariance", prog: `output("r", covariance(x, y W))`, minRows: 2, stops: "covariance requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 {
			if len(x) < 2 {
				return one(0)
			}
			return one(quo(bigSxy(x, y), new(big.Float).SetInt64(int64(len(x)-1))))
		},
		tol: tolerance{8 * unit, 2e-7}, scale: func(x, y, want []float64) float64 {
			return math.Sqrt(refVariance(x, 1) * refVariance(y, 1))
		}},
	{name: "linear_regression", prog: "a, b = linear_regression(x, y W)\noutput(\"r\", [a, b])", minRows: 2, stops: "linear regression requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return refRegression(x, y, false) },
		tol: tolerance{16 * unit, 4e-7}, scale: func(x, y, want []float64) float64 {
			return maxAbs(want, y) + math.Abs(want[0])*maxAbs(x)
		}},
	{name: "linear_regression-proportional", prog: "a, b = linear_regression(x, y, proportional=True W)\noutput(\"r\", [a, b])", minRows: 2, stops: "linear regression requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return refRegression(x, y, true) },
		tol: tolerance{16 * unit, 4e-7}, scale: scaleWant},
	{name: "pstdev", prog: `output("r", pstdev(x W))`, minRows: 1, stops: "pstdev requires at least one data point",
		ref: func(x, y, k []float64, f int) []float64 { return one(math.Sqrt(refVariance(x, 0))) },
		tol: tolerance{16 * unit, 2e-7}, scale: scaleWant},
	{name: "stdev", prog: `output("r", stdev(x W))`, minRows: 2, stops: "stdev requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return one(math.Sqrt(refVariance(x, 1))) },
		tol: tolerance{16 * unit, 2e-7}, scale: scaleWant},
	{name: "correlation", prog: `output("r", correlation(x, y W))`, minRows: 2, stops: "correlation requires at least two data points",
		ref: func(x, y, k []float64, f int) []float64 { return one(refCorrelation(x, y)) },
		tol: tolerance{0, 1}, scale: corrScale},
	{name: "geometric_mean", prog: `output("r", geometric_mean(x W))`, minRows: 1, stops: "geometric_mean requires at least one data point", positive: true,
		ref: func(x, y, k []float64, f int) []float64 { return one(refGeometric(x)) },
		tol: tolerance{16 * unit, 1e-6}, scale: scaleWant},
	{name: "gini", prog: `output("r", gini(x W))`, minRows: 1, stops: "gini requires at least one data point", positive: true,
		ref: func(x, y, k []float64, f int) []float64 { return one(refGini(x)) },
		tol: tolerance{16 * unit, 4e-7}, scale: scaleWant},
}

// ---- running programs ----

var (
	progMu    sync.Mutex
	progCache = map[string]*vm.Program{}
)

func compileStats(t testing.TB, src string, ring int) *vm.Program {
	progMu.Lock()
	defer progMu.Unlock()
	key := fmt.Sprintf("%d\x00%s", ring, src)
	if p, ok := progCache[key]; ok {
		return p
	}
	p, err := compiler.Compile("test.mpcs", []byte(src), compiler.Options{Ring: ring})
	if d, ok := compiler.IsDiagnostics(err); ok {
		t.Fatalf("%s\n%s", src, d.Render())
	}
	require.NoError(t, err)
	progCache[key] = p
	return p
}

// statNames are the functions of the stats module.
const statNames = "count, mean, fmean, geometric_mean, harmonic_mean, median, median_low, median_high, mode, " +
	"quantiles, percentile, histogram, pvariance, variance, pstdev, stdev, covariance, correlation, linear_regression, gini"

// caseSource is the whole program of a case, with or without where=.
func caseSource(c statCase, masked bool) string {
	w := ""
	if masked {
		w = ", where=m == 1"
	}
	return "from stats import " + statNames + "\n" +
		"x = input(\"x\", sfix)\ny = input(\"y\", sfix)\nk = input(\"k\", sint)\nm = input(\"m\", sint)\n" +
		strings.ReplaceAll(c.prog, " W)", w+")") + "\n"
}

func emulate(t testing.TB, p *vm.Program, d dataset) (*vm.Result, error) {
	data, err := vm.ReadCSV(strings.NewReader(d.csv()), p)
	require.NoError(t, err)
	return vm.Emulate(context.Background(), p, data, nil)
}

// outputFloats returns the output "r" as float64s.
func outputFloats(res *vm.Result, name string) []float64 {
	o, ok := res.Output(name)
	if !ok {
		return nil
	}
	var out []float64
	for i := range o.Value.Lo {
		x := vm.ElemBig(res.Ring, o.Value, i)
		switch o.Type {
		case vm.TSfix, vm.TFix:
			out = append(out, vm.FixFloat(x, res.FracBits))
		default:
			f, _ := new(big.Float).SetInt(x).Float64()
			out = append(out, f)
		}
	}
	return out
}

func toFloats(k []int64) []float64 {
	out := make([]float64, len(k))
	for i, v := range k {
		out[i] = float64(v)
	}
	return out
}

// errStats collects the largest error seen per case, relative to its
// tolerance, for STATS_CALIBRATE=1 runs.
var errStats sync.Map

type calib struct {
	ratio float64
	where string
}

// tol64 is the tolerance in the 64-bit ring (F = 16) on data below 100 in
// magnitude: 2^-16 is 256 units of 2^-24, and a division there is
// x * (1/y) with 1/y at 2F bits.
var tol64 = tolerance{64.0 / (1 << 16), 4e-5}

func checkCase(t *testing.T, c statCase, ring int, d dataset, mask []bool, maskName string) {
	masked := mask != nil
	p := compileStats(t, caseSource(c, masked), ring)
	run := d
	if masked {
		run.m = mask
	} else {
		run.m = make([]bool, len(d.x))
	}
	res, err := emulate(t, p, run)
	x, y, k := sel(d.x, mask), sel(d.y, mask), sel(toFloats(d.k), mask)
	if !masked && len(d.x) < c.minRows {
		require.Error(t, err, "%s on %d rows must stop", c.name, len(d.x))
		require.Contains(t, err.Error(), c.stops)
		return
	}
	require.NoError(t, err)
	got := outputFloats(res, "r")
	want := c.ref(x, y, k, res.FracBits)
	require.Len(t, got, len(want), "%s %s/%s: %v", c.name, d.name, maskName, got)
	scale := 0.0
	if c.scale != nil {
		scale = c.scale(x, y, want)
	}
	tol := c.tol.abs + c.tol.rel*scale
	if ring == 64 && tol > 0 {
		tol = tol64.abs + tol64.rel*max(scale, maxAbs(want))
	}
	for i := range want {
		e := math.Abs(got[i] - want[i])
		if os.Getenv("STATS_CALIBRATE") != "" && tol > 0 {
			key := fmt.Sprintf("%s/ring%d", c.name, ring)
			prev, _ := errStats.LoadOrStore(key, calib{})
			pv := prev.(calib)
			if e/tol > pv.ratio {
				pv = calib{e / tol, fmt.Sprintf("%s/%s r[%d]: err %.3g = %.3g units + %.3g of scale %.3g", d.name, maskName, i, e, e/unit, e/max(scale, 1e-300), scale)}
			}
			errStats.Store(key, pv)
		}
		if e > tol {
			t.Errorf("%s on %s/%s: r[%d] = %v, want %v (|err| %.3g > tol %.3g)\nx = %v\ny = %v", c.name, d.name, maskName, i, got[i], want[i], e, tol, x, y)
		}
	}
}

func TestStats(t *testing.T) {
	datasets := testDatasets(1)
	require.GreaterOrEqual(t, len(datasets), 20)
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range statCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range datasets {
				runs := []dataset{d}
				if c.positive {
					p := d
					p.name += "+abs"
					p.x, p.y = make([]float64, len(d.x)), make([]float64, len(d.y))
					for i := range d.x {
						p.x[i], p.y[i] = math.Abs(d.x[i])+1, math.Abs(d.y[i])+1
					}
					runs = append(runs, p)
				}
				for _, r := range runs {
					ms := masks(len(r.x), rng)
					for _, mn := range []string{"nomask", "all", "none", "one", "part"} {
						checkCase(t, c, 128, r, ms[mn], mn)
					}
				}
			}
		})
	}
	reportCalibration(t)
}

// TestStats64 runs every case in the 64-bit ring (F = 16) on the datasets
// of small magnitude, where its fixed point has room.
func TestStats64(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var small []dataset
	for _, d := range testDatasets(1) {
		if maxAbs(d.x, d.y) <= 100 {
			small = append(small, d)
		}
	}
	require.GreaterOrEqual(t, len(small), 8)
	for _, c := range statCases {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range small {
				ms := masks(len(d.x), rng)
				for _, mn := range []string{"nomask", "all", "none", "one", "part"} {
					checkCase(t, c, 64, d, ms[mn], mn)
				}
			}
		})
	}
	reportCalibration(t)
}

func reportCalibration(t *testing.T) {
	if os.Getenv("STATS_CALIBRATE") != "" {
		errStats.Range(func(k, v any) bool {
			e := v.(calib)
			t.Logf("%-32s worst err/tol %.3f at %s", k, e.ratio, e.where)
			return true
		})
	}
}

// TestStatsSim runs a sample of the cases as three parties (runtime.Sim over
// in-memory networks) and requires the very same outputs as the reference
// executor: every protocol is exact, so the results agree bit for bit.
func TestStatsSim(t *testing.T) {
	if testing.Short() {
		t.Skip("three-party runs")
	}
	datasets := testDatasets(1)
	byName := map[string]dataset{}
	for _, d := range datasets {
		byName[d.name] = d
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for _, c := range statCases {
		t.Run(c.name, func(t *testing.T) {
			for _, run := range []struct {
				data, mask string
			}{{"small", "nomask"}, {"dup", "part"}, {"1e9-pos", "part"}, {"n2", "one"}} {
				d := byName[run.data]
				mask := masks(len(d.x), rng)[run.mask]
				p := compileStats(t, caseSource(c, mask != nil), 128)
				d.m = mask
				if mask == nil {
					d.m = make([]bool, len(d.x))
				}
				if mask == nil && len(d.x) < c.minRows {
					continue
				}
				want, err := emulate(t, p, d)
				require.NoError(t, err)
				data, err := vm.ReadCSV(strings.NewReader(d.csv()), p)
				require.NoError(t, err)
				got, _ := simOnce(t, p, data)
				require.Equal(t, string(want.JSON()), string(got.JSON()), "%s on %s/%s", c.name, run.data, run.mask)
			}
		})
	}
}

// TestStatsExamples runs testdata/stats_examples.mpcs: Python's documented
// examples and the edge cases of docs/stats.md as assertions, in the
// reference executor and as three parties.
func TestStatsExamples(t *testing.T) {
	for _, f := range []string{"testdata/stats_examples.mpcs"} {
		p, err := compiler.CompileFile(f, compiler.Options{})
		if d, ok := compiler.IsDiagnostics(err); ok {
			t.Fatal(d.Render())
		}
		require.NoError(t, err)
		_, err = vm.Emulate(context.Background(), p, nil, nil)
		require.NoError(t, err, f)
		if !testing.Short() {
			_, _, err = runtime.Sim(context.Background(), p, nil, nil, runtime.NewMemNetworks())
			require.NoError(t, err, f)
		}
	}
}
