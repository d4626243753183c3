package compiler

import (
	"sort"

	"github.com/mpcs/mpcs/vm"
)

// allocate maps virtual registers to machine registers, per class, by linear
// scan over live intervals. Registers hold whole vectors, so reuse bounds the
// memory a party needs. Positions are doubled: instruction i reads at 2i and
// writes at 2i+1, so a result may take the register of an operand read for
// the last time by the same instruction (the VM reads all operands first),
// which makes SETIDX and elementwise updates in place.
func allocate(code []*inst, nregs int, class []vm.Class) (assign []int, counts [vm.NumClasses]uint32) {
	g := buildCFG(code)
	type block struct{ start, end int } // [start, end)
	blks := make([]block, len(g.start))
	for i := range blks {
		blks[i] = block{g.start[i], g.end[i]}
	}
	succ := g.succ
	// use/def per block, then live-in/live-out to a fixpoint
	use := make([]map[int]bool, len(blks))
	def := make([]map[int]bool, len(blks))
	for bi, b := range blks {
		use[bi], def[bi] = map[int]bool{}, map[int]bool{}
		for i := b.start; i < b.end; i++ {
			code[i].eachReg(func(r int, d bool) {
				if !d && !def[bi][r] {
					use[bi][r] = true
				}
			})
			code[i].eachReg(func(r int, d bool) {
				if d {
					def[bi][r] = true
				}
			})
		}
	}
	liveIn := make([]map[int]bool, len(blks))
	liveOut := make([]map[int]bool, len(blks))
	for bi := range blks {
		liveIn[bi], liveOut[bi] = map[int]bool{}, map[int]bool{}
	}
	for changed := true; changed; {
		changed = false
		for bi := len(blks) - 1; bi >= 0; bi-- {
			for _, s := range succ[bi] {
				for r := range liveIn[s] {
					if !liveOut[bi][r] {
						liveOut[bi][r] = true
						changed = true
					}
				}
			}
			for r := range liveOut[bi] {
				if !def[bi][r] && !liveIn[bi][r] {
					liveIn[bi][r] = true
					changed = true
				}
			}
			for r := range use[bi] {
				if !liveIn[bi][r] {
					liveIn[bi][r] = true
					changed = true
				}
			}
		}
	}
	// intervals
	lo := make([]int, nregs)
	hi := make([]int, nregs)
	for r := range lo {
		lo[r], hi[r] = -1, -1
	}
	cover := func(r, p int) {
		if lo[r] < 0 || p < lo[r] {
			lo[r] = p
		}
		if p > hi[r] {
			hi[r] = p
		}
	}
	for bi, b := range blks {
		for r := range liveIn[bi] {
			cover(r, 2*b.start)
		}
		for r := range liveOut[bi] {
			cover(r, 2*(b.end-1)+1)
		}
		for i := b.start; i < b.end; i++ {
			code[i].eachReg(func(r int, d bool) {
				if d {
					cover(r, 2*i+1)
				} else {
					cover(r, 2*i)
				}
			})
		}
	}
	// hint: the first register operand read by the instruction defining r
	hint := make([]int, nregs)
	for r := range hint {
		hint[r] = -1
	}
	for _, in := range code {
		var src, dst = -1, -1
		for i, a := range in.operands() {
			if !isReg(a.Kind) || in.args[i] < 0 {
				continue
			}
			if a.Mode == vm.Def && dst < 0 {
				dst = in.args[i]
			} else if a.Mode == vm.Use && src < 0 {
				src = in.args[i]
			}
		}
		if dst >= 0 && src >= 0 && class[dst] == class[src] {
			hint[dst] = src
		}
	}
	order := make([]int, 0, nregs)
	for r := 0; r < nregs; r++ {
		if lo[r] >= 0 {
			order = append(order, r)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if lo[order[i]] != lo[order[j]] {
			return lo[order[i]] < lo[order[j]]
		}
		return order[i] < order[j]
	})
	assign = make([]int, nregs)
	for r := range assign {
		assign[r] = -1
	}
	var free [vm.NumClasses][]int // free machine registers, per class
	var active []int
	for _, r := range order {
		// expire intervals that end before r starts
		kept := active[:0]
		for _, a := range active {
			if hi[a] < lo[r] {
				free[class[a]] = append(free[class[a]], assign[a])
			} else {
				kept = append(kept, a)
			}
		}
		active = kept
		cl := class[r]
		pick := -1
		if h := hint[r]; h >= 0 && assign[h] >= 0 {
			for i, f := range free[cl] {
				if f == assign[h] {
					pick = i
					break
				}
			}
		}
		if pick < 0 && len(free[cl]) > 0 {
			// lowest free register
			pick = 0
			for i, f := range free[cl] {
				if f < free[cl][pick] {
					pick = i
				}
			}
		}
		if pick >= 0 {
			assign[r] = free[cl][pick]
			free[cl] = append(free[cl][:pick], free[cl][pick+1:]...)
		} else {
			assign[r] = int(counts[cl])
			counts[cl]++
		}
		active = append(active, r)
	}
	return assign, counts
}
