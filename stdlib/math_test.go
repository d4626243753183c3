package stdlib_test

// Tests of stdlib/math.mpcs against float64: every function on at least 20
// random mathDatasets per ring (vectors, and a scalar call on the first row),
// with magnitudes spread over the documented range and the edge values; the
// bounds are those of the docstrings and docs/math.md. The three-party
// simulation must agree with the reference executor bit for bit.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/vm"
)

// mathCompile compiles src for the ring and fails the test on diagnostics.
func mathCompile(t testing.TB, src string, ring int) *vm.Program {
	t.Helper()
	p, err := compiler.Compile("t.mpcs", []byte(src), compiler.Options{Ring: ring})
	if d, ok := compiler.IsDiagnostics(err); ok {
		t.Fatal(d.Render())
	}
	require.NoError(t, err)
	return p
}

// mathRun runs p on the CSV in the reference executor and returns the
// outputs as float64 (vectors as []float64, scalars as one-element slices).
func mathRun(t testing.TB, p *vm.Program, csv string) map[string][]float64 {
	t.Helper()
	data, err := vm.ReadCSV(strings.NewReader(csv), p)
	require.NoError(t, err)
	res, err := vm.Emulate(context.Background(), p, data, nil)
	require.NoError(t, err)
	var raw struct{ Outputs map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(res.JSON(), &raw))
	out := map[string][]float64{}
	for name, m := range raw.Outputs {
		var v []float64
		if json.Unmarshal(m, &v) != nil {
			var s float64
			require.NoError(t, json.Unmarshal(m, &s))
			v = []float64{s}
		}
		out[name] = v
	}
	return out
}

// mathFixRound is x as the executor reads it: rounded to F fractional bits.
func mathFixRound(x float64, f int) float64 {
	u := math.Ldexp(1, -f)
	return math.Round(x/u) * u
}

// mathLogUniform draws from [lo, hi] (0 < lo < hi) uniformly in log scale.
func mathLogUniform(rng *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo)))
}

// mathSpec describes one function: its float64 reference, how to draw inputs
// inside its range, edge values, and its error bounds per ring.
type mathSpec struct {
	name  string
	ref   func(x float64) float64
	draw  func(rng *rand.Rand, ring int) float64
	edges func(ring, f int) []float64
	// bound is the allowed |got - want| for the ring (ulp = 2^-F).
	bound func(ring int, want, ulp float64) float64
	// rel says where the 128-bit ring must be within 1e-5 relative.
	rel func(x, want float64) bool
}

// mathSfixMax is the largest magnitude the ring's sfix range holds, with a
// margin: 2^(k-2-F-1).
func mathSfixMax(ring, f int) float64 { return math.Ldexp(1, ring-3-f) }

var mathLogError = map[int]float64{128: -math.Ldexp(1, 40), 64: -math.Ldexp(1, 16)}

func mathSpecList() []mathSpec {
	relUlp := func(r128, r64 float64) func(int, float64, float64) float64 {
		return func(ring int, want, ulp float64) float64 {
			r := r128
			if ring == 64 {
				r = r64
			}
			return r*math.Abs(want) + 0.5*ulp + 1e-12*ulp
		}
	}
	absB := func(a128, a64 float64) func(int, float64, float64) float64 {
		return func(ring int, want, ulp float64) float64 {
			if ring == 64 {
				return a64
			}
			return a128
		}
	}
	pos := func(rng *rand.Rand, ring int) float64 {
		f := compiler.DefaultFracBits(ring)
		return mathLogUniform(rng, math.Ldexp(1, -f), mathSfixMax(ring, f))
	}
	posEdges := func(ring, f int) []float64 {
		e := []float64{math.Ldexp(1, -f), 3 * math.Ldexp(1, -f), 1, 2, 4, 0.5, 0.25, 1024, 1 + math.Ldexp(1, -f), 1 - math.Ldexp(1, -f), 10, 1e6, mathSfixMax(ring, f)}
		if ring == 128 {
			e = append(e, 1e9, 1e18, math.Ldexp(1, 37), math.Ldexp(1, 60), 1e25)
		} else {
			e = append(e, 1e9, math.Ldexp(1, 40))
		}
		return e
	}
	expTop := map[int]float64{128: 71, 64: 25}
	return []mathSpec{
		{
			name: "inv", ref: func(x float64) float64 { return 1 / x },
			draw: func(rng *rand.Rand, ring int) float64 {
				x := pos(rng, ring)
				if rng.IntN(2) == 0 {
					x = -x
				}
				return x
			},
			edges: func(ring, f int) []float64 {
				var e []float64
				for _, x := range posEdges(ring, f) {
					e = append(e, x, -x)
				}
				return e
			},
			bound: relUlp(1e-7, 1e-7),
			rel:   func(x, want float64) bool { return math.Abs(want) >= 5e-3 },
		},
		{
			name: "sqrt", ref: math.Sqrt, draw: pos, edges: posEdges,
			bound: relUlp(1e-7, 3e-6),
			rel:   func(x, want float64) bool { return want >= 5e-3 },
		},
		{
			name: "exp2", ref: math.Exp2,
			draw: func(rng *rand.Rand, ring int) float64 {
				f := float64(compiler.DefaultFracBits(ring))
				return -f + rng.Float64()*(expTop[ring]+f)
			},
			edges: func(ring, f int) []float64 {
				return []float64{-float64(f), -float64(f) + 0.5, -8, -1, -0.5, 0, math.Ldexp(1, -f), 0.5, 1, 2, 3.3, 10, 20, expTop[ring] - 1, expTop[ring]}
			},
			bound: relUlp(1e-7, 4e-6),
			rel:   func(x, want float64) bool { return x >= -8 },
		},
		{
			name: "exp", ref: math.Exp,
			draw: func(rng *rand.Rand, ring int) float64 {
				f := float64(compiler.DefaultFracBits(ring))
				return (-f + rng.Float64()*(expTop[ring]+f)) * math.Ln2
			},
			edges: func(ring, f int) []float64 {
				top := expTop[ring] * math.Ln2
				return []float64{-float64(f) * math.Ln2, -5.5, -1, 0, math.Ldexp(1, -f), 0.5, 1, 2, 10, top - 1, top - 0.01}
			},
			bound: relUlp(1.2e-7, 1.5e-5),
			rel:   func(x, want float64) bool { return x >= -5.5 },
		},
		{
			name: "log2", ref: math.Log2, draw: pos, edges: posEdges,
			bound: absB(1.5e-7, 2.5*math.Ldexp(1, -16)),
			rel:   func(x, want float64) bool { return math.Abs(want) >= 0.015 },
		},
		{
			name: "log", ref: math.Log, draw: pos, edges: posEdges,
			bound: absB(1.2e-7, 3*math.Ldexp(1, -16)),
			rel:   func(x, want float64) bool { return math.Abs(want) >= 0.012 },
		},
	}
}

// mathDatasets returns n mathDatasets of the spec's inputs (rounded as the executor
// reads them): the first ones hold the edge values, the others random draws
// of 1 to 40 rows.
func mathDatasets(rng *rand.Rand, s mathSpec, ring, n int) [][]float64 {
	f := compiler.DefaultFracBits(ring)
	var out [][]float64
	edges := s.edges(ring, f)
	for len(edges) > 0 {
		k := min(len(edges), 8)
		out = append(out, edges[:k])
		edges = edges[k:]
	}
	for len(out) < n {
		rows := 1 + rng.IntN(40)
		if len(out)%5 == 0 {
			rows = 1 + rng.IntN(2) // n = 1 and 2
		}
		var xs []float64
		for range rows {
			xs = append(xs, s.draw(rng, ring))
		}
		out = append(out, xs)
	}
	for _, xs := range out {
		for i := range xs {
			xs[i] = mathFixRound(xs[i], f)
		}
	}
	return out
}

func mathCSV(cols map[string][]float64, names ...string) string {
	var b strings.Builder
	b.WriteString(strings.Join(names, ",") + "\n")
	for i := range cols[names[0]] {
		for j, n := range names {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.17g", cols[n][i])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestMathAccuracy(t *testing.T) {
	for _, s := range mathSpecList() {
		for _, ring := range []int{128, 64} {
			t.Run(fmt.Sprintf("%s/ring%d", s.name, ring), func(t *testing.T) {
				f := compiler.DefaultFracBits(ring)
				ulp := math.Ldexp(1, -f)
				p := mathCompile(t, fmt.Sprintf("from math import %s\nx = input(\"x\", sfix)\noutput(\"v\", %s(x))\noutput(\"s\", %s(x[0]))\n", s.name, s.name, s.name), ring)
				rng := rand.New(rand.NewPCG(uint64(ring), uint64(len(s.name))))
				worstRel, checked := 0.0, 0
				for _, xs := range mathDatasets(rng, s, ring, 24) {
					got := mathRun(t, p, mathCSV(map[string][]float64{"x": xs}, "x"))
					require.Len(t, got["v"], len(xs))
					require.Equal(t, got["v"][0], got["s"][0], "%s: the scalar call differs from the vector", s.name)
					for i, x := range xs {
						want := s.ref(x)
						d := math.Abs(got["v"][i] - want)
						require.LessOrEqual(t, d, s.bound(ring, want, ulp), "%s(%v) = %v, want %v (ring %d)", s.name, x, got["v"][i], want, ring)
						if ring == 128 && s.rel(x, want) {
							require.LessOrEqual(t, d, 1e-5*math.Abs(want), "%s(%v): relative error above 1e-5", s.name, x)
							worstRel = max(worstRel, d/math.Abs(want))
							checked++
						}
					}
				}
				if ring == 128 {
					require.Greater(t, checked, 100)
					t.Logf("%s: worst relative error %.3g over %d values in the relative range", s.name, worstRel, checked)
				}
			})
		}
	}
}

func TestMathPow(t *testing.T) {
	for _, ring := range []int{128, 64} {
		t.Run(fmt.Sprintf("ring%d", ring), func(t *testing.T) {
			f := compiler.DefaultFracBits(ring)
			ulp := math.Ldexp(1, -f)
			top := map[int]float64{128: 60, 64: 22}[ring]
			p := mathCompile(t, "from math import pow\nx = input(\"x\", sfix)\ny = input(\"y\", sfix)\noutput(\"v\", pow(x, y))\noutput(\"h\", pow(x, 0.5))\noutput(\"s\", pow(x[0], y[0]))\n", ring)
			rng := rand.New(rand.NewPCG(3, uint64(ring)))
			worst := 0.0
			for d := 0; d < 24; d++ {
				var xs, ys []float64
				rows := 1 + rng.IntN(30)
				for range rows {
					// y * log2 x uniform in [-F, top], |y| up to 100
					e := -float64(f) + rng.Float64()*(top+float64(f))
					y := mathFixRound(math.Copysign(mathLogUniform(rng, 0.05, 100), rng.Float64()-0.5), f)
					if d == 0 {
						y = []float64{2, 0.5, -1, 3, 1, -0.5}[len(ys)%6]
						e = math.Max(math.Min(e, 10), -10)
					}
					x := mathFixRound(math.Exp2(e/y), f)
					if x <= 0 || x > mathSfixMax(ring, f) || math.Abs(y*math.Log2(x)) > top || y*math.Log2(x) < -float64(f) {
						continue
					}
					xs, ys = append(xs, x), append(ys, y)
				}
				if len(xs) == 0 {
					continue
				}
				got := mathRun(t, p, mathCSV(map[string][]float64{"x": xs, "y": ys}, "x", "y"))
				require.Equal(t, got["v"][0], got["s"][0])
				for i := range xs {
					want := math.Pow(xs[i], ys[i])
					d := math.Abs(got["v"][i] - want)
					// log2 with 20 extra bits: the exponent is within |y| * 3e-8
					bound := (1e-7+math.Abs(ys[i])*5e-8)*want + 0.5*ulp
					if ring == 64 {
						bound = (1e-5+math.Abs(ys[i])*2e-5)*want + 0.5*ulp
					}
					require.LessOrEqual(t, d, bound, "pow(%v, %v) = %v, want %v", xs[i], ys[i], got["v"][i], want)
					if ring == 128 && want >= 5e-3 && math.Abs(ys[i]) <= 100 {
						require.LessOrEqual(t, d, 1e-5*want, "pow(%v, %v): relative error above 1e-5", xs[i], ys[i])
						worst = max(worst, d/want)
					}
					h := math.Sqrt(xs[i])
					hb := 3e-7*h + ulp
					if ring == 64 {
						hb = 1e-5*h + ulp
					}
					require.LessOrEqual(t, math.Abs(got["h"][i]-h), hb, "pow(%v, 0.5)", xs[i])
				}
			}
			if ring == 128 {
				t.Logf("pow: worst relative error %.3g", worst)
			}
		})
	}
}

// TestMathOutside checks the defined results outside the ranges.
func TestMathOutside(t *testing.T) {
	src := `from math import inv, sqrt, exp, exp2, log, log2, pow
x = input("x", sfix)
output("sqrt", sqrt(x))
output("inv", inv(x))
output("log", log(x))
output("log2", log2(x))
output("explog", exp(log(x)))
output("exp2", exp2(x - 100))
output("exp", exp(x - 100))
output("pow", pow(x, 2))
output("powm", pow(x, -1))
`
	xs := []float64{0, -1, -1e-7, -3.5, -1e9}
	for _, ring := range []int{128, 64} {
		xs := append(xs, -mathSfixMax(ring, compiler.DefaultFracBits(ring)))
		got := mathRun(t, mathCompile(t, src, ring), mathCSV(map[string][]float64{"x": xs}, "x"))
		for i, x := range xs {
			require.Equal(t, 0.0, got["sqrt"][i], "sqrt(%v)", x)
			require.Equal(t, 0.0, got["inv"][i]*mathBool(x == 0), "inv(0)")
			require.Equal(t, mathLogError[ring], got["log"][i], "log(%v)", x)
			require.Equal(t, mathLogError[ring], got["log2"][i], "log2(%v)", x)
			require.Equal(t, 0.0, got["explog"][i], "exp(log(%v))", x)
			require.Equal(t, 0.0, got["exp2"][i], "exp2(%v - 100)", x)
			if x > -math.Ldexp(1, map[int]int{128: 60, 64: 24}[ring]) {
				// x * log2(e) stays inside the ring
				require.Equal(t, 0.0, got["exp"][i], "exp(%v - 100)", x)
			}
			require.Equal(t, 0.0, got["pow"][i], "pow(%v, 2)", x)
			require.Equal(t, 0.0, got["powm"][i], "pow(%v, -1)", x)
		}
		require.Equal(t, 0.0, got["inv"][0])
	}
}

func mathBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestMathPublicArgs: the functions accept public and integer arguments.
func TestMathPublicArgs(t *testing.T) {
	src := `from math import inv, sqrt, exp, exp2, log, log2, pow
x = input("x", sint)
output("a", sqrt(2))
output("b", inv(4.0))
output("c", exp2(x))
output("d", log2(x))
output("e", pow(2, 0.5))
output("f", exp(1))
output("g", log(sfix(x)))
`
	got := mathRun(t, mathCompile(t, src, 128), "x\n8\n1\n")
	ulp := math.Ldexp(1, -24)
	require.InDelta(t, math.Sqrt2, got["a"][0], ulp)
	require.InDelta(t, 0.25, got["b"][0], ulp)
	require.InDelta(t, 256, got["c"][0], 256*1e-7)
	require.InDelta(t, 3, got["d"][0], 2e-7)
	require.InDelta(t, 0, got["d"][1], 2e-7)
	require.InDelta(t, math.Sqrt2, got["e"][0], 1e-7)
	require.InDelta(t, math.E, got["f"][0], 1e-7*math.E+ulp)
	require.InDelta(t, math.Log(8), got["g"][0], 2e-7)
}

// TestMathSim runs every function as three parties over in-memory links:
// the results must equal the reference executor's bit for bit, inside the
// ranges and where the result outside them is defined (x <= 0, exp2 below
// -F). Above the range of exp2 the result overflows and, as for any
// overflowing fixed-point product, is unspecified.
func TestMathSim(t *testing.T) {
	src := `from math import inv, sqrt, exp, exp2, log, log2, pow
x = input("x", sfix)
y = input("y", sfix)
output("inv", inv(x))
output("sqrt", sqrt(x))
output("exp2", exp2(y))
output("exp", exp(y))
output("log2", log2(x))
output("log", log(x))
output("pow", pow(x, y / 100))
output("scalar", sqrt(x[0]) + inv(x[1]))
`
	for _, ring := range []int{128, 64} {
		t.Run(fmt.Sprintf("ring%d", ring), func(t *testing.T) {
			f := compiler.DefaultFracBits(ring)
			rng := rand.New(rand.NewPCG(11, uint64(ring)))
			var ys []float64
			xs := []float64{0, -1, -2.5, 1, 2, 0.5, math.Ldexp(1, -f), 1e6, mathSfixMax(ring, f), -mathSfixMax(ring, f)}
			for len(xs) < 40 {
				x := mathLogUniform(rng, math.Ldexp(1, -f), mathSfixMax(ring, f))
				if rng.IntN(4) == 0 {
					x = -x
				}
				xs = append(xs, mathFixRound(x, f))
			}
			top := map[int]float64{128: 49, 64: 17}[ring]
			for i := range xs {
				// from below the range of exp2 (0) to the top of exp's
				ys = append(ys, mathFixRound(-40+(top+40)*float64(i)/float64(len(xs)-1), f))
			}
			p := mathCompile(t, src, ring)
			csv := mathCSV(map[string][]float64{"x": xs, "y": ys}, "x", "y")
			data, err := vm.ReadCSV(strings.NewReader(csv), p)
			require.NoError(t, err)
			want, err := vm.Emulate(context.Background(), p, data, nil)
			require.NoError(t, err)
			got, st, err := runtime.Sim(context.Background(), p, data, nil, runtime.NewMemNetworks())
			require.NoError(t, err)
			require.Len(t, got.Outputs, len(want.Outputs))
			for i, o := range want.Outputs {
				g := got.Outputs[i]
				require.Equal(t, o.Name, g.Name)
				require.Equal(t, o.Value.Len(), g.Value.Len())
				for j := 0; j < o.Value.Len(); j++ {
					require.Equal(t, vm.ElemBig(ring, o.Value, j).String(), vm.ElemBig(ring, g.Value, j).String(), "%s[%d] (x = %v, y = %v)", o.Name, j, xs[min(j, len(xs)-1)], ys[min(j, len(ys)-1)])
				}
			}
			t.Logf("ring %d: %d rounds, %d bytes", ring, st.Rounds, st.BytesSent)
		})
	}
}

// mathCPUTime is the process's user + system CPU time.
func mathCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mathSimCost runs expr on n positive elements (x in [0.5, 100.5], y in
// [0.5, 10.5]) as three parties and returns the rounds and the bytes per
// element of expr (without the opening of the result), the wall time of the
// run and the CPU time of the process during it (all three parties).
func mathSimCost(t testing.TB, expr string, ring, n int) (rounds int64, perElem float64, wall, cpu time.Duration) {
	t.Helper()
	p := mathCompile(t, "from math import inv, sqrt, exp, exp2, log, log2, pow\nx = input(\"x\", sfix)\ny = input(\"y\", sfix)\noutput(\"r\", "+expr+")\n", ring)
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("x,y\n")
	for range n {
		fmt.Fprintf(&b, "%.6f,%.6f\n", 0.5+rng.Float64()*100, 0.5+rng.Float64()*10)
	}
	data, err := vm.ReadCSV(strings.NewReader(b.String()), p)
	require.NoError(t, err)
	c0 := mathCPUTime()
	_, st, err := runtime.Sim(context.Background(), p, data, nil, runtime.NewMemNetworks())
	require.NoError(t, err)
	// less the opening of the result: one round, 3 * k/8 bytes per element
	return st.Rounds - 1, float64(st.BytesSent)/float64(n) - float64(3*ring/8), st.Elapsed, mathCPUTime() - c0
}

var mathCostExprs = []struct{ name, expr string }{
	{"x + y (baseline)", "x + y"},
	{"x / y (prelude)", "x / y"},
	{"inv", "inv(y)"},
	{"x * inv(y)", "x * inv(y)"},
	{"sqrt", "sqrt(x)"},
	{"exp2", "exp2(y)"},
	{"exp", "exp(y)"},
	{"log2", "log2(x)"},
	{"log", "log(x)"},
	{"pow", "pow(x, y)"},
}

// TestMathCosts prints the rounds and bytes per element of every function
// (the table of docs/math.md): go test ./stdlib -run MathCosts -v.
// MATH_COST_N sets the vector length (default 1000).
func TestMathCosts(t *testing.T) {
	if testing.Short() {
		t.Skip("three-party runs")
	}
	n := 1000
	if s := os.Getenv("MATH_COST_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	for _, ring := range []int{128, 64} {
		for _, c := range mathCostExprs {
			r, b, wall, cpu := mathSimCost(t, c.expr, ring, n)
			t.Logf("ring %3d  %-16s n=%-7d rounds %3d  bytes/elem %6.0f  wall %8.1f ms  cpu %8.1f ms", ring, c.name, n, r, b, float64(wall.Microseconds())/1000, float64(cpu.Microseconds())/1000)
		}
	}
}

// BenchmarkSimMath: three parties, 10^5 elements, 128-bit ring.
// go test ./stdlib -run '^$' -bench SimMath -benchtime 3x
func BenchmarkSimMath(b *testing.B) {
	for _, c := range mathCostExprs {
		b.Run(strings.ReplaceAll(c.name, " ", ""), func(b *testing.B) {
			var wall, cpu time.Duration
			best, bestCPU := time.Hour, time.Hour
			for range b.N {
				_, _, w, c := mathSimCost(b, c.expr, 128, 100_000)
				wall += w
				cpu += c
				best, bestCPU = min(best, w), min(bestCPU, c)
			}
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "sim-ms/op")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(best.Milliseconds()), "best-sim-ms")
			b.ReportMetric(float64(bestCPU.Milliseconds()), "best-cpu-ms")
		})
	}
}

// TestMathOtherFracBits: non-default fractional bits (odd ones too) keep
// the functions working; the bounds are looser than the documented ones
// for the defaults (the polynomials stay those of F = 24 and F = 16).
func TestMathOtherFracBits(t *testing.T) {
	refs := map[string]func(float64) float64{"inv": func(x float64) float64 { return 1 / x }, "sqrt": math.Sqrt, "exp2": math.Exp2, "exp": math.Exp, "log2": math.Log2, "log": math.Log}
	for _, c := range []struct{ ring, f int }{{128, 16}, {128, 20}, {128, 23}, {128, 30}, {64, 12}, {64, 13}, {64, 20}} {
		for _, fn := range []string{"inv", "sqrt", "exp2", "exp", "log2", "log"} {
			src := "from math import " + fn + "\nx = input(\"x\", sfix)\noutput(\"v\", " + fn + "(x))\n"
			p, err := compiler.Compile("t.mpcs", []byte(src), compiler.Options{Ring: c.ring, FracBits: c.f})
			require.NoError(t, err)
			xs := []float64{0.001, 0.3, 1, 1.7, 3, 10, 123.4, 1e4}
			if fn == "exp2" || fn == "exp" {
				xs = []float64{-3, -0.7, 0, 0.3, 1, 2.5, 7, 11}
			}
			for i := range xs {
				xs[i] = mathFixRound(xs[i], c.f)
			}
			got := mathRun(t, p, mathCSV(map[string][]float64{"x": xs}, "x"))
			rel := 1e-5
			if c.ring == 64 {
				rel = 5e-5
			}
			for i, x := range xs {
				w := refs[fn](x)
				require.InDelta(t, w, got["v"][i], rel*math.Abs(w)+4*math.Ldexp(1, -c.f)+1e-7, "ring %d F %d: %s(%v)", c.ring, c.f, fn, x)
			}
		}
	}
}
