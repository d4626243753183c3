package runtime

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// secProg is a program of only the steps the malicious mode verifies:
// inputs, local arithmetic and opens (outputs).
const secProg = `x = input("x", sint)
y = input("y", sfix)
output("sx", sum(x))
output("xs", x - 1)
output("sy", sum(y) + 2.5)
`

const secData = "x,y\n0,1.5\n1,-2\n-1,0\n9223372036854775807,-0.25\n-9223372036854775808,1e6\n7,7\n"

// simSecure runs src on csv as three parties under opts and returns the
// result and the error, with the reference result.
func simSecure(t *testing.T, ring int, src, csv string, opts ...EngineOption) (got, want *vm.Result, st SimStats, err error) {
	t.Helper()
	p, cerr := compiler.Compile("prog.mpcs", []byte(src), compiler.Options{Ring: ring})
	require.NoError(t, cerr)
	data, derr := vm.ReadCSV(strings.NewReader(csv), p)
	require.NoError(t, derr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	want, werr := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, data), nil).Run(ctx)
	require.NoError(t, werr)
	got, st, err = Sim(ctx, p, data, nil, NewMemNetworks(), opts...)
	return got, want, st, err
}

// requireMaliciousMatches runs src on csv under the malicious model and
// requires the reference executor's outputs exactly.
func requireMaliciousMatches(t *testing.T, ring int, src, csv, what string) {
	t.Helper()
	got, want, st, err := simSecure(t, ring, src, csv, WithSecurity(Malicious))
	require.NoError(t, err, what)
	require.Equal(t, string(want.JSON()), string(got.JSON()), what)
	t.Logf("%s: %d rounds, %d bytes", what, st.Rounds, st.BytesSent)
}

func TestMaliciousHonestRun(t *testing.T) {
	for _, ring := range []int{128, 64} {
		csv := secData
		if ring == 64 {
			csv = "x,y\n0,1.5\n1,-2\n-1,0\n1099511627775,-0.25\n-1099511627776,1000\n7,7\n"
		}
		semi, want, st0, err := simSecure(t, ring, secProg, csv)
		require.NoError(t, err)
		got, _, st1, err := simSecure(t, ring, secProg, csv, WithSecurity(Malicious))
		require.NoError(t, err, "ring %d", ring)
		require.Equal(t, string(want.JSON()), string(got.JSON()))
		require.Equal(t, string(semi.JSON()), string(got.JSON()))
		// the checks: before and after the program's one AOPEN and at the
		// end, two rounds each; to the next party two digests (shared
		// values, zero checks), to the previous one (opens), a verdict to each
		require.Equal(t, st0.Rounds+3*2, st1.Rounds)
		require.Equal(t, st0.BytesSent+3*3*(3*32+2), st1.BytesSent)
	}
}

func TestMaliciousRefusesUnverifiedSteps(t *testing.T) {
	// every interactive opcode is verified today: an opcode added without
	// a verified protocol must be refused
	require.True(t, verifiedOps[vm.ASHUF])
	delete(verifiedOps, vm.ASHUF)
	defer func() { verifiedOps[vm.ASHUF] = true }()
	p := &vm.Program{Ring: 128, Code: []vm.Instr{{Op: vm.AOPEN}, {Op: vm.ASHUF}}, Pos: []vm.SrcPos{{}, {Line: 3, Col: 1}}, Strings: []string{"prog.s"}}
	require.ErrorContains(t, checkVerifiable(p), "does not verify ASHUF yet at prog.s:3:1")
	p.Code[1].Op = vm.ASORT
	require.NoError(t, checkVerifiable(p))
}

// TestVerifiedOpsCoverAll: every interactive opcode has a verified
// protocol (a new one must get one, or be refused under Malicious).
func TestVerifiedOpsCoverAll(t *testing.T) {
	for op := range vm.Opcode(255) {
		if op.Interactive() {
			require.True(t, verifiedOps[op], "%s has no verified protocol", op)
		}
	}
}

// TestMaliciousShuffle: a verified shuffle (hand-written bytecode: the
// compiler emits no bare ASHUF) permutes the elements, values and all,
// and different runs permute differently.
func TestMaliciousShuffle(t *testing.T) {
	p, err := vm.Assemble(`.ring 128
.frac 24
.regs p=2 a=4 b=0 i=0
.input in0 "x" sint
.output out0 "x" sint vector
.output out1 "y" sint vector
   0  INPUT  a0, in0
   1  AADD   a1, a0, a0
   2  ASHUF  a2, a0 ; a3, a1
   3  AOPEN  p0, a2 ; p1, a3
   4  OUTPUT out0, p0
   5  OUTPUT out1, p1
`)
	require.NoError(t, err)
	var sb strings.Builder
	sb.WriteString("x\n")
	for i := range 40 {
		fmt.Fprintf(&sb, "%d\n", i*7-100)
	}
	data, err := vm.ReadCSV(strings.NewReader(sb.String()), p)
	require.NoError(t, err)
	seen := map[string]bool{}
	for range 3 {
		res, _, err := Sim(context.Background(), p, data, nil, NewMemNetworks(), WithSecurity(Malicious))
		require.NoError(t, err)
		x, _ := res.Output("x")
		y, _ := res.Output("y")
		var xs []int64
		for i := range 40 {
			xv, yv := ringElem(x.Value, i), ringElem(y.Value, i)
			require.Equal(t, xv.add(xv), yv, "the values moved apart")
			xs = append(xs, int64(xv.lo))
		}
		key := fmt.Sprint(xs)
		seen[key] = true
		slices.Sort(xs)
		for i := range 40 {
			require.Equal(t, int64(i*7-100), xs[i])
		}
	}
	require.Len(t, seen, 3, "three shuffles of 40 elements were not all different")
}

// mulProg exercises the verified multiplications: AMUL (with a broadcast
// scalar), ADOT and BAND, next to opens.
const mulProg = `x = input("x", sint)
y = input("y", sint)
b = input("b", sbits)
c = input("c", sbits)
output("p", x * y)
output("q", x * 3 * x)
output("d", sum(x * y))
output("band", b & c)
output("bor", b | c)
`

// mulData returns rows of edge and random values for mulProg in ring k.
func mulData(k, rows int, rng *rand.Rand) string {
	top := int64(1) << 61
	if k == 64 {
		top = 1 << 30 // products stay in range
	}
	edge := []int64{0, 1, -1, 2, -2, top - 1, -top, 7, 7}
	var sb strings.Builder
	sb.WriteString("x,y,b,c\n")
	for i := range rows {
		x, y := rng.Int64N(2*top)-top, rng.Int64N(2*top)-top
		if i < len(edge) {
			x, y = edge[i], edge[len(edge)-1-i]
		}
		fmt.Fprintf(&sb, "%d,%d,%d,%d\n", x, y, rng.Uint64(), rng.Uint64())
	}
	return sb.String()
}

// TestMaliciousMulMatchesPlain: verified products equal the reference
// executor's exactly, on both rings, for one product (the most triples per
// product) up to thousands, in parts of 2^10 bytes (64 to 128 products).
func TestMaliciousMulMatchesPlain(t *testing.T) {
	defer func(b int) { verifiedPartBytes = b }(verifiedPartBytes)
	verifiedPartBytes = 1 << 10
	rng := rand.New(rand.NewPCG(7, 7))
	for _, ring := range []int{128, 64} {
		for _, rows := range []int{1, 2, 9, 1000, 5000} {
			requireMaliciousMatches(t, ring, mulProg, mulData(ring, rows, rng), fmt.Sprintf("ring %d, %d rows", ring, rows))
		}
	}
}

// convProg exercises the verified conversions and comparisons: A2B (both
// words), B2A, LTZ and EQZ.
const convProg = `x = input("x", sint)
y = input("y", sint)
b = input("b", sbits)
output("lt", x < y)
output("eq", x == y)
output("neg", x < 0)
output("zero", x == 0)
output("bits", sbits(x))
output("back", sint(b))
output("both", sint(sbits(x) & b))
`

// convData returns rows of edge and random values for convProg in ring k.
func convData(k, rows int, rng *rand.Rand) string {
	lo, hi := vm.RingMin(k), vm.RingMax(k)
	edge := []string{"0", "1", "-1", "2", "-2", lo.String(), hi.String(), "5", "5"}
	var sb strings.Builder
	sb.WriteString("x,y,b\n")
	for i := range rows {
		x, y := fmt.Sprint(rng.Int64()), fmt.Sprint(-rng.Int64())
		if i < len(edge) {
			x, y = edge[i], edge[len(edge)-1-i]
		}
		if i%5 == 3 {
			y = x
		}
		b := rng.Uint64()
		if i < 3 {
			b = []uint64{0, 1 << 63, ^uint64(0)}[i]
		}
		fmt.Fprintf(&sb, "%s,%s,%d\n", x, y, b)
	}
	return sb.String()
}

// TestMaliciousConvMatchesPlain: verified conversions and comparisons equal
// the reference executor's exactly, on both rings, at the ring's ends.
func TestMaliciousConvMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, ring := range []int{128, 64} {
		for _, rows := range []int{1, 9, 300} {
			requireMaliciousMatches(t, ring, convProg, convData(ring, rows, rng), fmt.Sprintf("ring %d, %d rows", ring, rows))
		}
	}
}

// fixProg exercises the verified exact truncation: ATRUNC after sfix
// products and constants, ASHR of sint.
const fixProg = `x = input("x", sfix)
y = input("y", sfix)
n = input("n", sint)
output("p", x * y)
output("s", sum(x * y))
output("h", x * 0.5)
output("sh", n >> 3)
output("sh1", n >> 1)
`

// TestMaliciousTruncMatchesPlain: verified truncations equal the reference
// executor's exactly, on both rings, up to the ends of the documented range.
func TestMaliciousTruncMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, ring := range []int{128, 64} {
		bound := int64(1) << 40 // |x·y| within the fixed-point range
		nmax := new(big.Int).Lsh(big.NewInt(1), uint(ring-2))
		if ring == 64 {
			bound = 1 << 20
		}
		var sb strings.Builder
		sb.WriteString("x,y,n\n")
		edges := [][3]string{{"0", "0", "0"}, {"1", "-1", "1"}, {"-1", "1", "-1"}, {"0.5", "-0.25", "7"}, {"-3.75", "2", "-7"},
			{"1e-6", "-1e-6", new(big.Int).Sub(nmax, big.NewInt(1)).String()}, {"3", "3", new(big.Int).Neg(nmax).String()}}
		for _, e := range edges {
			fmt.Fprintf(&sb, "%s,%s,%s\n", e[0], e[1], e[2])
		}
		for range 200 {
			fmt.Fprintf(&sb, "%g,%g,%d\n", rng.Float64()*float64(bound)-float64(bound)/2, rng.NormFloat64()*100, rng.Int64()>>2)
		}
		requireMaliciousMatches(t, ring, fixProg, sb.String(), fmt.Sprintf("ring %d", ring))
	}
}

// TestMaliciousIDivMatchesPlain: verified division by public divisors
// (every size class, both signs, the class boundaries) equals the reference
// executor's exactly, on both rings, for dividends across the documented
// range [−2^(k−2), 2^(k−2)).
func TestMaliciousIDivMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	for _, ring := range []int{128, 64} {
		p, err := compiler.Compile("prog.mpcs", []byte("n = input(\"n\", sint)\nd = param(\"d\", int, 1)\noutput(\"q\", n // d)\n"), compiler.Options{Ring: ring})
		require.NoError(t, err)
		q := new(big.Int).Lsh(big.NewInt(1), uint(ring-2))
		pow := func(e int, add int64) string {
			return new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(e)), big.NewInt(add)).String()
		}
		var sb strings.Builder
		sb.WriteString("n\n")
		for _, v := range []string{"0", "1", "-1", "7", "-7", new(big.Int).Sub(q, big.NewInt(1)).String(), new(big.Int).Neg(q).String()} {
			sb.WriteString(v + "\n")
		}
		for range 60 {
			// uniform in [−2^(k−2), 2^(k−2)): random words, the top bits cut
			v := new(big.Int).Lsh(new(big.Int).SetUint64(rng.Uint64()), 64)
			v.Or(v, new(big.Int).SetUint64(rng.Uint64()))
			v.Rsh(v, uint(128-(ring-1)))
			sb.WriteString(v.Sub(v, q).String() + "\n")
		}
		data, err := vm.ReadCSV(strings.NewReader(sb.String()), p)
		require.NoError(t, err)
		for _, d := range []string{"1", "-1", "2", "3", "-3", "10", "1000000007", "-1000000007",
			pow(ring-4, 0), pow(ring-4, 1), pow(ring-4, -1), pow(ring-3, 3), pow(ring-2, 0), pow(ring-2, 1), "-" + pow(ring-2, 0), pow(ring-2, 5)} {
			pv, err := vm.ParseParams(p, map[string]string{"d": d})
			require.NoError(t, err)
			ctx := context.Background()
			want, err := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, data), pv).Run(ctx)
			require.NoError(t, err)
			got, _, err := Sim(ctx, p, data, pv, NewMemNetworks(), WithSecurity(Malicious))
			require.NoError(t, err, "ring %d d=%s", ring, d)
			require.Equal(t, string(want.JSON()), string(got.JSON()), "ring %d d=%s", ring, d)
		}
	}
}

// TestMaliciousSortMatchesPlain: the verified sorting network sorts keys
// with duplicates, negatives and range ends stably, carrying values, like
// the reference executor, for lengths around powers of two.
func TestMaliciousSortMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	const prog = "k = input(\"k\", sint)\nv = input(\"v\", sfix)\nks, vs = sort_by(k, v)\noutput(\"k\", ks)\noutput(\"v\", vs)\noutput(\"s\", sort(v))\n"
	for _, ring := range []int{128, 64} {
		for _, n := range []int{1, 2, 3, 5, 8, 17, 64, 100} {
			lim := int64(1) << 40
			if ring == 64 {
				lim = 1 << 30
			}
			var sb strings.Builder
			sb.WriteString("k,v\n")
			for i := range n {
				k := rng.Int64N(2*lim) - lim
				switch i % 4 {
				case 1:
					k = rng.Int64N(3) - 1 // duplicates of -1, 0, 1
				case 2:
					k = []int64{lim - 1, -lim}[i%2]
				}
				fmt.Fprintf(&sb, "%d,%d.5\n", k, i)
			}
			requireMaliciousMatches(t, ring, prog, sb.String(), fmt.Sprintf("ring %d n %d", ring, n))
		}
	}
}

// TestMergeSortStages: the pruned network sorts every 0/1 input (the 0-1
// principle) for every n up to 33, and its stages are disjoint.
func TestMergeSortStages(t *testing.T) {
	for n := 0; n <= 33; n++ {
		stages := mergeSortStages(n)
		for _, st := range stages {
			seen := map[int32]bool{}
			for _, p := range st {
				require.True(t, p[0] < p[1] && int(p[1]) < n, "n=%d comparator %v", n, p)
				require.False(t, seen[p[0]] || seen[p[1]], "n=%d: stage not disjoint", n)
				seen[p[0]], seen[p[1]] = true, true
			}
		}
		if n > 16 {
			continue // 2^n inputs
		}
		for in := 0; in < 1<<n; in++ {
			x := make([]int, n)
			for i := range x {
				x[i] = in >> i & 1
			}
			for _, st := range stages {
				for _, p := range st {
					if x[p[0]] > x[p[1]] {
						x[p[0]], x[p[1]] = x[p[1]], x[p[0]]
					}
				}
			}
			for i := 1; i < n; i++ {
				require.LessOrEqual(t, x[i-1], x[i], "n=%d input %b", n, in)
			}
		}
	}
}

func TestBucketParams(t *testing.T) {
	prev := math.Inf(1)
	for _, n := range []int{1, 2, 10, 100, 1000, 1 << 14, 1<<14 + 1, 1<<15 - 1, 1 << 20, 1 << 24} {
		B, C := bucketParams(n)
		require.LessOrEqual(t, bucketBound(n, B, C), -float64(statSecurity), "n=%d", n)
		// the parameters are those of the power of two below, and minimal
		// there: one bucket fewer, or one opened triple fewer, would not do
		p := 1 << (bits.Len(uint(n)) - 1)
		Bp, Cp := bucketParams(p)
		require.Equal(t, [2]int{Bp, Cp}, [2]int{B, C}, "n=%d", n)
		require.Greater(t, bucketBound(p, B-1, C), -float64(statSecurity), "n=%d B=%d C=%d", p, B, C)
		if C > 0 {
			require.Greater(t, bucketBound(p, B, C-1), -float64(statSecurity), "n=%d B=%d C=%d", p, B, C)
		}
		cost := float64(p*B+C) / float64(p)
		require.LessOrEqual(t, cost, prev, "n=%d: triples per product grow", n)
		prev = cost
		t.Logf("n=%d: B=%d C=%d (%.2f triples per product, 2^%.1f)", n, B, C, cost, bucketBound(n, B, C))
	}
	B, _ := bucketParams(1 << 20)
	require.Equal(t, 3, B)
	// the bound itself: one bucket of 2 out of 2 triples, nothing opened,
	// passes with probability 1
	require.Equal(t, 0.0, bucketBound(1, 2, 0))
}

func TestSecurityModelsMustAgree(t *testing.T) {
	nets := NewMemNetworks()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var id SessionID
	errs := make(chan error, 3)
	for i := range 3 {
		go func() {
			conn, err := nets[i].Session(ctx, id)
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			sec := SemiHonest
			if i == 1 {
				sec = Malicious
			}
			_, err = NewEngine(ctx, conn, 128, 24, nil, WithSecurity(sec))
			errs <- err
		}()
	}
	var msgs []string
	for range 3 {
		if err := <-errs; err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	require.Contains(t, strings.Join(msgs, "\n"), "party 1 runs malicious, this party semi-honest")
	require.Contains(t, strings.Join(msgs, "\n"), "party 0 runs semi-honest, this party malicious")
}

func TestParseSecurityAndCheat(t *testing.T) {
	s, err := ParseSecurity("malicious")
	require.NoError(t, err)
	require.Equal(t, Malicious, s)
	require.Equal(t, "malicious", s.String())
	_, err = ParseSecurity("paranoid")
	require.ErrorContains(t, err, `unknown security model "paranoid"`)

	c, err := ParseCheat("2:open")
	require.NoError(t, err)
	require.Equal(t, Cheat{Party: 2, Op: "open", N: 1}, c)
	c, err = ParseCheat("0:input:3")
	require.NoError(t, err)
	require.Equal(t, Cheat{Party: 0, Op: "input", N: 3}, c)
	c, err = ParseCheat("1:mul:4:replay")
	require.NoError(t, err)
	require.Equal(t, Cheat{Party: 1, Op: "mul", N: 4, Replay: true}, c)
	for _, bad := range []string{"", "1", "3:open", "-1:open", "01:open", "1:fly", "1:open:0", "1:open:x", "1:open:1:2", "1:open:1:replay", "1:input:2:replay", "1:open:2:replay:x"} {
		_, err := ParseCheat(bad)
		require.Error(t, err, bad)
	}
}

func TestCheatErrorIsErrCheating(t *testing.T) {
	err := error(&CheatError{Step: "open", Detector: 1, Suspects: []int{0, 2}})
	require.ErrorIs(t, err, ErrCheating)
	require.Equal(t, "aborted, no output: party 1 found the opened values inconsistent (party 0 or party 2 deviated)", err.Error())
}
