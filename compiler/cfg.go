package compiler

import "github.com/mpcs/mpcs/vm"

// cfg is the control-flow graph of a flat IR list: basic blocks as index
// ranges [start, end), their successors and predecessors, and immediate
// dominators.
type cfg struct {
	start, end []int
	succ, pred [][]int
	idom       []int // immediate dominator; the entry block is its own
}

func isJump(op vm.Opcode) bool { return op == vm.JMP || op == vm.JZ || op == vm.JNZ }

// blockRanges splits code into basic blocks [start, end): a block starts at
// a label and ends after a jump. Empty code is one empty block.
func blockRanges(code []*inst) (starts, ends []int) {
	start := 0
	cut := func(end int) {
		starts = append(starts, start)
		ends = append(ends, end)
		start = end
	}
	for i, in := range code {
		if in.op == opLabel && i > start {
			cut(i)
		}
		if isJump(in.op) {
			cut(i + 1)
		}
	}
	if start < len(code) || len(starts) == 0 {
		cut(len(code))
	}
	return starts, ends
}

func buildCFG(code []*inst) *cfg {
	g := &cfg{}
	g.start, g.end = blockRanges(code)
	n := len(g.start)
	labelBlock := map[int]int{}
	for b := 0; b < n; b++ {
		for i := g.start[b]; i < g.end[b] && code[i].op == opLabel; i++ {
			labelBlock[code[i].args[0]] = b
		}
	}
	g.succ = make([][]int, n)
	g.pred = make([][]int, n)
	for b := 0; b < n; b++ {
		var last *inst
		if g.end[b] > g.start[b] {
			last = code[g.end[b]-1]
		}
		switch {
		case last != nil && last.op == vm.JMP:
			g.succ[b] = []int{labelBlock[last.args[0]]}
		case last != nil && (last.op == vm.JZ || last.op == vm.JNZ):
			g.succ[b] = []int{labelBlock[last.args[1]]}
			if b+1 < n {
				g.succ[b] = append(g.succ[b], b+1)
			}
		case b+1 < n:
			g.succ[b] = []int{b + 1}
		}
		for _, s := range g.succ[b] {
			g.pred[s] = append(g.pred[s], b)
		}
	}
	g.dominators()
	return g
}

// dominators computes immediate dominators (Cooper, Harvey and Kennedy, "A
// Simple, Fast Dominance Algorithm"); unreachable blocks get -1.
func (g *cfg) dominators() {
	n := len(g.start)
	order := make([]int, 0, n) // reverse postorder
	seen := make([]bool, n)
	var dfs func(b int)
	dfs = func(b int) {
		seen[b] = true
		for _, s := range g.succ[b] {
			if !seen[s] {
				dfs(s)
			}
		}
		order = append(order, b)
	}
	dfs(0)
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	rpo := make([]int, n)
	for i := range rpo {
		rpo[i] = -1
	}
	for i, b := range order {
		rpo[b] = i
	}
	g.idom = make([]int, n)
	for i := range g.idom {
		g.idom[i] = -1
	}
	g.idom[0] = 0
	intersect := func(a, b int) int {
		for a != b {
			for rpo[a] > rpo[b] {
				a = g.idom[a]
			}
			for rpo[b] > rpo[a] {
				b = g.idom[b]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for _, b := range order[1:] {
			nd := -1
			for _, p := range g.pred[b] {
				if g.idom[p] < 0 {
					continue
				}
				if nd < 0 {
					nd = p
				} else {
					nd = intersect(p, nd)
				}
			}
			if nd != g.idom[b] {
				g.idom[b] = nd
				changed = true
			}
		}
	}
}
