package compiler

import (
	"math/big"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// unrollLimit bounds the iterations of a loop over a compile-time range that
// is unrolled (so that the interactive operations of all iterations batch
// into shared rounds); longer loops become loops in the bytecode.
const (
	unrollLimit = 256
	unrollWork  = 4096 // iterations × statements
)

// loopHooks describe one runtime loop to runtimeLoop.
type loopHooks struct {
	init func(e *env)     // once, before the loop
	test func(e *env) int // at the head: a public scalar register, or -1 for none
	bind func(e *env)     // at the start of each iteration
	body func(e *env)
	next func(e *env) // after the body and at continue
}

// runtimeLoop emits a loop whose trip count is known only at run time.
// Variables bound before the loop and assigned in it are carried in
// registers; their types are first joined over the body (speculatively)
// until they no longer change.
func (c *compiler) runtimeLoop(e *env, pos lang.Pos, assigned map[string]bool, h loopHooks) {
	var carried []string
	types := map[string]Type{}
	for _, n := range sortedKeys(assigned) {
		if v, ok := e.vars[n]; ok && v.ok() {
			carried = append(carried, n)
			types[n] = v.T
		}
	}
	bad := map[string]Value{}
	for iter := 0; iter < 8; iter++ {
		changed := false
		c.mute++
		c.discard++
		c.b.capture(func() {
			e2 := e.clone()
			for _, n := range carried {
				if runtimeType(types[n]) {
					e2.vars[n] = c.freshVar(types[n])
				}
			}
			var ends []map[string]Value
			lc := &loopCtx{brk: c.b.newLabel(), cont: c.b.newLabel(), vars: map[string]Value{}, ends: &ends}
			if h.init != nil {
				h.init(e2)
			}
			h.test(e2)
			eb := e2.clone()
			eb.loop = lc
			if h.bind != nil {
				h.bind(eb)
			}
			h.body(eb)
			if !eb.dead {
				ends = append(ends, eb.vars)
			}
			for _, end := range ends {
				for _, n := range carried {
					v, ok := end[n]
					if !ok || !v.ok() {
						continue
					}
					if !runtimeType(types[n]) || !runtimeType(v.T) {
						if !sameValue(v, e.vars[n]) {
							bad[n] = v
						}
						continue
					}
					t, ok := joinTypes(types[n], v.T)
					if !ok {
						bad[n] = v
						continue
					}
					if !t.Equal(types[n]) {
						types[n], changed = t, true
					}
				}
			}
		})
		c.mute--
		c.discard--
		if !changed {
			break
		}
	}
	for _, n := range sortedKeys(bad) {
		at := bad[n].At
		if !at.IsValid() {
			at = pos
		}
		c.errorf(at, "give it one type throughout the loop (vectors stay vectors, sbits stay sbits)",
			"%s changes type in the loop: %s before, %s inside", n, e.vars[n].T, bad[n].T)
		e.vars[n] = invalid
	}

	if h.init != nil {
		h.init(e)
	}
	vars := map[string]Value{}
	for _, n := range carried {
		if _, isBad := bad[n]; isBad || !runtimeType(types[n]) {
			continue
		}
		r := c.freshVar(types[n])
		c.assignInto(r, e.vars[n], pos)
		vars[n], e.vars[n] = r, r
	}
	head, cont, exit := c.b.newLabel(), c.b.newLabel(), c.b.newLabel()
	c.b.label(head)
	c.setPos(pos)
	if p := h.test(e); p >= 0 {
		c.b.emit(vm.JZ, p, exit)
	}
	eb := e.clone()
	eb.loop = &loopCtx{brk: exit, cont: cont, vars: vars}
	if h.bind != nil {
		h.bind(eb)
	}
	h.body(eb)
	if !eb.dead {
		c.assignCarried(eb, pos)
	}
	c.b.label(cont)
	c.setPos(pos)
	if h.next != nil {
		h.next(e)
	}
	c.b.emit(vm.JMP, head)
	c.b.label(exit)
	for n := range assigned {
		if _, ok := vars[n]; !ok {
			if _, wasBound := e.vars[n]; !wasBound {
				e.maybe[n] = pos
			}
		}
	}
	for n, p := range eb.maybe {
		if _, ok := e.vars[n]; !ok {
			e.maybe[n] = p
		}
	}
}

// assignCarried moves the current values of the carried variables into
// their loop registers (at the end of the body, a break or a continue).
func (c *compiler) assignCarried(e *env, pos lang.Pos) {
	for _, n := range sortedKeys(e.loop.vars) {
		if v, ok := e.vars[n]; ok && v.ok() {
			c.assignInto(e.loop.vars[n], v, pos)
		}
	}
}

func (c *compiler) whileStmt(e *env, s *lang.While) {
	assigned := map[string]bool{}
	collectLocals(s.Body, assigned)
	c.runtimeLoop(e, s.P, assigned, loopHooks{
		test: func(e *env) int {
			cond, ok := c.condition(e, s.Cond, "while",
				"a secret cannot decide how often a loop runs; loop a public number of times and select with where(c, a, b)")
			if !ok || cond.C != nil && cond.C.Sign() != 0 {
				return -1
			}
			return c.reg(cond)
		},
		body: func(e *env) { c.block(e, s.Body) },
	})
}

// iteration is what a for loop or comprehension iterates over.
type iteration struct {
	items   []Value // compile-time sequence (unrolled), or nil
	static  bool    // items is the whole sequence
	start   Value   // runtime range(start, stop, step)
	stop    Value
	step    Value
	vec     Value // runtime vector
	isRange bool
	ok      bool
}

// iterate evaluates the iterable of a for loop or comprehension.
func (c *compiler) iterate(e *env, x lang.Expr) iteration {
	if call, ok := x.(*lang.Call); ok {
		if n, ok := call.Fn.(*lang.Name); ok && n.ID == "range" && c.lookup(e, n).Bi == "range" {
			return c.rangeIteration(e, call)
		}
	}
	v := c.expr(e, x)
	switch {
	case !v.ok():
		return iteration{}
	case v.T.K == KTuple:
		return iteration{items: v.Tup, static: true, ok: true}
	case v.Lst != nil:
		return iteration{items: v.Lst, static: true, ok: true}
	case v.CV != nil && len(v.CV) <= unrollLimit:
		it := iteration{static: true, ok: true}
		for _, x := range v.CV {
			it.items = append(it.items, c.constOf(v.T.K, x))
		}
		return it
	case v.T.Vec:
		return iteration{vec: v, ok: true}
	}
	c.errorf(x.Position(), "iterate over range(n) or a vector", "cannot iterate over a %s", v.T)
	return iteration{}
}

func (c *compiler) rangeIteration(e *env, call *lang.Call) iteration {
	if len(call.Kwargs) > 0 || len(call.Args) < 1 || len(call.Args) > 3 {
		c.errorf(call.P, "", "range takes 1 to 3 arguments: range(stop), range(start, stop[, step])")
		return iteration{}
	}
	var vals []Value
	for _, a := range call.Args {
		v := c.expr(e, a)
		if !v.ok() {
			return iteration{}
		}
		if v.T.K.Secret() {
			c.errorf(a.Position(), "loop a public number of times (e.g. len(v)) and mask with where(...)", "the bounds of range must be public, not %s", v.T)
			return iteration{}
		}
		if v.T.Vec || (v.T.K != KInt && v.T.K != KBool) {
			c.errorf(a.Position(), "", "the bounds of range must be int scalars, not %s", v.T)
			return iteration{}
		}
		vals = append(vals, v)
	}
	it := iteration{isRange: true, ok: true, start: c.intConst(0), step: c.intConst(1)}
	switch len(vals) {
	case 1:
		it.stop = vals[0]
	case 2:
		it.start, it.stop = vals[0], vals[1]
	case 3:
		it.start, it.stop, it.step = vals[0], vals[1], vals[2]
	}
	if it.step.C != nil && it.step.C.Sign() == 0 {
		c.errorf(call.P, "", "range() step must not be zero")
		return iteration{}
	}
	if it.start.C != nil && it.stop.C != nil && it.step.C != nil {
		n := rangeLen(it.start.C, it.stop.C, it.step.C)
		if n.IsInt64() && n.Int64() <= 1<<20 {
			cnt := n.Int64()
			if cnt <= unrollLimit {
				x := new(big.Int).Set(it.start.C)
				for i := int64(0); i < cnt; i++ {
					it.items = append(it.items, c.intConst(0))
					it.items[i].C = new(big.Int).Set(x)
					x.Add(x, it.step.C)
				}
				it.static = true
			}
		}
	}
	return it
}

// rangeLen is len(range(start, stop, step)).
func rangeLen(start, stop, step *big.Int) *big.Int {
	// -((start - stop) // step), clamped at 0
	d := new(big.Int).Sub(start, stop)
	q := floorDiv(d, step)
	q.Neg(q)
	if q.Sign() < 0 {
		q.SetInt64(0)
	}
	return q
}

func floorDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() != 0 && (m.Sign() < 0) != (b.Sign() < 0) {
		q.Sub(q, big.NewInt(1))
	}
	return q
}

// hasBreak reports whether a loop body breaks or continues (outside nested loops).
func hasBreak(ss []lang.Stmt) bool {
	for _, s := range ss {
		switch s := s.(type) {
		case *lang.Break, *lang.Continue:
			return true
		case *lang.If:
			if hasBreak(s.Body) || hasBreak(s.Else) {
				return true
			}
		}
	}
	return false
}

func countStmts(ss []lang.Stmt) int {
	n := 0
	for _, s := range ss {
		n++
		switch s := s.(type) {
		case *lang.If:
			n += countStmts(s.Body) + countStmts(s.Else)
		case *lang.For:
			n += 4 * countStmts(s.Body)
		case *lang.While:
			n += 4 * countStmts(s.Body)
		}
	}
	return n
}

func (c *compiler) forStmt(e *env, s *lang.For) {
	it := c.iterate(e, s.Iter)
	if !it.ok {
		c.bindInvalid(e, s.Target)
		c.skip(e, s.Body)
		return
	}
	if it.static && !hasBreak(s.Body) && len(it.items)*countStmts(s.Body) <= unrollWork {
		for _, x := range it.items {
			c.assign(e, s.Target, x)
			c.block(e, s.Body)
			if e.dead {
				break
			}
		}
		return
	}
	if it.static && !it.isRange {
		if !runtimeType(it.items[0].T) || it.items[0].T.Vec {
			c.errorf(s.P, "", "break and continue are not supported in a loop over a compile-time list")
			return
		}
		it.vec = c.buildList(it.items, s.Iter.Position())
		if !it.vec.ok() {
			return
		}
	}
	assigned := map[string]bool{}
	collectLocals(s.Body, assigned)
	collectLocals([]lang.Stmt{&lang.Assign{Targets: []lang.Expr{s.Target}}}, assigned)
	h := c.counterLoop(it, s.P)
	c.runtimeLoop(e, s.P, assigned, loopHooks{
		init: h.init, test: h.test, next: h.next,
		bind: func(e *env) { c.assign(e, s.Target, h.elem(e)) },
		body: func(e *env) { c.block(e, s.Body) },
	})
}

// counter is a runtime loop over an iteration with a hidden counter k.
type counter struct {
	init func(e *env)
	test func(e *env) int
	next func(e *env)
	elem func(e *env) Value // the current element
	k    Value
	n    Value
}

func (c *compiler) counterLoop(it iteration, pos lang.Pos) *counter {
	h := &counter{}
	h.init = func(e *env) {
		c.setPos(pos)
		if it.isRange {
			if it.step.C == nil {
				c.b.emit(vm.ASSERT, c.reg(c.compare("!=", it.step, c.intConst(0), pos)), c.str("range() step must not be zero"))
			}
			var n Value
			if it.step.C != nil && it.step.C.Sign() > 0 {
				// n = max(0, (stop - start + step - 1) // step)
				span := c.arith("-", it.stop, it.start, pos)
				n = c.arith("//", c.arith("+", span, c.constOf(KInt, new(big.Int).Sub(it.step.C, big.NewInt(1))), pos), it.step, pos)
			} else {
				// n = max(0, -((start - stop) // step)), the ceiling of (stop - start) / step
				n = c.unary("-", c.arith("//", c.arith("-", it.start, it.stop, pos), it.step, pos), pos)
			}
			if n.C != nil {
				if n.C.Sign() < 0 {
					n = c.intConst(0)
				}
			} else {
				zero := c.intConst(0)
				neg := c.compare("<", n, zero, pos)
				r := c.b.newReg(vm.ClassP)
				c.b.emit(vm.PSEL, r, c.reg(neg), c.reg(zero), c.reg(n))
				n = regValue(scalar(KInt), r)
			}
			h.n = n
		} else {
			r := c.b.newReg(vm.ClassP)
			c.b.emit(vm.LEN, r, c.reg(it.vec))
			h.n = regValue(scalar(KInt), r)
		}
		h.k = c.freshVar(scalar(KInt))
		c.assignInto(h.k, c.intConst(0), pos)
	}
	h.test = func(e *env) int {
		return c.reg(c.compare("<", h.k, h.n, pos))
	}
	h.elem = func(e *env) Value {
		c.setPos(pos)
		if it.isRange {
			return c.arith("+", it.start, c.arith("*", h.k, it.step, pos), pos)
		}
		return c.index(it.vec, h.k, pos)
	}
	h.next = func(e *env) {
		c.b.emit(vm.PADD, h.k.R, h.k.R, c.reg(c.intConst(1)))
	}
	return h
}
