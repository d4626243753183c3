package runtime

import (
	"context"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// ---- three in-process parties ----

// testEngines returns the three parties' engines of a fresh session on an
// in-memory network.
func testEngines(t testing.TB, k, f int, inputs [3]InputSource) [3]*Engine {
	t.Helper()
	nets := NewMemNetworks()
	t.Cleanup(func() {
		for _, n := range nets {
			n.Close()
		}
	})
	var id SessionID
	_, _ = rand.Read(id[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var es [3]*Engine
	var errs [3]error
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := nets[i].Session(ctx, id)
			if err != nil {
				errs[i] = err
				return
			}
			es[i], errs[i] = NewEngine(ctx, conn, k, f, inputs[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return es
}

// on3 runs fn at the three parties concurrently.
func on3[T any](t testing.TB, es [3]*Engine, fn func(ctx context.Context, e *Engine) (T, error)) [3]T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out [3]T
	var errs [3]error
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = fn(ctx, es[i])
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "party %d", i)
	}
	return out
}

// ---- test values ----

func bigPow2(e int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(e)) }

// edgeValues are the interesting ring elements of ring k; full includes
// those outside [-2^(k-2), 2^(k-2)).
func edgeValues(k int, full bool) []*big.Int {
	q := bigPow2(k - 2)
	vs := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(2), big.NewInt(-2),
		big.NewInt(3), big.NewInt(-3), big.NewInt(255), big.NewInt(-256), big.NewInt(1 << 20),
		new(big.Int).Sub(q, big.NewInt(1)), new(big.Int).Neg(q),
		new(big.Int).Sub(q, big.NewInt(2)), new(big.Int).Add(new(big.Int).Neg(q), big.NewInt(1)),
		new(big.Int).Sub(bigPow2(k-3), big.NewInt(1)), new(big.Int).Neg(bigPow2(k - 3)),
		bigPow2(40), new(big.Int).Neg(bigPow2(40)), new(big.Int).Neg(bigPow2(62)),
	}
	if k > 64 {
		vs = append(vs, bigPow2(63), new(big.Int).Neg(bigPow2(63)), bigPow2(100), new(big.Int).Neg(bigPow2(100)))
	}
	if full {
		vs = append(vs, vm.RingMax(k), vm.RingMin(k), new(big.Int).Add(vm.RingMin(k), big.NewInt(1)),
			new(big.Int).Sub(vm.RingMax(k), big.NewInt(1)), q, new(big.Int).Sub(new(big.Int).Neg(q), big.NewInt(1)))
	}
	return vs
}

// testVec returns n ring elements: the edge values first, then random
// values of random magnitude (within [-2^(k-2), 2^(k-2)) unless full).
func testVec(k, n int, full bool, rng *mrand.Rand) vm.Vec {
	v := vm.NewVec(k, n)
	edges := edgeValues(k, full)
	lim := k - 2
	if full {
		lim = k
	}
	for i := 0; i < n; i++ {
		if i < len(edges) {
			vm.SetElemBig(k, v, i, edges[i])
			continue
		}
		bitsN := 1 + rng.IntN(lim)
		x := new(big.Int).SetUint64(rng.Uint64())
		x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(rng.Uint64()))
		x.Rsh(x, uint(128-bitsN))
		if rng.IntN(2) == 0 {
			x.Neg(x)
		}
		vm.SetElemBig(k, v, i, x)
	}
	return v
}

func testWords(n int, rng *mrand.Rand) vm.Vec {
	v := vm.NewWords(n)
	edges := []uint64{0, 1, ^uint64(0), 1 << 63, 1<<63 - 1, 0xFF, 0x8000000000000001}
	for i := range v.Lo {
		if i < len(edges) {
			v.Lo[i] = edges[i]
		} else {
			v.Lo[i] = rng.Uint64() >> rng.IntN(64)
		}
	}
	return v
}

func testRNG(seed uint64) *mrand.Rand { return mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// chachaReader is deterministic randomness for dealing shares.
func chachaReader(seed uint64) *mrand.ChaCha8 {
	var s [32]byte
	for i := range s {
		s[i] = byte(seed >> (8 * (i % 8)))
	}
	return mrand.NewChaCha8(s)
}

// dealA splits clear vectors into the parties' share lists.
func dealA(t testing.TB, k int, xs []vm.Vec, seed uint64) [3][]vm.Share {
	t.Helper()
	var out [3][]vm.Share
	r := chachaReader(seed)
	for _, x := range xs {
		s, err := SplitArith(k, x, r)
		require.NoError(t, err)
		for p := range 3 {
			out[p] = append(out[p], s[p])
		}
	}
	return out
}

func dealB(t testing.TB, xs []vm.Vec, seed uint64) [3][]vm.Share {
	t.Helper()
	var out [3][]vm.Share
	r := chachaReader(seed)
	for _, x := range xs {
		s, err := SplitBool(x, r)
		require.NoError(t, err)
		for p := range 3 {
			out[p] = append(out[p], s[p])
		}
	}
	return out
}

func plainShares(xs []vm.Vec) []vm.Share {
	out := make([]vm.Share, len(xs))
	for i, x := range xs {
		out[i] = vm.Share{x}
	}
	return out
}

// requireSameVec compares ring vectors (ring k) element by element.
func requireSameVec(t testing.TB, k int, want, got vm.Vec, what string, inputs ...vm.Vec) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len(), "%s: length", what)
	for i := 0; i < want.Len(); i++ {
		w, g := vm.ElemBig(k, normTo(k, want), i), vm.ElemBig(k, normTo(k, got), i)
		if w.Cmp(g) != 0 {
			var in []string
			for _, x := range inputs {
				j := i
				if x.Len() == 1 {
					j = 0
				}
				if j < x.Len() {
					in = append(in, vm.ElemBig(k, normTo(k, x), j).String())
				}
			}
			t.Fatalf("%s: element %d (inputs %v): want %s, got %s", what, i, in, w, g)
		}
	}
}

func requireSameWords(t testing.TB, want, got vm.Vec, what string) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len(), "%s: length", what)
	for i := range want.Lo {
		if want.Lo[i] != got.Lo[i] {
			t.Fatalf("%s: element %d: want %#x, got %#x", what, i, want.Lo[i], got.Lo[i])
		}
	}
}

// reconA reconstructs group g of the three parties' results.
func reconA(t testing.TB, k int, rs [3][]vm.Share, g int) vm.Vec {
	t.Helper()
	v, err := Reconstruct(k, [3]vm.Share{rs[0][g], rs[1][g], rs[2][g]})
	require.NoError(t, err)
	return v
}

func reconB(t testing.TB, rs [3][]vm.Share, g int) vm.Vec {
	t.Helper()
	v, err := ReconstructBool([3]vm.Share{rs[0][g], rs[1][g], rs[2][g]})
	require.NoError(t, err)
	return v
}

// delta is the traffic of one step at every party.
type delta struct {
	rounds int64
	bytes  int64 // sent by all three parties together
}

func measure(es [3]*Engine, step func()) delta {
	var before [3]EngineStats
	for i, e := range es {
		before[i] = e.Stats()
	}
	step()
	var d delta
	d.rounds = es[0].Stats().Rounds - before[0].Rounds
	for i, e := range es {
		d.bytes += e.Stats().BytesSent - before[i].BytesSent
	}
	return d
}

// ---- tests ----

func TestSplitReconstruct(t *testing.T) {
	for _, k := range []int{64, 128} {
		rng := testRNG(1)
		x := testVec(k, 40, true, rng)
		s, err := SplitArith(k, x, nil)
		require.NoError(t, err)
		got, err := Reconstruct(k, s)
		require.NoError(t, err)
		requireSameVec(t, k, x, got, "arith")
		// a tampered replica is caught
		s[1][0].Lo[3]++
		_, err = Reconstruct(k, s)
		require.Error(t, err)
	}
	w := testWords(30, testRNG(2))
	s, err := SplitBool(w, nil)
	require.NoError(t, err)
	got, err := ReconstructBool(s)
	require.NoError(t, err)
	requireSameWords(t, w, got, "bool")
}

func TestPRGStreams(t *testing.T) {
	key, err := newPRGKey()
	require.NoError(t, err)
	a, err := newPairPRG(key)
	require.NoError(t, err)
	b, err := newPairPRG(key)
	require.NoError(t, err)
	// the two holders of a key see the same streams, in pieces or at once
	x := a.g[prgRand].wordSlice(1000)
	y := append(b.g[prgRand].wordSlice(3), b.g[prgRand].wordSlice(997)...)
	require.Equal(t, x, y)
	// purposes are separate streams
	z := a.g[prgZero].wordSlice(1000)
	require.NotEqual(t, x[:4], z[:4])
	// odd byte counts continue the stream
	p := make([]byte, 13)
	a.g[prgBits].fill(p)
	q := make([]byte, 20)
	b.g[prgBits].fill(q[:5])
	b.g[prgBits].fill(q[5:13])
	require.Equal(t, p, q[:13])
}

func TestSetup(t *testing.T) {
	es := testEngines(t, 64, 16, [3]InputSource{})
	for i, e := range es {
		require.Equal(t, i, e.Party())
		require.EqualValues(t, 1, e.SetupStats().Rounds)
		require.EqualValues(t, prgKeyLen+1, e.SetupStats().BytesSent)
		// the key shared with the next party is the next party's prev key
		a := e.next.g[prgRand].wordSlice(4)
		b := es[Next(i)].prev.g[prgRand].wordSlice(4)
		require.Equal(t, a, b)
	}
	_, err := NewEngine(context.Background(), nil, 32, 0, nil)
	require.Error(t, err)
}

// TestLocalOps checks every local operation against the plaintext engine.
func TestLocalOps(t *testing.T) {
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		pe := vm.NewPlainEngine(k, 16, nil)
		rng := testRNG(uint64(k))
		x := testVec(k, 37, true, rng)
		y := testVec(k, 37, true, rng)
		one := testVec(k, 1, true, testRNG(9))
		vm.SetElemBig(k, one, 0, big.NewInt(-7))
		p := testVec(k, 37, true, rng)
		xs, ys, os := dealA(t, k, []vm.Vec{x}, 1), dealA(t, k, []vm.Vec{y}, 2), dealA(t, k, []vm.Vec{one}, 3)
		type opA struct {
			name  string
			three func(e *Engine, x, y vm.Share) vm.Share
			plain func(x, y vm.Share) vm.Share
		}
		ops := []opA{
			{"AAdd", (*Engine).AAdd, pe.AAdd},
			{"ASub", (*Engine).ASub, pe.ASub},
			{"ANeg", func(e *Engine, x, _ vm.Share) vm.Share { return e.ANeg(x) }, func(x, _ vm.Share) vm.Share { return pe.ANeg(x) }},
			{"AAddP", func(e *Engine, x, _ vm.Share) vm.Share { return e.AAddP(x, p) }, func(x, _ vm.Share) vm.Share { return pe.AAddP(x, p) }},
			{"ASubP", func(e *Engine, x, _ vm.Share) vm.Share { return e.ASubP(x, p) }, func(x, _ vm.Share) vm.Share { return pe.ASubP(x, p) }},
			{"APSub", func(e *Engine, x, _ vm.Share) vm.Share { return e.APSub(p, x) }, func(x, _ vm.Share) vm.Share { return pe.APSub(p, x) }},
			{"AMulP", func(e *Engine, x, _ vm.Share) vm.Share { return e.AMulP(x, p) }, func(x, _ vm.Share) vm.Share { return pe.AMulP(x, p) }},
			{"ASum", func(e *Engine, x, _ vm.Share) vm.Share { return e.ASum(x) }, func(x, _ vm.Share) vm.Share { return pe.ASum(x) }},
			{"PToA", func(e *Engine, _, _ vm.Share) vm.Share { return e.PToA(p) }, func(_, _ vm.Share) vm.Share { return pe.PToA(p) }},
		}
		for _, op := range ops {
			// full vectors, and broadcasting of a length-1 operand both ways
			cases := []struct {
				a, b [3][]vm.Share
				ca   vm.Vec
				cb   vm.Vec
			}{{xs, ys, x, y}, {xs, os, x, one}, {os, ys, one, y}}
			for ci, c := range cases {
				var got [3]vm.Share
				for i, e := range es {
					got[i] = op.three(e, c.a[i][0], c.b[i][0])
				}
				v, err := Reconstruct(k, got)
				require.NoError(t, err)
				want := op.plain(vm.Share{c.ca}, vm.Share{c.cb})[0]
				requireSameVec(t, k, want, v, op.name+"/"+string(rune('a'+ci)))
			}
		}
		// boolean local operations
		w1, w2 := testWords(37, rng), testWords(37, rng)
		w1s, w2s := dealB(t, []vm.Vec{w1}, 4), dealB(t, []vm.Vec{w2}, 5)
		pw := vm.Vec{Lo: testWords(37, rng).Lo}
		type opB struct {
			name  string
			three func(e *Engine, x, y vm.Share) vm.Share
			plain func(x, y vm.Share) vm.Share
		}
		bops := []opB{
			{"BXor", (*Engine).BXor, pe.BXor},
			{"BXorP", func(e *Engine, x, _ vm.Share) vm.Share { return e.BXorP(x, pw) }, func(x, _ vm.Share) vm.Share { return pe.BXorP(x, pw) }},
			{"BAndP", func(e *Engine, x, _ vm.Share) vm.Share { return e.BAndP(x, pw) }, func(x, _ vm.Share) vm.Share { return pe.BAndP(x, pw) }},
			{"BNot", func(e *Engine, x, _ vm.Share) vm.Share { return e.BNot(x) }, func(x, _ vm.Share) vm.Share { return pe.BNot(x) }},
			{"BShl", func(e *Engine, x, _ vm.Share) vm.Share { return e.BShl(x, 13) }, func(x, _ vm.Share) vm.Share { return pe.BShl(x, 13) }},
			{"BShr", func(e *Engine, x, _ vm.Share) vm.Share { return e.BShr(x, 63) }, func(x, _ vm.Share) vm.Share { return pe.BShr(x, 63) }},
			{"BRotl", func(e *Engine, x, _ vm.Share) vm.Share { return e.BRotl(x, 7) }, func(x, _ vm.Share) vm.Share { return pe.BRotl(x, 7) }},
			{"PToB", func(e *Engine, _, _ vm.Share) vm.Share { return e.PToB(p) }, func(_, _ vm.Share) vm.Share { return pe.PToB(p) }},
		}
		for _, op := range bops {
			var got [3]vm.Share
			for i, e := range es {
				got[i] = op.three(e, w1s[i][0], w2s[i][0])
			}
			v, err := ReconstructBool(got)
			require.NoError(t, err)
			requireSameWords(t, op.plain(vm.Share{w1}, vm.Share{w2})[0], v, op.name)
		}
		// no local operation talks
		for _, e := range es {
			require.Zero(t, e.Stats().Rounds)
		}
	}
}

// TestSortShuffleEmpty: sorting and shuffling nothing needs no peer
// (proto_sort_test.go and proto_shuffle_test.go test the protocols).
func TestSortShuffleEmpty(t *testing.T) {
	es := testEngines(t, 64, 16, [3]InputSource{})
	ctx := context.Background()
	k, v, err := es[0].Sort(ctx, nil, nil)
	require.NoError(t, err)
	require.Zero(t, k.Len())
	require.Empty(t, v)
	r, err := es[0].Shuffle(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, r)
	require.Zero(t, es[0].Stats().Rounds)
}

// TestRoundChunks: messages longer than roundChunk travel in pieces.
func TestRoundChunks(t *testing.T) {
	old := roundChunk
	roundChunk = 40
	defer func() { roundChunk = old }()
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		pe := vm.NewPlainEngine(k, 16, nil)
		xs, ys := testGroups(k, false, 3)
		xsh, ysh := dealA(t, k, xs, 1), dealA(t, k, ys, 2)
		got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			z, err := e.Mul(ctx, xsh[e.me], ysh[e.me])
			if err != nil {
				return nil, err
			}
			return e.LTZ(ctx, z)
		})
		prod, _ := pe.Mul(context.Background(), plainShares(xs), plainShares(ys))
		want, _ := pe.LTZ(context.Background(), prod)
		for g := range xs {
			requireSameVec(t, k, want[g][0], reconA(t, k, got, g), "chunked")
		}
		require.Greater(t, es[0].Stats().Messages, es[0].Stats().Rounds)
	}
}

// TestLengthMismatch: parties that disagree on a length get a clear error
// rather than garbage.
func TestLengthMismatch(t *testing.T) {
	k := 64
	es := testEngines(t, k, 16, [3]InputSource{})
	xs := dealA(t, k, []vm.Vec{testVec(k, 10, true, testRNG(1))}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var errs [3]error
	for i, e := range es {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := xs[i][0]
			if i == 1 { // party 1 has one element less
				x = vm.Share{vm.Vec{Lo: x[0].Lo[:9]}, vm.Vec{Lo: x[1].Lo[:9]}}
			}
			_, errs[i] = e.Mul(ctx, []vm.Share{x}, []vm.Share{x})
		}()
	}
	wg.Wait()
	require.ErrorContains(t, errs[0], "party 1 sent 72 bytes where 80 were expected")
}

// TestCancel: a cancelled context ends a party blocked on a peer.
func TestCancel(t *testing.T) {
	es := testEngines(t, 64, 16, [3]InputSource{})
	xs := dealA(t, 64, []vm.Vec{testVec(64, 10, true, testRNG(1))}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := es[0].LTZ(ctx, xs[0]) // the others never join
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("LTZ did not return after cancellation")
	}
}

// TestInputs: shares come from the InputSource, checked against the ring.
func TestInputs(t *testing.T) {
	k := 128
	d := &vm.Dataset{Ring: k, FracBits: 24, Rows: 3,
		Columns: []vm.Column{{Name: "x", Type: vm.TSint}, {Name: "b", Type: vm.TSbits}},
		Values:  []vm.Vec{vm.VecOf(k, 5, -6, 7), {Lo: []uint64{1, 2, 3}}}}
	sh, err := SplitDataset(d, nil)
	require.NoError(t, err)
	es := testEngines(t, k, 24, [3]InputSource{sh[0], sh[1], sh[2]})
	got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
		x, err := e.Input(ctx, 0, vm.Column{Name: "x", Type: vm.TSint})
		if err != nil {
			return nil, err
		}
		b, err := e.Input(ctx, 1, vm.Column{Name: "b", Type: vm.TSbits})
		return []vm.Share{x, b}, err
	})
	requireSameVec(t, k, d.Values[0], reconA(t, k, got, 0), "sint input")
	requireSameWords(t, d.Values[1], reconB(t, got, 1), "sbits input")
	// the engine's copy is fresh storage
	got[0][0][0].Lo[0]++
	require.NotEqual(t, got[0][0][0].Lo[0], sh[0].Shares[0][0].Lo[0])

	_, err = es[0].Input(context.Background(), 0, vm.Column{Name: "y", Type: vm.TSint})
	require.ErrorContains(t, err, `no shares of a sint column "y"`)
	_, err = es[0].Input(context.Background(), 0, vm.Column{Name: "x", Type: vm.TSfix})
	require.Error(t, err)
	// shares for another ring
	e64 := testEngines(t, 64, 24, [3]InputSource{sh[0], sh[1], sh[2]})
	_, err = e64[0].Input(context.Background(), 0, vm.Column{Name: "x", Type: vm.TSint})
	require.ErrorContains(t, err, "128-bit ring")
	// no inputs at all
	none := testEngines(t, 64, 16, [3]InputSource{})
	_, err = none[0].Input(context.Background(), 0, vm.Column{Name: "x", Type: vm.TSint})
	require.ErrorIs(t, err, ErrNoInputs)
}
