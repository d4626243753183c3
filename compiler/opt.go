package compiler

import (
	"fmt"
	"strings"

	"github.com/mpcs/mpcs/vm"
)

// optimize runs the IR passes: common subexpressions, dead code, then round
// batching. (Constant folding happens during elaboration, where constants
// are symbolic values until an instruction needs them.)
func optimize(code []*inst, b *builder) []*inst {
	code = cse(code, b)
	code = dce(code)
	code = batchRounds(code)
	return code
}

// blocks returns the basic blocks of code as slices (see blockRanges).
func blocks(code []*inst) [][]*inst {
	starts, ends := blockRanges(code)
	out := make([][]*inst, len(starts))
	for i := range starts {
		out[i] = code[starts[i]:ends[i]]
	}
	return out
}

var commutative = map[vm.Opcode]bool{
	vm.PADD: true, vm.PMUL: true, vm.PAND: true, vm.POR: true, vm.PXOR: true, vm.PEQ: true, vm.PNE: true,
	vm.AADD: true, vm.AMUL: true, vm.ADOT: true, vm.BXOR: true, vm.BAND: true,
}

// cse replaces an instruction by an identical earlier one that dominates
// it: within a block for any pure instruction, and across blocks (walking
// the dominator tree) when it reads only registers written once. Registers
// written more than once (loop variables) are versioned within a block so
// that a value read before and after an assignment is not confused.
func cse(code []*inst, b *builder) []*inst {
	g := buildCFG(code)
	n := len(g.start)
	children := make([][]int, n)
	for blk := 1; blk < n; blk++ {
		if d := g.idom[blk]; d >= 0 {
			children[d] = append(children[d], blk)
		}
	}
	rename := map[int]int{}
	removed := make([]bool, len(code))
	var walk func(blk int, scoped map[string][]int)
	walk = func(blk int, scoped map[string][]int) {
		local := map[string][]int{}
		version := map[int]int{}
		added := []string{}
		for idx := g.start[blk]; idx < g.end[blk]; idx++ {
			in := code[idx]
			ops := in.operands()
			for i, a := range ops {
				if isReg(a.Kind) && a.Mode != vm.Def && in.args[i] >= 0 {
					if r, ok := rename[in.args[i]]; ok {
						in.args[i] = r
					}
				}
			}
			var defs []int
			pure := !in.effectful() && in.op != vm.ASHUF
			readsMulti := false
			in.eachReg(func(r int, def bool) {
				if def {
					defs = append(defs, r)
					pure = pure && !b.multi[r]
				} else if b.multi[r] {
					readsMulti = true
				}
			})
			if pure && len(defs) > 0 {
				key := cseKey(in, ops, b, version)
				prev, ok := local[key]
				if !ok && !readsMulti {
					prev, ok = scoped[key]
				}
				if ok {
					for i, r := range defs {
						rename[r] = prev[i]
					}
					removed[idx] = true
					continue
				}
				if readsMulti {
					local[key] = defs
				} else {
					scoped[key] = defs
					added = append(added, key)
				}
			}
			for _, r := range defs {
				if b.multi[r] {
					version[r]++
				}
			}
		}
		for _, c := range children[blk] {
			walk(c, scoped)
		}
		for _, k := range added {
			delete(scoped, k)
		}
	}
	if len(code) > 0 {
		walk(0, map[string][]int{})
	}
	// unreachable blocks still need their operands renamed
	for _, in := range code {
		for i, a := range in.operands() {
			if isReg(a.Kind) && a.Mode != vm.Def && in.args[i] >= 0 {
				if r, ok := rename[in.args[i]]; ok {
					in.args[i] = r
				}
			}
		}
	}
	out := code[:0:0]
	for idx, in := range code {
		if !removed[idx] {
			out = append(out, in)
		}
	}
	return out
}

func cseKey(in *inst, ops []vm.Arg, b *builder, version map[int]int) string {
	var parts []string
	for i, a := range ops {
		if a.Mode == vm.Def {
			continue
		}
		x := in.args[i]
		if isReg(a.Kind) && x >= 0 && b.multi[x] {
			parts = append(parts, fmt.Sprintf("r%dv%d", x, version[x]))
		} else {
			parts = append(parts, fmt.Sprint(x))
		}
	}
	if commutative[in.op] && len(parts) == 2 && parts[0] > parts[1] {
		parts[0], parts[1] = parts[1], parts[0]
	}
	return in.op.String() + " " + strings.Join(parts, ",")
}

// dce removes instructions without effects whose results are never read.
func dce(code []*inst) []*inst {
	for {
		used := map[int]bool{}
		for _, in := range code {
			in.eachReg(func(r int, def bool) {
				if !def {
					used[r] = true
				}
			})
		}
		out := code[:0:0]
		removed := false
		for _, in := range code {
			if !in.effectful() {
				live := false
				any := false
				in.eachReg(func(r int, def bool) {
					if def {
						any = true
						live = live || used[r]
					}
				})
				if any && !live {
					removed = true
					continue
				}
			}
			out = append(out, in)
		}
		code = out
		if !removed {
			return code
		}
	}
}

// mergeable reports whether independent instructions of an opcode may share
// one instruction (and so one round). Shuffles may not: instructions that
// share it would share one permutation.
func mergeable(op vm.Opcode) bool {
	info, _ := op.Info()
	return op.Interactive() && len(info.Fixed) == 0 && op != vm.ASHUF
}

// batchRounds schedules every basic block so that independent interactive
// instructions of the same kind become one instruction: one network round
// for all of them. Local instructions are scheduled as soon as their inputs
// are ready; then all ready interactive instructions of the kind of the
// earliest one are merged.
func batchRounds(code []*inst) []*inst {
	var out []*inst
	for _, blk := range blocks(code) {
		out = append(out, scheduleBlock(blk)...)
	}
	return out
}

// roundWeight is the scheduling weight of an instruction: its rounds in the
// default ring (the relative order is what matters).
func roundWeight(in *inst) int {
	args := make([]uint32, len(in.args))
	for i, a := range in.args {
		args[i] = uint32(max(a, 0))
	}
	return vm.Instr{Op: in.op, Args: args}.Rounds(128)
}

func scheduleBlock(blk []*inst) []*inst {
	n := len(blk)
	// The label at the start and the jump at the end stay in place.
	lo, hi := 0, n
	if lo < hi && blk[lo].op == opLabel {
		lo++
	}
	if hi > lo && (blk[hi-1].op == vm.JMP || blk[hi-1].op == vm.JZ || blk[hi-1].op == vm.JNZ) {
		hi--
	}
	body := blk[lo:hi]
	interactive := 0
	for _, in := range body {
		if in.op.Interactive() {
			interactive++
		}
	}
	if interactive < 2 {
		return blk
	}
	m := len(body)
	preds := make([][]int, m)
	succs := make([][]int, m)
	lastDef := map[int]int{}
	uses := map[int][]int{}
	lastEffect := -1
	for i, in := range body {
		dep := map[int]bool{}
		in.eachReg(func(r int, def bool) {
			if j, ok := lastDef[r]; ok {
				dep[j] = true // read after write, write after write
			}
			if def {
				for _, j := range uses[r] {
					dep[j] = true // write after read
				}
			}
		})
		if in.effectful() {
			if lastEffect >= 0 {
				dep[lastEffect] = true
			}
			lastEffect = i
		}
		in.eachReg(func(r int, def bool) {
			if def {
				lastDef[r] = i
				uses[r] = nil
			} else {
				uses[r] = append(uses[r], i)
			}
		})
		delete(dep, i)
		for j := range dep {
			preds[i] = append(preds[i], j)
			succs[j] = append(succs[j], i)
		}
	}
	// height: the most rounds on any dependency path from an instruction to
	// the end of the block, counting the instruction itself
	height := make([]int, m)
	for i := m - 1; i >= 0; i-- {
		h := 0
		for _, s := range succs[i] {
			h = max(h, height[s])
		}
		height[i] = h + roundWeight(body[i])
	}
	waiting := make([]int, m)
	for i := range body {
		waiting[i] = len(preds[i])
	}
	done := make([]bool, m)
	ndone := 0
	var sched []*inst
	finish := func(i int) {
		done[i] = true
		ndone++
		for _, s := range succs[i] {
			waiting[s]--
		}
	}
	for ndone < m {
		progress := true
		for progress {
			progress = false
			for i, in := range body {
				if !done[i] && waiting[i] == 0 && !in.op.Interactive() {
					sched = append(sched, in)
					finish(i)
					progress = true
				}
			}
		}
		// the ready interactive instruction with the longest path of
		// rounds after it goes first; all ready ones of its kind join it
		first := -1
		for i, in := range body {
			if !done[i] && waiting[i] == 0 && in.op.Interactive() && (first < 0 || height[i] > height[first]) {
				first = i
			}
		}
		if first < 0 {
			break
		}
		op := body[first].op
		merged := &inst{op: op, args: append([]int(nil), body[first].args...), pos: body[first].pos}
		var group []int
		group = append(group, first)
		if mergeable(op) {
			for i := 0; i < m; i++ {
				if i != first && !done[i] && waiting[i] == 0 && body[i].op == op {
					merged.args = append(merged.args, body[i].args...)
					group = append(group, i)
				}
			}
		}
		sched = append(sched, merged)
		for _, i := range group {
			finish(i)
		}
	}
	if ndone < m {
		return blk // cannot happen: dependencies only point backwards
	}
	res := append([]*inst(nil), blk[:lo]...)
	res = append(res, sched...)
	return append(res, blk[hi:]...)
}
