package runtime

// Concurrent parts. A long elementwise instruction is cut into parts of
// whole blocks that run the same protocol side by side, each on a child
// engine with its own sub-link of the session (transport_mux.go) and its
// own numbered PRG streams: while one part waits for a message, another
// computes, so the parties' CPUs stay busy and the transfer of one part
// overlaps the computation of the next. The rounds are those of one part
// (the parts' rounds overlap in time); bytes and messages add up. Parts see
// exactly the protocol of the whole, on fewer elements, so results are the
// same.

import (
	"context"
	"sync"

	"github.com/mpcs/mpcs/vm"
)

// parMin is the fewest elements of a part; parMax the most parts. The
// three parties must cut alike, so the parts depend on n only, never on a
// party's own machine. Parts pay off when a party has cores to spare (the
// parts' CPU work runs side by side) or waits on the network; on a machine
// whose cores the three parties already keep busy, as in the 2-core
// benchmark, they cost about a tenth more CPU (copies, more messages) for
// no gain, so they are off (parMax = 1) until a deployment setting turns
// them on for all three parties alike.
var (
	parMin = 1 << 15
	parMax = 1
)

// parts returns the element boundaries of the parts of n elements (one
// part: no concurrency), multiples of 64.
func (e *Engine) parts(n int) []int {
	c := min(parMax, n/parMin)
	if c < 2 {
		return []int{0, n}
	}
	if _, ok := e.conn.(subConn); !ok {
		return []int{0, n}
	}
	nb := (n + 63) / 64
	b := make([]int, c+1)
	for i := range b {
		b[i] = min(64*(nb*i/c), n)
	}
	return b
}

// kid returns child engine i: the same party, ring and keys on sub-link i.
func (e *Engine) kid(i int) (*Engine, error) {
	for len(e.kids) <= i {
		e.kids = append(e.kids, nil)
	}
	if e.kids[i] == nil {
		c, err := e.conn.(subConn).Sub(i)
		if err != nil {
			return nil, err
		}
		e.kids[i] = &Engine{conn: c, me: e.me, k: e.k, f: e.f, inputs: e.inputs,
			next: e.next, prev: e.prev, zeroA: e.zeroA, zeroB: e.zeroB}
	}
	return e.kids[i], nil
}

// parallel runs fn on the parts bounds (from parts) concurrently, part i
// on child engine i with calls numbered under this invocation's, and adds
// their traffic to this engine's: the rounds of the longest part (the
// parts run side by side), the sum of the rest.
func (e *Engine) parallel(ctx context.Context, bounds []int, fn func(c *Engine, i, lo, hi int) error) error {
	call := e.newCall()
	np := len(bounds) - 1
	kids := make([]*Engine, np)
	before := make([]EngineStats, np)
	for i := range kids {
		k, err := e.kid(i)
		if err != nil {
			return err
		}
		k.calls = call<<32 | uint64(i)<<24
		kids[i], before[i] = k, k.stats
	}
	errs := make([]error, np)
	var wg sync.WaitGroup
	for i := range np {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(kids[i], i, bounds[i], bounds[i+1])
		}()
	}
	wg.Wait()
	var rounds int64
	for i, k := range kids {
		d := k.stats
		rounds = max(rounds, d.Rounds-before[i].Rounds)
		e.stats.Messages += d.Messages - before[i].Messages
		e.stats.BytesSent += d.BytesSent - before[i].BytesSent
		e.stats.BytesReceived += d.BytesReceived - before[i].BytesReceived
	}
	e.stats.Rounds += rounds
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- elementwise instructions in parts ----

// groupsOf returns, for the element range [lo, hi) of the concatenation of
// groups of the given lengths, the sub-slices of every group it overlaps:
// indices, and the range within each group.
type groupRun struct{ g, lo, hi int }

func groupRuns(lens []int, lo, hi int) []groupRun {
	var rs []groupRun
	off := 0
	for g, n := range lens {
		a, b := max(lo, off), min(hi, off+n)
		if a < b {
			rs = append(rs, groupRun{g, a - off, b - off})
		}
		off += n
	}
	return rs
}

// sliceShare returns elements [lo, hi) of s (a broadcast operand of length
// 1 stays whole).
func sliceShare(s vm.Share, lo, hi int) vm.Share {
	if s.Len() == 1 && hi-lo != 1 {
		return s
	}
	r := make(vm.Share, len(s))
	for c, v := range s {
		r[c] = subVec(v, lo, hi)
	}
	return r
}

// parElementwise runs op on the parts of the groups (lens: their result
// lengths) and assembles the results: args(runs) returns the operands of
// the part's groups.
func (e *Engine) parElementwise(ctx context.Context, lens []int, bounds []int, words bool,
	op func(c *Engine, runs []groupRun) ([]vm.Share, error)) ([]vm.Share, error) {
	k := e.k
	if words {
		k = 64
	}
	const ncomp = 2
	res := make([]vm.Share, len(lens))
	for g, n := range lens {
		res[g] = make(vm.Share, ncomp)
		for c := range ncomp {
			res[g][c] = vm.NewVec(k, n)
		}
	}
	err := e.parallel(ctx, bounds, func(c *Engine, _ int, lo, hi int) error {
		runs := groupRuns(lens, lo, hi)
		out, err := op(c, runs)
		if err != nil {
			return err
		}
		// the parts write disjoint ranges
		for j, r := range runs {
			for ci := range ncomp {
				dst, src := res[r.g][ci], out[j][ci]
				copy(dst.Lo[r.lo:r.hi], src.Lo)
				if dst.Hi != nil && src.Hi != nil {
					copy(dst.Hi[r.lo:r.hi], src.Hi)
				}
			}
		}
		return nil
	})
	return res, err
}

func totalLen(lens []int) int {
	t := 0
	for _, n := range lens {
		t += n
	}
	return t
}
