package runtime

// Oblivious sort (ASORT): shuffle, then a comparison sort whose comparison
// outcomes are opened (Hamada, Kikuchi, Ikarashi, Chida, "Practically
// efficient multi-party sorting protocols from comparison sort algorithms",
// ICISC 2012).
//
//  1. Distinct keys, stable order: key' = key·2^b + i, with i the element's
//     original (public) index and b = ⌈log2 n⌉; sorting by key' is the
//     stable sort by key. Local (i is added to x_0).
//  2. One shuffle (proto_shuffle.go) of key', key and every value vector.
//  3. A parallel quicksort on the shuffled key' with opened comparisons
//     (sortOrder): at every level each open part of the order compares its
//     elements with a pivot — a random one, or the middle one of a sorted
//     sample of the part, which makes the pivots nearly balanced — all
//     comparisons of all parts in one batch: the sign bit of
//     key'_a − key'_b (the LTZ window round and carry tree, proto_cmp.go)
//     in mixed form c ⊕ d, opened directly in one round (c from U to N and
//     R, d from N to U: each party learns c ⊕ d and nothing else) instead of
//     injected and then opened. Then every party splits the parts locally.
//     log2 k rounds per level; about 1.1·n·log2 n comparisons in all.
//  4. The public permutation found is applied locally to the shuffled key
//     and values.
//
// What is revealed. Because the key' values are distinct and their order
// after the shuffle is a uniformly random permutation unknown to every
// party, the outcome of every comparison, and with them the partitions, the
// number of levels and the final permutation, are a function of the ranks
// of the shuffled key' values alone: a uniformly random permutation of
// [0, n), independent of the data. A simulator runs the same quicksort on a random
// permutation. Nothing beyond n is revealed.
//
// Range. The comparison of key'_a and key'_b is the sign of their difference
// mod 2^k, exact while |key'_a − key'_b| < 2^(k−1): the keys must satisfy
// max(key) − min(key) < 2^(k−1−b), in particular |key| < 2^(k−2−b) suffices
// (b = ⌈log2 n⌉; for n = 10^6 and k = 64 that is |key| < 2^42, with 16
// fractional bits |x| < 2^26). Outside it the order is wrong and, the
// comparisons no longer being a total order, their pattern may depend on the
// keys: keep keys in range.

import (
	"context"
	"fmt"
	"math"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// Tuning of the quicksort (variables for the tests and benchmarks).
var (
	// sortAllPairs is the largest partition sorted by comparing all its
	// pairs in one level.
	sortAllPairs = 4
	// sortMaxSampleLog bounds the sample of a partition: at most
	// 2^sortMaxSampleLog − 1 pivots (1: a plain quicksort).
	sortMaxSampleLog = 10
)

// sort is Engine.Sort; see the top of this file.
func (e *Engine) sort(ctx context.Context, key vm.Share, vals []vm.Share) (vm.Share, []vm.Share, error) {
	n := key.Len()
	for _, v := range vals {
		if v.Len() != n {
			return nil, nil, fmt.Errorf("ASORT: vectors of different lengths %d and %d", n, v.Len())
		}
	}
	if n > math.MaxInt32 {
		return nil, nil, fmt.Errorf("ASORT: %d elements, at most %d", n, math.MaxInt32)
	}
	if n < 2 {
		// nothing to sort (n is public): fresh copies.
		cp := func(s vm.Share) vm.Share {
			if len(s) < 2 {
				return e.newA(s.Len())
			}
			return vm.Share{vm.CloneVec(e.norm(s[0])), vm.CloneVec(e.norm(s[1]))}
		}
		out := make([]vm.Share, len(vals))
		for g, v := range vals {
			out[g] = cp(v)
		}
		return cp(key), out, nil
	}
	kp := e.stableKey(key)
	xs := make([]vm.Share, 0, 2+len(vals))
	xs = append(xs, kp, key)
	xs = append(xs, vals...)
	y0, y1, err := e.shuffleBuf(ctx, xs, n)
	if err != nil {
		return nil, nil, err
	}
	order, err := e.sortOrder(ctx, [2]vm.Vec{subVec(y0, 0, n), subVec(y1, 0, n)})
	if err != nil {
		return nil, nil, err
	}
	// apply the public order to the shuffled key and values
	m := (len(xs) - 1) * n
	r0, r1 := vm.NewVec(e.k, m), vm.NewVec(e.k, m)
	gatherBlocks(r0, subVec(y0, n, n+m), order)
	gatherBlocks(r1, subVec(y1, n, n+m), order)
	block := func(r vm.Vec, g int) vm.Vec { return subVec(r, g*n, (g+1)*n) }
	out := make([]vm.Share, len(vals))
	for g := range vals {
		out[g] = vm.Share{block(r0, g+1), block(r1, g+1)}
	}
	return vm.Share{block(r0, 0), block(r1, 0)}, out, nil
}

// sortSeg is a part [lo, hi) of the order still to be sorted: its first ne
// positions hold elements whose order is unknown, the others (hi − lo − ne
// pivots) elements already sorted among themselves, none of them compared
// with the ne yet.
type sortSeg struct{ lo, hi, ne int }

// sampleSize is the number of pivots drawn from a fresh partition of m
// elements: 2^h − 1 with h about log2(m)/2, at least 1.
func sampleSize(m int) int {
	h := min(max(bits.Len(uint(m))/2, 1), max(sortMaxSampleLog, 1))
	return min(1<<h-1, m-1)
}

// sorter holds the public state of the quicksort and its buffers.
type sorter struct {
	order, tmp []int   // order[r]: the key at position r; tmp: scratch
	side       []bool  // per element of a part
	rank, cnt  []int   // per sample element
	samp       []int   // the sorted sample
	pa, pb     []int32 // comparison j: is key pa[j] < key pb[j]?
}

func (st *sorter) cmp(a, b int) {
	st.pa, st.pb = append(st.pa, int32(a)), append(st.pb, int32(b))
}

// stableKey returns key' = key·2^b + i (b = ⌈log2 n⌉, i the element's
// index): distinct keys whose order is the stable order of key. Local.
func (e *Engine) stableKey(key vm.Share) vm.Share {
	n := key.Len()
	b := uint(bits.Len(uint(n - 1)))
	kp := e.newA(n)
	for c := range 2 {
		src, dst := e.norm(key[c]), kp[c]
		if e.k == 64 {
			for i, x := range src.Lo {
				dst.Lo[i] = x << b
			}
			continue
		}
		for i, x := range src.Lo {
			dst.Lo[i], dst.Hi[i] = x<<b, src.Hi[i]<<b|x>>(64-b)
		}
	}
	if c := e.x0Comp(); c >= 0 {
		for i := range kp[c].Lo {
			kp[c].Lo[i] |= uint64(i) // the low b bits are zero
		}
	}
	return kp
}

// sortOrder returns the permutation that sorts the shared distinct keys kp
// (this party's two components) ascending: order[r] is the index of the key
// of rank r. The comparisons are opened (see the top of the file).
//
// Every level treats each open part of the order in one of three ways, all
// parts' comparisons in one batch:
//
//   - a fresh part of at most sortAllPairs elements: all pairs are compared
//     and the part is sorted;
//   - a larger fresh part of m elements: a sample of s = 2^h − 1 ≈ √m
//     elements (its first ones, random after the shuffle) is sorted by
//     comparing all its pairs (≈ m/2 comparisons), and in the same level
//     every other element is compared with the first of them, which splits
//     the part;
//   - a part with sorted pivots (what remains of a sample): every element is
//     compared with the middle pivot, which splits the part.
//
// So the sample is searched as a balanced binary tree (under a random
// root): 1.06–1.10·n·log2 n comparisons measured (n = 10^3..10^5) where a
// random-pivot quicksort takes 1.2–1.39·n·log2 n, and about 30% fewer
// levels. Every element takes part in at most one comparison per level,
// except the sample's.
func (e *Engine) sortOrder(ctx context.Context, kp [2]vm.Vec) ([]int, error) {
	n := kp[0].Len()
	maxS := max(1<<max(sortMaxSampleLog, 1), sortAllPairs) + 1
	st := &sorter{order: make([]int, n), tmp: make([]int, n), side: make([]bool, n),
		rank: make([]int, maxS), cnt: make([]int, maxS+1), samp: make([]int, maxS)}
	for i := range st.order {
		st.order[i] = i
	}
	segs := []sortSeg{{0, n, n}}
	var nextSegs []sortSeg
	for len(segs) > 0 {
		// the comparisons of this level
		st.pa, st.pb = st.pa[:0], st.pb[:0]
		for _, s := range segs {
			o := st.order[s.lo:s.hi]
			switch m, q := s.ne, s.hi-s.lo-s.ne; {
			case q > 0: // compare with the middle pivot
				piv := o[m+q/2]
				for _, x := range o[:m] {
					st.cmp(x, piv)
				}
			default: // fresh: all pairs of the sample, the rest with its first
				c := m
				if m > sortAllPairs {
					c = sampleSize(m)
				}
				for i := 0; i < c; i++ {
					for j := i + 1; j < c; j++ {
						st.cmp(o[i], o[j])
					}
				}
				for _, x := range o[c:m] {
					st.cmp(x, o[0])
				}
			}
		}
		nc := len(st.pa)
		x0, x1 := vm.NewVec(e.k, nc), vm.NewVec(e.k, nc)
		e.sortDiffs(kp[0], st.pa, st.pb, x0)
		e.sortDiffs(kp[1], st.pa, st.pb, x1)
		lt, err := e.openSigns(ctx, x0, x1)
		if err != nil {
			return nil, err
		}
		// split every part locally
		nextSegs = nextSegs[:0]
		j := 0
		for _, s := range segs {
			nextSegs, j = st.split(s, lt, j, nextSegs)
		}
		segs, nextSegs = nextSegs, segs
	}
	return st.order, nil
}

// sortDiffs sets d[j] = v[pa[j]] − v[pb[j]] for a component v.
func (e *Engine) sortDiffs(v vm.Vec, pa, pb []int32, d vm.Vec) {
	lo := v.Lo
	if e.k == 64 {
		for j, a := range pa {
			d.Lo[j] = lo[a] - lo[pb[j]]
		}
		return
	}
	hi := v.Hi
	for j, a := range pa {
		b := pb[j]
		l, c := bits.Sub64(lo[a], lo[b], 0)
		d.Lo[j], d.Hi[j] = l, hi[a]-hi[b]-c
	}
}

// split rearranges the part s given the opened comparisons lt of its level
// from position j on (in the order sortOrder made them), appends the parts
// still to sort to next, and returns them and the position after its
// comparisons.
func (st *sorter) split(s sortSeg, lt []uint64, j int, next []sortSeg) ([]sortSeg, int) {
	o := st.order[s.lo:s.hi]
	m, q := s.ne, s.hi-s.lo-s.ne
	var elems, piv []int // the elements compared with piv[mid]; the sorted pivots
	var mid int
	if q > 0 {
		elems, piv, mid = o[:m], o[m:], q/2
	} else {
		c := m
		if m > sortAllPairs {
			c = sampleSize(m)
		}
		// sort the sample by rank, a counting sort (stable, so that a
		// comparator that is not a total order, for keys out of range,
		// still gives a permutation)
		rank, cnt := st.rank[:c], st.cnt[:c+1]
		clear(rank)
		clear(cnt)
		for a := 0; a < c; a++ {
			for b := a + 1; b < c; b++ {
				if lt[j] == 1 {
					rank[b]++
				} else {
					rank[a]++
				}
				j++
			}
		}
		for _, r := range rank {
			cnt[r+1]++
		}
		for r := 1; r <= c; r++ {
			cnt[r] += cnt[r-1]
		}
		piv = st.samp[:c]
		for a, r := range rank {
			if a == 0 {
				mid = cnt[r] // the first sample element's place
			}
			piv[cnt[r]] = o[a]
			cnt[r]++
		}
		if c == m { // all pairs compared: sorted
			copy(o, piv)
			return next, j
		}
		elems = o[c:m]
	}
	side := st.side[:len(elems)] // above the pivot
	nl := 0
	for i := range side {
		side[i] = lt[j] == 0
		j++
		if !side[i] {
			nl++
		}
	}
	// layout: elements below, pivots below, the pivot, elements above,
	// pivots above
	tmp := st.tmp[s.lo:s.hi]
	lo, hi := 0, nl+mid+1
	for i, x := range elems {
		if side[i] {
			tmp[hi] = x
			hi++
		} else {
			tmp[lo] = x
			lo++
		}
	}
	copy(tmp[nl:], piv[:mid])
	tmp[nl+mid] = piv[mid]
	copy(tmp[hi:], piv[mid+1:])
	copy(o, tmp)
	if left := (sortSeg{s.lo, s.lo + nl + mid, nl}); left.ne > 0 && left.hi-left.lo > 1 {
		next = append(next, left)
	}
	if right := (sortSeg{s.lo + nl + mid + 1, s.hi, len(elems) - nl}); right.ne > 0 && right.hi-right.lo > 1 {
		next = append(next, right)
	}
	return next, j
}

// openSigns returns the opened sign bits of x0 + x1 + x2 (one per
// element, 0 or 1): the sign in mixed form (signBits) is opened within each
// segment by U sending c to N and R and N sending d to U, one round and
// three bits per element.
func (e *Engine) openSigns(ctx context.Context, x0, x1 vm.Vec) ([]uint64, error) {
	n := x0.Len()
	segs := segmentsOf(n)
	sign, err := e.signBits(ctx, e.newCall(), segs, x0, x1, false)
	if err != nil {
		return nil, err
	}
	me := e.me
	part := func(s segment) []byte { // the bits of segment s (whole words)
		w := make([]uint64, s.blocks())
		copy(w, sign[s.b0:s.b1])
		if s.blocks() > 0 {
			w[len(w)-1] &= laneMask(s.tailLanes())
		}
		return wordsToBytes(w, bytesFor(s.n()))
	}
	sU, sN, sR := segs[me], segs[Prev(me)], segs[Next(me)]
	e.beginRound()
	if err := e.send(Next(me), part(sU)); err != nil { // U → N
		return nil, err
	}
	if err := e.send(Prev(me), part(sU)); err != nil { // U → R
		return nil, err
	}
	if err := e.send(Prev(me), part(sN)); err != nil { // N → U
		return nil, err
	}
	cN, err := e.recv(ctx, Prev(me), bytesFor(sN.n())) // c of the segment where we are N
	if err != nil {
		return nil, err
	}
	cR, err := e.recv(ctx, Next(me), bytesFor(sR.n())) // c where we are R
	if err != nil {
		return nil, err
	}
	dU, err := e.recv(ctx, Next(me), bytesFor(sU.n())) // d where we are U
	if err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	fill := func(s segment, other []byte) {
		ow := bytesToWords(other)
		for i := s.lo; i < s.hi; i++ {
			out[i] = bitAtW(sign, i) ^ bitAtW(ow, i-s.lo)
		}
	}
	fill(sU, dU)
	fill(sN, cN)
	fill(sR, cR)
	return out, nil
}
