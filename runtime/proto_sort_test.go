package runtime

import (
	"context"
	"fmt"
	"math/big"
	"math/bits"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// sortKeyLimit is the bound on |key| for which Sort is exact: 2^(k−2−b),
// b = ⌈log2 n⌉.
func sortKeyLimit(k, n int) *big.Int {
	return bigPow2(k - 2 - bits.Len(uint(max(n, 1)-1)))
}

// sortKeys returns test keys of the given kind, within the range of Sort.
func sortKeys(k, n int, kind string, seed uint64) vm.Vec {
	rng := testRNG(seed)
	lim := sortKeyLimit(k, n)
	v := vm.NewVec(k, n)
	for i := 0; i < n; i++ {
		var x *big.Int
		switch kind {
		case "random": // random magnitudes below lim, both signs
			x = new(big.Int).SetUint64(rng.Uint64())
			x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(rng.Uint64()))
			x.Rsh(x, uint(128-rng.IntN(lim.BitLen())))
			if rng.IntN(2) == 0 {
				x.Neg(x)
			}
		case "ties": // few distinct values: many ties
			x = big.NewInt(int64(rng.IntN(5)) - 2)
		case "equal":
			x = big.NewInt(-7)
		case "negative":
			x = big.NewInt(-1 - int64(rng.IntN(1000)))
		case "sorted":
			x = big.NewInt(int64(i/3) - int64(n/6))
		case "reverse":
			x = big.NewInt(int64(n - i))
		case "edges": // the ends of the range
			switch i % 4 {
			case 0:
				x = new(big.Int).Sub(lim, big.NewInt(1))
			case 1:
				x = new(big.Int).Neg(lim)
			case 2:
				x = new(big.Int).Sub(lim, big.NewInt(int64(1+rng.IntN(3))))
			default:
				x = new(big.Int).Add(new(big.Int).Neg(lim), big.NewInt(int64(rng.IntN(3))))
			}
		case "fix": // sfix-like: values scaled by 2^16
			x = big.NewInt(int64(rng.IntN(2001)-1000) << 16)
			if rng.IntN(3) == 0 {
				x.Add(x, big.NewInt(int64(rng.IntN(1<<16))))
			}
		default:
			panic(kind)
		}
		vm.SetElemBig(k, v, i, x)
	}
	return v
}

var sortKinds = []string{"random", "ties", "equal", "negative", "sorted", "reverse", "edges", "fix"}

// runSortCase sorts key with two value vectors (the original index and a
// random vector) and compares with the reference, exactly.
func runSortCase(t *testing.T, es [3]*Engine, k int, key vm.Vec, nvals int) delta {
	t.Helper()
	n := key.Len()
	rng := testRNG(uint64(n) + 99)
	idx := vm.NewVec(k, n)
	for i := 0; i < n; i++ {
		setRingElem(idx, i, u128{uint64(i), 0})
	}
	vals := []vm.Vec{idx, testVec(k, n, true, rng), testVec(k, n, true, rng)}[:nvals]
	sh := dealA(t, k, append([]vm.Vec{key}, vals...), uint64(n)+5)
	var got [3][]vm.Share
	d := measure(es, func() {
		got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			sk, sv, err := e.Sort(ctx, sh[e.me][0], sh[e.me][1:])
			return append([]vm.Share{sk}, sv...), err
		})
	})
	pe := vm.NewPlainEngine(k, 16, nil)
	wk, wv, err := pe.Sort(context.Background(), vm.Share{key}, plainShares(vals))
	require.NoError(t, err)
	require.Len(t, got[0], 1+nvals)
	requireSameVec(t, k, wk[0], reconA(t, k, got, 0), "sorted key")
	for g := range vals {
		requireSameVec(t, k, wv[g][0], reconA(t, k, got, 1+g), fmt.Sprintf("value vector %d", g))
	}
	// the inputs are untouched
	requireSameVec(t, k, key, reconA(t, k, sh, 0), "key after sort")
	return d
}

func TestSort(t *testing.T) {
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		for _, n := range []int{0, 1, 2, 3, 10, 1000} {
			for _, kind := range sortKinds {
				t.Run(fmt.Sprintf("k%d/n%d/%s", k, n, kind), func(t *testing.T) {
					d := runSortCase(t, es, k, sortKeys(k, n, kind, uint64(n*7+k)), 2)
					if n < 2 {
						require.Zero(t, d.rounds)
						require.Zero(t, d.bytes)
					} else {
						// a shuffle and at least one level of log2 k rounds
						require.GreaterOrEqual(t, d.rounds, int64(2+log2i(k)))
					}
					t.Logf("rounds %d, bytes/elem %.1f", d.rounds, float64(d.bytes)/float64(max(n, 1)))
				})
			}
		}
	}
}

// TestSortVariants: no value vectors, three of them, and other tunings of
// the quicksort.
func TestSortVariants(t *testing.T) {
	defer func(p, a int) { sortMaxSampleLog, sortAllPairs = p, a }(sortMaxSampleLog, sortAllPairs)
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		for _, nv := range []int{0, 3} {
			t.Run(fmt.Sprintf("k%d/vals%d", k, nv), func(t *testing.T) {
				runSortCase(t, es, k, sortKeys(k, 300, "ties", 3), nv)
			})
		}
		for _, tune := range [][2]int{{1, 0}, {1, 2}, {2, 3}, {3, 8}, {10, 4}, {10, 16}, {4, 1}} {
			sortMaxSampleLog, sortAllPairs = tune[0], tune[1]
			for _, n := range []int{2, 3, 17, 500} {
				for _, kind := range []string{"random", "ties", "reverse"} {
					t.Run(fmt.Sprintf("k%d/p%d/a%d/n%d/%s", k, tune[0], tune[1], n, kind), func(t *testing.T) {
						runSortCase(t, es, k, sortKeys(k, n, kind, uint64(n)), 1)
					})
				}
			}
		}
	}
}

// TestSortSizes sorts every size up to 40 (the sample and all-pairs cases
// meet at different sizes).
func TestSortSizes(t *testing.T) {
	k := 64
	es := testEngines(t, k, 16, [3]InputSource{})
	for n := 2; n <= 40; n++ {
		for _, kind := range []string{"random", "ties"} {
			t.Run(fmt.Sprintf("n%d/%s", n, kind), func(t *testing.T) {
				runSortCase(t, es, k, sortKeys(k, n, kind, uint64(n)), 1)
			})
		}
	}
}

// TestSortOutOfRange: keys outside the range give some order (not the
// sorted one) but still a permutation of the rows, and the sort ends.
func TestSortOutOfRange(t *testing.T) {
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		n := 300
		key := testVec(k, n, true, testRNG(9)) // the whole ring
		idx := vm.NewVec(k, n)
		for i := 0; i < n; i++ {
			setRingElem(idx, i, u128{uint64(i), 0})
		}
		sh := dealA(t, k, []vm.Vec{key, idx}, 10)
		got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			sk, sv, err := e.Sort(ctx, sh[e.me][0], sh[e.me][1:])
			return append([]vm.Share{sk}, sv...), err
		})
		checkShuffled(t, k, []vm.Vec{idx, key}, []vm.Vec{reconA(t, k, got, 1), reconA(t, k, got, 0)})
	}
}

// TestSortShuffled: sorts of the same keys open different
// comparisons (the shuffle makes the pivots random), and the number of
// rounds varies with the shuffle only.
func TestSortShuffled(t *testing.T) {
	k := 64
	es := testEngines(t, k, 16, [3]InputSource{})
	key := sortKeys(k, 200, "sorted", 1)
	seen := map[int64]bool{}
	for range 6 {
		d := runSortCase(t, es, k, key, 1)
		seen[d.bytes] = true
	}
	require.Greater(t, len(seen), 1, "six sorts of the same data sent the same number of bytes")
}

// ---- whole programs ----

// sortPrograms are programs that sort, run through Sim against the
// reference executor.
var sortPrograms = []struct{ name, src string }{
	{"stats", `from stats import median, median_low, median_high, gini
x = input("x", sfix)
y = input("y", sint)
output("median", median(x))
output("median_low", median_low(y))
output("median_high", median_high(y))
output("gini", gini(x))
output("sorted", sort(y))
ks, vs = sort_by(y, x)
output("ks", ks)
output("vs", vs)
`},
	{"ties", `x = input("x", sfix)
y = input("y", sint)
a, b, c = sort_by(y, x, y * 2)
output("a", a)
output("b", b)
output("c", c)
output("sb", sort(y < 2))
`},
}

// sortProgramCSV returns n rows of x (sfix or sint) and y (sint) with ties.
func sortProgramCSV(n int, seed uint64) string {
	rng := testRNG(seed)
	var b strings.Builder
	b.WriteString("x,y\n")
	for range n {
		fmt.Fprintf(&b, "%d.%02d,%d\n", rng.IntN(200)-50, rng.IntN(100), rng.IntN(9)-4)
	}
	return b.String()
}

func TestSimSort(t *testing.T) {
	for _, sp := range sortPrograms {
		for _, ring := range []int{128, 64} {
			for _, n := range []int{1, 2, 3, 10, 101} {
				t.Run(fmt.Sprintf("%s/ring%d/n%d", sp.name, ring, n), func(t *testing.T) {
					p, err := compiler.Compile("p.mpcs", []byte(sp.src), compiler.Options{Ring: ring})
					require.NoError(t, err)
					st := simCompare(t, p, sortProgramCSV(n, uint64(n)), nil)
					t.Logf("rounds %d (opcode table %d), %d bytes", st.Rounds, st.MachineRounds, st.BytesSent)
				})
			}
		}
	}
}

// TestSimSortAll runs every compiler run test and shipped program that
// sorts as three parties against the reference executor (TestSimRun and
// TestSimPrograms cover the others).
func TestSimSortAll(t *testing.T) {
	sorts := func(p *vm.Program) bool {
		for _, in := range p.Code {
			if in.Op == vm.ASORT || in.Op == vm.ASHUF {
				return true
			}
		}
		return false
	}
	files, _ := filepath.Glob("../compiler/testdata/run/*.txtar")
	require.NotEmpty(t, files)
	ran := 0
	for _, file := range files {
		sec := runTest(t, file)
		for _, ring := range []int{128, 64} {
			if strings.Contains(sec["options"], "ring128only") && ring == 64 {
				continue
			}
			p, err := compiler.Compile("prog.mpcs", []byte(sec["prog.mpcs"]), compiler.Options{Ring: ring})
			if err != nil || !sorts(p) {
				continue
			}
			ran++
			t.Run(filepath.Base(file)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
				simCompare(t, p, sec["data.csv"], runParams(sec))
			})
		}
	}
	progs, _ := filepath.Glob("../programs/*/*.mpcs")
	require.NotEmpty(t, progs)
	for _, prog := range progs {
		for _, ring := range []int{128, 64} {
			p, err := compiler.CompileFile(prog, compiler.Options{Ring: ring})
			require.NoError(t, err)
			if !sorts(p) {
				continue
			}
			ran++
			t.Run(filepath.Base(prog)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
				csv, err := os.ReadFile(filepath.Join(filepath.Dir(prog), "sample.csv"))
				require.NoError(t, err)
				st := simCompare(t, p, string(csv), nil)
				t.Logf("rounds %d, %d bytes", st.Rounds, st.BytesSent)
			})
		}
	}
	require.NotZero(t, ran, "no program sorts")
}

// ---- benchmarks ----

// BenchmarkSort sorts n keys (k = 128 and 64, no value vectors, three
// parties in one process): seconds per sort, rounds and bytes per element
// (all parties).
func BenchmarkSort(b *testing.B) {
	for _, k := range []int{128, 64} {
		es := testEngines(b, k, defaultF(k), [3]InputSource{})
		for _, n := range []int{1000, 10_000, 100_000} {
			key := sortKeys(k, n, "fix", uint64(n))
			sh := dealA(b, k, []vm.Vec{key}, 1)
			b.Run(fmt.Sprintf("k%d/n%d", k, n), func(b *testing.B) {
				var d delta
				start := time.Now()
				cpu0 := cpuTime()
				for range b.N {
					d = measure(es, func() {
						on3(b, es, func(ctx context.Context, e *Engine) (vm.Share, error) {
							s, _, err := e.Sort(ctx, sh[e.me][0], nil)
							return s, err
						})
					})
				}
				el := time.Since(start)
				b.ReportMetric(el.Seconds()/float64(b.N), "s/sort")
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n)/float64(b.N), "cpu-ns/elem")
				b.ReportMetric(float64(d.rounds), "rounds")
				b.ReportMetric(float64(d.bytes)/float64(n), "B/elem")
			})
		}
	}
}

// BenchmarkShuffle shuffles one vector of 10^6 elements.
func BenchmarkShuffle(b *testing.B) {
	n := 1_000_000
	for _, k := range []int{128, 64} {
		es := testEngines(b, k, defaultF(k), [3]InputSource{})
		sh := dealA(b, k, []vm.Vec{sortKeys(k, n, "fix", 1)}, 1)
		b.Run(fmt.Sprintf("k%d/n%d", k, n), func(b *testing.B) {
			var d delta
			start := time.Now()
			for range b.N {
				d = measure(es, func() {
					on3(b, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
						return e.Shuffle(ctx, sh[e.me])
					})
				})
			}
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "elem/s")
			b.ReportMetric(float64(d.rounds), "rounds")
			b.ReportMetric(float64(d.bytes)/float64(n), "B/elem")
		})
	}
}

// BenchmarkSimMedian runs `median` of n secret sfix values as a whole
// program (k = 128) through Sim: dealing, the three parties, the check.
func BenchmarkSimMedian(b *testing.B) {
	src := "from stats import median\nx = input(\"x\", sfix)\noutput(\"m\", median(x))\n"
	p, err := compiler.Compile("m.mpcs", []byte(src), compiler.Options{Ring: 128})
	require.NoError(b, err)
	for _, n := range []int{1000, 10_000, 100_000} {
		rng := testRNG(uint64(n))
		var csv strings.Builder
		csv.WriteString("x\n")
		for range n {
			fmt.Fprintf(&csv, "%d.%03d\n", rng.IntN(2_000_000)-1_000_000, rng.IntN(1000))
		}
		data, err := vm.ReadCSV(strings.NewReader(csv.String()), p)
		require.NoError(b, err)
		b.Run(fmt.Sprintf("k128/n%d", n), func(b *testing.B) {
			var st SimStats
			start := time.Now()
			for range b.N {
				nets := NewMemNetworks()
				_, st, err = Sim(context.Background(), p, data, nil, nets)
				for _, nt := range nets {
					nt.Close()
				}
				require.NoError(b, err)
			}
			b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/run")
			b.ReportMetric(float64(st.Rounds), "rounds")
			b.ReportMetric(float64(st.BytesSent)/float64(n), "B/elem")
		})
	}
}

// TestSortCosts measures the building blocks of Sort on 1000 elements, as
// TestCosts does for the other primitives (go test ./runtime -run
// 'TestSortCosts' -v): the shuffle of one vector and the opened comparison
// (a sign bit in mixed form, opened), which it also checks against the
// clear signs.
func TestSortCosts(t *testing.T) {
	const n = 1000
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, defaultF(k), [3]InputSource{})
		x := testVec(k, n, true, testRNG(3))
		xs := dealA(t, k, []vm.Vec{x}, 4)
		d := measure(es, func() {
			on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
				return e.Shuffle(ctx, xs[e.me])
			})
		})
		require.EqualValues(t, 2, d.rounds)
		require.EqualValues(t, 4*n*k/8, d.bytes)
		t.Logf("k = %d: Shuffle: %d rounds, %.2f B/elem", k, d.rounds, float64(d.bytes)/n)
		var got [3][]uint64
		d = measure(es, func() {
			got = on3(t, es, func(ctx context.Context, e *Engine) ([]uint64, error) {
				x0, x1 := e.flatShares(xs[e.me])
				return e.openSigns(ctx, x0, x1)
			})
		})
		for i := 0; i < n; i++ {
			want := uint64(0)
			if vm.ElemBig(k, x, i).Sign() < 0 {
				want = 1
			}
			for p := range 3 {
				require.Equal(t, want, got[p][i], "party %d, element %d", p, i)
			}
		}
		require.EqualValues(t, log2i(k), d.rounds)
		t.Logf("k = %d: opened comparison: %d rounds, %.2f B/elem", k, d.rounds, float64(d.bytes)/n)
	}
}
