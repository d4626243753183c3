package compiler

import (
	"fmt"
	"sort"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// compiler holds the state of one compilation. Checking and lowering are one
// type-directed walk ("elaboration"): every function is specialized at each
// call site for the types of its arguments and inlined, so the types of
// every expression are known where its code is emitted. Loops and branches
// whose variables change type are handled by joining the types first
// (a speculative walk with code and diagnostics discarded) and then emitting.
type compiler struct {
	opts       Options
	ring, frac int
	errs       lang.ErrorList
	sources    map[string][]byte
	modules    map[string]*module
	mainDir    string
	b          *builder

	inputs    []vm.Column
	inputIdx  map[string]int
	params    []vm.Param
	paramIdx  map[string]int
	outputs   []vm.Output
	outputPos map[string]lang.Pos
	strs      []string
	strIdx    map[string]int

	mute     int // > 0: speculative walk; diagnostics are dropped
	discard  int // > 0: code is being thrown away; outputs are not registered
	stack    []*funcDecl
	override lang.Pos // position of the builtin call being inlined
	lenIDs   int
	prelude  *module
	called   map[*funcDecl]bool
}

func (c *compiler) errorf(pos lang.Pos, hint, format string, args ...any) {
	if c.mute > 0 {
		return
	}
	c.errs.Add(pos, hint, format, args...)
}

// setPos sets the source position of the instructions emitted next.
func (c *compiler) setPos(p lang.Pos) {
	if c.override.IsValid() {
		c.b.pos = c.override
	} else {
		c.b.pos = p
	}
}

func (c *compiler) str(s string) int {
	if i, ok := c.strIdx[s]; ok {
		return i
	}
	c.strs = append(c.strs, s)
	c.strIdx[s] = len(c.strs) - 1
	return len(c.strs) - 1
}

func (c *compiler) newLen() int {
	c.lenIDs++
	return c.lenIDs
}

// env is a scope: the variables of a function body or a module's top level.
type env struct {
	vars  map[string]Value
	mod   *module
	fn    *funcDecl
	frame *frame
	loop  *loopCtx
	dead  bool // the current path has returned, broken or continued
	// maybe lists variables bound on only some paths, for better errors.
	maybe map[string]lang.Pos
}

func (e *env) clone() *env {
	n := *e
	n.vars = make(map[string]Value, len(e.vars))
	for k, v := range e.vars {
		n.vars[k] = v
	}
	n.maybe = make(map[string]lang.Pos, len(e.maybe))
	for k, v := range e.maybe {
		n.maybe[k] = v
	}
	return &n
}

// frame is a function being inlined.
type frame struct {
	fd      *funcDecl
	exit    int   // label after the body (early returns jump here)
	rv      Value // result variable for early returns
	val     Value // result of the final return
	hasVal  bool
	collect *[]Type // speculative walk: the types of the returns seen
	result  *Type   // annotated result type
}

// loopCtx is the innermost runtime loop.
type loopCtx struct {
	brk, cont int
	vars      map[string]Value // carried variables
	ends      *[]map[string]Value
}

// lookup finds the value a name denotes.
func (c *compiler) lookup(e *env, n *lang.Name) Value {
	if v, ok := e.vars[n.ID]; ok {
		return v
	}
	if p, ok := e.maybe[n.ID]; ok {
		c.errorf(n.P, fmt.Sprintf("it is assigned on some paths only (see %s); assign it before the if or loop", p),
			"%s may be undefined here", n.ID)
		return invalid
	}
	if e.fn != nil && e.fn.locals[n.ID] {
		c.errorf(n.P, "", "local variable %s is used before it is assigned", n.ID)
		return invalid
	}
	if e.fn != nil && e.mod.top != nil {
		if v, ok := e.mod.top.vars[n.ID]; ok {
			return v
		}
	}
	if k, ok := typeNames[n.ID]; ok {
		return Value{T: scalar(KType), R: -1, TV: scalar(k)}
	}
	if n.ID == "None" {
		return noneValue
	}
	if builtinNames[n.ID] {
		return Value{T: scalar(KBuiltin), R: -1, Bi: n.ID}
	}
	if e.mod.names[n.ID] {
		c.errorf(n.P, "", "%s is used before it is assigned", n.ID)
	} else {
		c.errorf(n.P, "", "undefined name %s", n.ID)
	}
	return invalid
}

// runModule elaborates a module's top level once (binding its functions,
// imports and constants).
func (c *compiler) runModule(m *module) {
	if m.state != 0 {
		return
	}
	m.state = 1
	m.top = &env{vars: map[string]Value{}, mod: m, maybe: map[string]lang.Pos{}}
	c.block(m.top, m.ast.Body)
	m.state = 2
}

func (c *compiler) block(e *env, ss []lang.Stmt) {
	for _, s := range ss {
		if e.dead {
			return
		}
		c.stmt(e, s)
	}
}

func (c *compiler) stmt(e *env, s lang.Stmt) {
	c.setPos(s.Position())
	switch s := s.(type) {
	case *lang.ExprStmt:
		c.expr(e, s.X)
	case *lang.Assign:
		v := c.expr(e, s.Value)
		for _, t := range s.Targets {
			c.assign(e, t, v)
		}
	case *lang.AugAssign:
		cur := c.expr(e, s.Target)
		val := c.expr(e, s.Value)
		c.setPos(s.P)
		c.assign(e, s.Target, c.binop(s.Op, cur, val, s.P))
	case *lang.Pass:
	case *lang.If:
		c.ifStmt(e, s)
	case *lang.For:
		c.forStmt(e, s)
	case *lang.While:
		c.whileStmt(e, s)
	case *lang.FuncDef:
		if fd := e.mod.funcs[s.Name]; fd != nil && e.fn == nil {
			e.vars[s.Name] = Value{T: scalar(KFunc), R: -1, Fn: fd}
		}
	case *lang.Return:
		c.returnStmt(e, s)
	case *lang.Break, *lang.Continue:
		if e.loop == nil {
			return // reported by resolve (or a break in an unrolled loop, refused there)
		}
		c.assignCarried(e, s.Position())
		if e.loop.ends != nil {
			*e.loop.ends = append(*e.loop.ends, e.vars)
		}
		if _, ok := s.(*lang.Break); ok {
			c.b.emit(vm.JMP, e.loop.brk)
		} else {
			c.b.emit(vm.JMP, e.loop.cont)
		}
		e.dead = true
	case *lang.Assert:
		c.assertStmt(e, s)
	case *lang.Import:
		name := firstNonEmpty(s.Alias, s.Module)
		e.vars[name] = invalid // a missing module was reported by resolve
		if m := c.modules[s.Module]; m != nil && m.state != 1 {
			c.runModule(m)
			e.vars[name] = Value{T: scalar(KModule), R: -1, Mod: m}
		}
	case *lang.FromImport:
		m := c.modules[s.Module]
		for _, n := range s.Names {
			e.vars[firstNonEmpty(n.Alias, n.Name)] = invalid
		}
		if m == nil || m.state == 1 {
			return
		}
		c.runModule(m)
		for _, n := range s.Names {
			if v, ok := m.top.vars[n.Name]; ok {
				e.vars[firstNonEmpty(n.Alias, n.Name)] = v
			}
		}
	}
}

// assign binds a target (name, tuple of targets, or v[i]) to a value.
func (c *compiler) assign(e *env, t lang.Expr, v Value) {
	if !v.ok() {
		// keep later uses quiet: bind an invalid value
		c.bindInvalid(e, t)
		return
	}
	switch t := t.(type) {
	case *lang.Name:
		if v.T.K == KNone && v.S != noneValue.S {
			c.errorf(t.P, "", "the call returns no value")
		}
		if v.T.K == KBuiltin || v.T.K == KModule {
			c.errorf(t.P, "", "cannot assign a %s to a variable", kindNames[v.T.K])
		}
		v.At = t.P
		e.vars[t.ID] = v
		delete(e.maybe, t.ID)
	case *lang.TupleExpr:
		elems := v.Tup
		if v.T.K != KTuple {
			if v.Lst != nil {
				elems = v.Lst
			} else if v.CV != nil {
				for _, x := range v.CV {
					elems = append(elems, c.constOf(v.T.K, x))
				}
			} else {
				c.errorf(t.P, "", "cannot unpack a %s into %d names", v.T, len(t.Elems))
				c.bindInvalid(e, t)
				return
			}
		}
		if len(elems) != len(t.Elems) {
			c.errorf(t.P, "", "cannot unpack %d values into %d names", len(elems), len(t.Elems))
			c.bindInvalid(e, t)
			return
		}
		for i, x := range t.Elems {
			c.assign(e, x, elems[i])
		}
	case *lang.Index:
		name := t.X.(*lang.Name)
		vec := c.lookup(e, name)
		idx := c.expr(e, t.Index)
		if !vec.ok() || !idx.ok() {
			return
		}
		c.setPos(t.P)
		e.vars[name.ID] = c.setIndex(vec, idx, v, t.P)
	}
}

func (c *compiler) bindInvalid(e *env, t lang.Expr) {
	switch t := t.(type) {
	case *lang.Name:
		e.vars[t.ID] = invalid
	case *lang.TupleExpr:
		for _, x := range t.Elems {
			c.bindInvalid(e, x)
		}
	}
}

// condition evaluates a control-flow condition, which must be public.
func (c *compiler) condition(e *env, x lang.Expr, what, hint string) (Value, bool) {
	v := c.expr(e, x)
	if !v.ok() {
		return v, false
	}
	if v.T.K.Secret() {
		c.errorf(x.Position(), hint, "the condition of %s is secret (%s)", what, v.T)
		return v, false
	}
	if v.T.Vec {
		c.errorf(x.Position(), "reduce it to one value first, e.g. with sum(...) or an index", "the condition of %s is a vector (%s)", what, v.T)
		return v, false
	}
	if !v.T.K.Numeric() {
		c.errorf(x.Position(), "", "the condition of %s must be a bool, not %s", what, v.T)
		return v, false
	}
	return c.boolOf(v, x.Position()), true
}

const hintSecretIf = "a secret cannot decide control flow; compute both sides and select with where(c, a, b)"

func (c *compiler) ifStmt(e *env, s *lang.If) {
	cond, ok := c.condition(e, s.Cond, "if", hintSecretIf)
	if !ok {
		// report the errors of both branches too, discarding their code
		c.discard++
		c.b.capture(func() {
			c.block(e.clone(), s.Body)
			c.block(e.clone(), s.Else)
		})
		c.discard--
		return
	}
	if cond.C != nil {
		taken, other := s.Body, s.Else
		if cond.C.Sign() == 0 {
			taken, other = other, taken
		}
		c.skip(e, other)
		c.block(e, taken)
		return
	}
	lelse, lend := c.b.newLabel(), c.b.newLabel()
	c.b.emit(vm.JZ, c.reg(cond), lelse)
	e1, e2 := e.clone(), e.clone()
	body := c.b.capture(func() { c.block(e1, s.Body) })
	els := c.b.capture(func() { c.block(e2, s.Else) })
	fix1, fix2 := c.merge(e, e1, e2, s.P)
	c.b.splice(body)
	c.b.splice(fix1)
	c.b.emit(vm.JMP, lend)
	c.b.label(lelse)
	c.b.splice(els)
	c.b.splice(fix2)
	c.b.label(lend)
}

// skip walks statements that never run (the other branch of an if on a
// constant, or the body of a loop that cannot be compiled), discarding their code,
// bindings and diagnostics: what they would compute depends on values that
// do not occur (names are still checked by resolve).
func (c *compiler) skip(e *env, ss []lang.Stmt) {
	if len(ss) == 0 {
		return
	}
	c.discard++
	c.mute++
	c.b.capture(func() { c.block(e.clone(), ss) })
	c.mute--
	c.discard--
}

// merge joins the environments of two paths into e and returns the code
// each path must run at its end to move its values into the joined variables.
func (c *compiler) merge(e, e1, e2 *env, pos lang.Pos) (fix1, fix2 []*inst) {
	e.dead = e1.dead && e2.dead
	switch {
	case e1.dead && e2.dead:
		return nil, nil
	case e1.dead:
		e.vars, e.maybe = e2.vars, e2.maybe
		return nil, nil
	case e2.dead:
		e.vars, e.maybe = e1.vars, e1.maybe
		return nil, nil
	}
	names := map[string]bool{}
	for n := range e1.vars {
		names[n] = true
	}
	for n := range e2.vars {
		names[n] = true
	}
	out := map[string]Value{}
	maybe := e1.maybe
	for n, p := range e2.maybe {
		maybe[n] = p
	}
	for _, n := range sortedKeys(names) {
		v1, ok1 := e1.vars[n]
		v2, ok2 := e2.vars[n]
		if !ok1 || !ok2 {
			maybe[n] = pos
			continue
		}
		if !v1.ok() || !v2.ok() {
			out[n] = invalid
			continue
		}
		if sameValue(v1, v2) {
			out[n] = v1
			continue
		}
		t, ok := joinTypes(v1.T, v2.T)
		if !ok || !runtimeType(t) {
			c.errorf(pos, "give it the same type on every path", "%s is %s on one path and %s on the other", n, v1.T, v2.T)
			out[n] = invalid
			continue
		}
		r := c.freshVar(t)
		fix1 = append(fix1, c.b.capture(func() { c.assignInto(r, v1, pos) })...)
		fix2 = append(fix2, c.b.capture(func() { c.assignInto(r, v2, pos) })...)
		out[n] = r
	}
	e.vars, e.maybe = out, maybe
	return fix1, fix2
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *compiler) assertStmt(e *env, s *lang.Assert) {
	msg := "assertion failed"
	if s.Msg != nil {
		m := c.expr(e, s.Msg)
		if m.T.K != KStr {
			if m.ok() {
				c.errorf(s.Msg.Position(), "", "the message of assert must be a string literal")
			}
		} else {
			msg = m.S
		}
	}
	cond, ok := c.condition(e, s.Cond, "assert",
		"reveal(c) if revealing it is intended, or keep the check inside the computation with where(...)")
	if !ok {
		return
	}
	c.setPos(s.P)
	if cond.C != nil && cond.C.Sign() != 0 {
		return
	}
	c.b.emit(vm.ASSERT, c.reg(cond), c.str(msg))
}

func (c *compiler) returnStmt(e *env, s *lang.Return) {
	f := e.frame
	if f == nil {
		return
	}
	v := Value{T: scalar(KNone), R: -1}
	if s.Value != nil {
		v = c.expr(e, s.Value)
	}
	c.setPos(s.P)
	if v.ok() && f.result != nil {
		v = c.convertTo(v, *f.result, s.P, "the return value")
	}
	switch {
	case f.collect != nil:
		*f.collect = append(*f.collect, v.T)
	case f.fd.early:
		if v.ok() && f.rv.ok() {
			if !runtimeType(v.T) {
				c.errorf(s.P, "", "a %s cannot be returned from inside a branch or loop", v.T)
			} else {
				c.assignInto(f.rv, v, s.P)
			}
		}
		c.b.emit(vm.JMP, f.exit)
	default:
		f.val, f.hasVal = v, true
	}
	e.dead = true
}

// convertTo converts a value to an annotated type (implicit promotions only).
func (c *compiler) convertTo(v Value, t Type, pos lang.Pos, what string) Value {
	if t.K == KTuple {
		if v.T.K != KTuple || len(v.Tup) != len(t.Elems) {
			c.errorf(pos, "", "%s is %s, not %s", what, v.T, t)
			return invalid
		}
		out := Value{T: t, R: -1}
		for i := range t.Elems {
			out.Tup = append(out.Tup, c.convertTo(v.Tup[i], t.Elems[i], pos, what))
		}
		return out
	}
	if v.T.Vec != t.Vec || !v.T.K.Value() {
		c.errorf(pos, "", "%s is %s, not %s", what, v.T, t)
		return invalid
	}
	if k, ok := join(v.T.K, t.K); !ok || k != t.K {
		c.errorf(pos, conversionHint(v.T.K, t.K), "%s is %s, not %s", what, v.T, t)
		return invalid
	}
	return c.convert(v, t.K, pos)
}

func conversionHint(from, to Kind) string {
	switch {
	case from.Secret() && !to.Secret():
		return "a secret becomes public only by reveal(x)"
	case from.isFix() && !to.isFix():
		return fmt.Sprintf("convert explicitly with %s(x) (rounds toward -inf)", kindNames[to])
	}
	return ""
}
