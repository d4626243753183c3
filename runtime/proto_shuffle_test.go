package runtime

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// shuffleRows returns three vectors of length n for a shuffle test: the
// index i, a random value v_i and a function of both (so that a row can be
// recognised and checked whole).
func shuffleRows(k, n int, seed uint64) []vm.Vec {
	rng := testRNG(seed)
	idx, val, mix := vm.NewVec(k, n), testVec(k, n, true, rng), vm.NewVec(k, n)
	for i := 0; i < n; i++ {
		setRingElem(idx, i, u128{uint64(i), 0})
		setRingElem(mix, i, e128(k, ringElem(val, i).mul(u128{3, 0}).add(u128{uint64(i) * 7, 0})))
	}
	return []vm.Vec{idx, val, mix}
}

// e128 reduces x mod 2^k.
func e128(k int, x u128) u128 {
	if k == 64 {
		x.hi = 0
	}
	return x
}

// checkShuffled checks that got is in.rows permuted by one permutation and
// returns it (perm[j] = the input row at output row j).
func checkShuffled(t *testing.T, k int, in []vm.Vec, got []vm.Vec) []int {
	t.Helper()
	require.Len(t, got, len(in))
	n := in[0].Len()
	perm := make([]int, n)
	seen := make([]bool, n)
	for j := 0; j < n; j++ {
		i := int(ringElem(got[0], j).lo)
		require.Less(t, i, n, "row %d: index out of range", j)
		require.False(t, seen[i], "row %d: index %d twice", j, i)
		seen[i] = true
		perm[j] = i
		for g := range in {
			require.Equal(t, ringElem(normTo(k, in[g]), i), ringElem(normTo(k, got[g]), j),
				"vector %d, output row %d (input row %d)", g, j, i)
		}
	}
	return perm
}

func TestShuffle(t *testing.T) {
	for _, k := range []int{64, 128} {
		es := testEngines(t, k, 16, [3]InputSource{})
		for _, n := range []int{0, 1, 2, 3, 10, 1000} {
			t.Run(fmt.Sprintf("k%d/n%d", k, n), func(t *testing.T) {
				rows := shuffleRows(k, n, uint64(n))
				sh := dealA(t, k, rows, uint64(n)+1)
				var perms [][]int
				for run := range 3 {
					var got [3][]vm.Share
					d := measure(es, func() {
						got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
							return e.Shuffle(ctx, sh[e.me])
						})
					})
					out := make([]vm.Vec, len(rows))
					for g := range rows {
						out[g] = reconA(t, k, got, g)
					}
					perms = append(perms, checkShuffled(t, k, rows, out))
					// fresh storage: mutating the result leaves the input alone
					for p := range 3 {
						for g := range got[p] {
							for c := range 2 {
								if got[p][g][c].Len() > 0 {
									got[p][g][c].Lo[0] ^= 1
								}
							}
						}
					}
					if n < 2 {
						require.Zero(t, d.rounds)
						require.Zero(t, d.bytes)
						continue
					}
					require.EqualValues(t, 2, d.rounds, "run %d", run)
					require.EqualValues(t, 4*n*len(rows)*k/8, d.bytes, "four elements per element and vector")
				}
				if n >= 10 {
					require.NotEqual(t, perms[0], perms[1], "two shuffles gave the same permutation")
					require.NotEqual(t, perms[1], perms[2], "two shuffles gave the same permutation")
				}
				// the inputs are untouched
				for g := range rows {
					requireSameVec(t, k, rows[g], reconA(t, k, sh, g), "input after shuffle")
				}
			})
		}
	}
}

// TestShuffleUniform checks that the six permutations of three elements come
// out about equally often.
func TestShuffleUniform(t *testing.T) {
	const runs = 600
	k := 64
	es := testEngines(t, k, 16, [3]InputSource{})
	rows := shuffleRows(k, 3, 7)
	sh := dealA(t, k, rows, 8)
	count := map[string]int{}
	for range runs {
		got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) {
			return e.Shuffle(ctx, sh[e.me][:1])
		})
		v := reconA(t, k, got, 0)
		count[fmt.Sprint(v.Lo)]++
	}
	require.Len(t, count, 6, "%v", count)
	for p, c := range count {
		// expected 100, standard deviation 9.1: ±5σ
		require.InDelta(t, runs/6, c, 45, "permutation %s: %d of %d", p, c, runs)
	}
}

// TestShufflePerm checks the permutations drawn from a PRG: a permutation,
// the same for the same stream, uniform on small sizes.
func TestShufflePerm(t *testing.T) {
	key := make([]byte, prgKeyLen)
	a, err := newPairPRG(key)
	require.NoError(t, err)
	b, err := newPairPRG(key)
	require.NoError(t, err)
	for _, n := range []int{0, 1, 2, 5, 4097, 10000} {
		p, q := randPerm(a.g[prgRand], n), randPerm(b.g[prgRand], n)
		require.Equal(t, p, q)
		s := slices.Clone(p)
		slices.Sort(s)
		for i := range s {
			require.Equal(t, i, s[i])
		}
	}
	count := map[string]int{}
	for range 6000 {
		count[fmt.Sprint(randPerm(a.g[prgRand], 3))]++
	}
	require.Len(t, count, 6)
	for p, c := range count {
		require.InDelta(t, 1000, c, 150, "permutation %s", p)
	}
}
