package runtime

// Verified sort for the malicious mode: Batcher's odd–even merge sort, a
// sorting network whose comparators are verified comparisons (LTZ) and
// conditional swaps (multiplications). The network is fixed by n alone,
// so nothing but n is revealed and nothing needs a shuffle, whose
// pairwise permutations redundancy could not check. Keys are made distinct
// and stable as in the semi-honest sort (stableKey: key·2^b + i), with the
// same range. The network for the next power of two is used with every
// comparator that touches a position ≥ n dropped: its comparators all put
// the smaller element first, so positions ≥ n act as +∞ and never move.
// Cost: about n·log2(n)²/4 comparators in log2(n)·(log2(n)+1)/2 stages,
// each stage one verified LTZ and one verified multiplication.

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// mergeSortStages returns the comparators (i, j), i < j < n, of Batcher's
// odd–even merge sort, one slice per stage (disjoint comparators).
func mergeSortStages(n int) [][][2]int32 {
	N := 1
	for N < n {
		N *= 2
	}
	var stages [][][2]int32
	for p := 1; p < N; p *= 2 {
		for k := p; k >= 1; k /= 2 {
			var st [][2]int32
			for j := k % p; j+k < N; j += 2 * k {
				for i := 0; i < k && i+j+k < N; i++ {
					a, b := i+j, i+j+k
					if a/(2*p) == b/(2*p) && b < n {
						st = append(st, [2]int32{int32(a), int32(b)})
					}
				}
			}
			if len(st) > 0 {
				stages = append(stages, st)
			}
		}
	}
	return stages
}

// Sort implements vm.Engine (ASORT), verified.
func (v verifiedEngine) Sort(ctx context.Context, key vm.Share, vals []vm.Share) (vm.Share, []vm.Share, error) {
	e := v.e
	n := key.Len()
	for _, x := range vals {
		if x.Len() != n {
			return nil, nil, fmt.Errorf("ASORT: vectors of different lengths %d and %d", n, x.Len())
		}
	}
	if n < 2 {
		return e.sort(ctx, key, vals) // nothing to compare: copies
	}
	// the sorted vectors: key', key, the values (fresh copies)
	xs := []vm.Share{e.stableKey(key), key}
	xs = append(xs, vals...)
	for g, x := range xs {
		xs[g] = vm.Share{vm.CloneVec(e.norm(x[0])), vm.CloneVec(e.norm(x[1]))}
	}
	for _, st := range mergeSortStages(n) {
		m := len(st)
		lo, hi := make([]int32, m), make([]int32, m)
		for c, p := range st {
			lo[c], hi[c] = p[0], p[1]
		}
		// swap where key'[hi] < key'[lo]
		kl, kh := gather(xs[0], lo), gather(xs[0], hi)
		sw, err := v.LTZ(ctx, []vm.Share{e.ASub(kh, kl)})
		if err != nil {
			return nil, nil, err
		}
		// t = swap·(x[hi] − x[lo]) for every vector; x[lo] += t, x[hi] −= t
		ds, ss := make([]vm.Share, len(xs)), make([]vm.Share, len(xs))
		for g, x := range xs {
			ds[g] = e.ASub(gather(x, hi), gather(x, lo))
			ss[g] = sw[0]
		}
		ts, err := v.Mul(ctx, ds, ss)
		if err != nil {
			return nil, nil, err
		}
		for g, x := range xs {
			addAt(e.k, x, lo, ts[g], false)
			addAt(e.k, x, hi, ts[g], true)
		}
	}
	return xs[1], xs[2:], nil
}

// addAt adds (or subtracts) t's elements to the elements idx of s, in
// place, modulo 2^k.
func addAt(k int, s vm.Share, idx []int32, t vm.Share, sub bool) {
	for c := range 2 {
		for i, j := range idx {
			a, b := ringElem(s[c], int(j)), ringElem(t[c], i)
			if sub {
				a = a.sub(b)
			} else {
				a = a.add(b)
			}
			setRingElem(s[c], int(j), a)
		}
	}
}

// Shuffle implements vm.Engine (ASHUF), verified: a sort by random keys.
// The keys are uniform in [−2^(k−4−b), 2^(k−4−b)) (b = ⌈log2 n⌉: a random
// shared value shifted right by b + 3, within the sort's key range), so the
// permutation is uniform but for ties among the keys, which the sort breaks
// by position: probability below n²/2^(k−3−b) (2^−79 for n = 10^4 at k =
// 128; at k = 64 short vectors only come close to uniform).
func (v verifiedEngine) Shuffle(ctx context.Context, xs []vm.Share) ([]vm.Share, error) {
	e := v.e
	n := xs[0].Len()
	if n < 2 { // nothing to permute: copies
		out := make([]vm.Share, len(xs))
		for g, x := range xs {
			out[g] = vm.Share{vm.CloneVec(e.norm(x[0])), vm.CloneVec(e.norm(x[1]))}
		}
		return out, nil
	}
	r := shareOps{e: e}.rand(e.newCall(), 1, n)
	keys, err := v.Shr(ctx, []vm.Share{r}, []uint{uint(bits.Len(uint(n-1))) + 3})
	if err != nil {
		return nil, err
	}
	_, out, err := v.Sort(ctx, keys[0], xs)
	return out, err
}
