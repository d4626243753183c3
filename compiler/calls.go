package compiler

import (
	"math/big"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// arg is one evaluated call argument.
type arg struct {
	v    Value
	pos  lang.Pos
	name string // keyword, or ""
}

func (c *compiler) call(e *env, x *lang.Call) Value {
	fn := c.expr(e, x.Fn)
	if !fn.ok() {
		for _, a := range x.Args {
			c.expr(e, a)
		}
		return invalid
	}
	// sum(a * b) on secret vectors is one dot product: one round, one
	// element sent per party whatever the length.
	if fn.Bi == "sum" && len(x.Args) == 1 && len(x.Kwargs) == 0 {
		if m, ok := x.Args[0].(*lang.BinOp); ok && m.Op == "*" {
			a, b := c.expr(e, m.X), c.expr(e, m.Y)
			c.setPos(x.P)
			if v, ok := c.dot(a, b, m.OpPos); ok {
				return v
			}
			return c.builtin("sum", []arg{{v: c.binop("*", a, b, m.OpPos), pos: m.P}}, x.P)
		}
	}
	var args []arg
	for _, a := range x.Args {
		args = append(args, arg{v: c.expr(e, a), pos: a.Position()})
	}
	for _, k := range x.Kwargs {
		args = append(args, arg{v: c.expr(e, k.Value), pos: k.P, name: k.Name})
	}
	for _, a := range args {
		if !a.v.ok() {
			return invalid
		}
	}
	c.setPos(x.P)
	switch fn.T.K {
	case KFunc:
		return c.callUser(fn.Fn, args, x.P)
	case KBuiltin:
		return c.builtin(fn.Bi, args, x.P)
	case KType:
		return c.conversion(fn.TV, args, x.P)
	}
	c.errorf(x.P, "", "a %s is not callable", fn.T)
	return invalid
}

// callPrelude calls a builtin implemented in .mpcs.
func (c *compiler) callPrelude(name string, vals []Value, pos lang.Pos) Value {
	fd := c.prelude.funcs[name]
	var args []arg
	for _, v := range vals {
		args = append(args, arg{v: v, pos: pos})
	}
	return c.callUser(fd, args, pos)
}

// annotation turns a type annotation into a type.
func annotation(t *lang.TypeExpr) Type {
	if t.Name == "" {
		out := Type{K: KTuple}
		for _, e := range t.Elems {
			out.Elems = append(out.Elems, annotation(e))
		}
		return out
	}
	return Type{K: typeNames[t.Name], Vec: t.Vector}
}

func validAnnotation(t *lang.TypeExpr) bool {
	if t.Name == "" {
		for _, e := range t.Elems {
			if !validAnnotation(e) {
				return false
			}
		}
		return true
	}
	_, ok := typeNames[t.Name]
	return ok
}

// callUser inlines a user function, specialized for its arguments' types.
func (c *compiler) callUser(fd *funcDecl, args []arg, pos lang.Pos) Value {
	def := fd.def
	if fd.recursive {
		return invalid
	}
	for _, f := range c.stack {
		if f == fd {
			c.errorf(pos, "rewrite it with a loop", "recursive call to %s; recursion is not supported", def.Name)
			return invalid
		}
	}
	c.called[fd] = true
	bound := map[string]Value{}
	npos := 0
	for _, a := range args {
		if a.name == "" {
			npos++
		}
	}
	if npos > len(def.Params) {
		c.errorf(pos, "", "%s() takes %d arguments but %d were given", def.Name, len(def.Params), npos)
		return invalid
	}
	i := 0
	for _, a := range args {
		var p *lang.Param
		if a.name == "" {
			p = def.Params[i]
			i++
		} else {
			for _, q := range def.Params {
				if q.Name == a.name {
					p = q
				}
			}
			if p == nil {
				c.errorf(a.pos, "", "%s() has no parameter named %s", def.Name, a.name)
				return invalid
			}
		}
		if _, dup := bound[p.Name]; dup {
			c.errorf(a.pos, "", "%s() got two values for %s", def.Name, p.Name)
			return invalid
		}
		v := a.v
		if p.Type != nil && validAnnotation(p.Type) {
			v = c.convertTo(v, annotation(p.Type), a.pos, "argument "+p.Name+" of "+def.Name+"()")
		}
		bound[p.Name] = v
	}
	c.runModule(fd.mod)
	for _, p := range def.Params {
		if _, ok := bound[p.Name]; ok {
			continue
		}
		if p.Default == nil {
			c.errorf(pos, "", "%s() is missing argument %s", def.Name, p.Name)
			return invalid
		}
		v := c.expr(&env{vars: fd.mod.top.vars, mod: fd.mod, maybe: map[string]lang.Pos{}}, p.Default)
		if v.ok() && v.R >= 0 {
			c.errorf(p.Default.Position(), "", "the default of %s must be a constant", p.Name)
		}
		if p.Type != nil && validAnnotation(p.Type) && v.ok() {
			v = c.convertTo(v, annotation(p.Type), p.Default.Position(), "the default of "+p.Name)
		}
		bound[p.Name] = v
	}
	c.stack = append(c.stack, fd)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	if fd.mod == c.prelude && !c.override.IsValid() {
		c.override = pos
		defer func() { c.override = lang.Pos{} }()
	}
	fr := &frame{fd: fd}
	if def.Result != nil && validAnnotation(def.Result) {
		t := annotation(def.Result)
		fr.result = &t
	}
	fe := &env{vars: bound, mod: fd.mod, fn: fd, frame: fr, maybe: map[string]lang.Pos{}}
	if !fd.early {
		c.block(fe, def.Body)
		if fr.hasVal {
			return fr.val
		}
		if fr.result != nil {
			c.errorf(def.P, "", "function %s must return a %s", def.Name, *fr.result)
		}
		return Value{T: scalar(KNone), R: -1}
	}
	var rt Type
	if fr.result != nil {
		rt = *fr.result
	} else {
		var types []Type
		c.mute++
		c.discard++
		c.b.capture(func() {
			fs := fe.clone()
			fs.frame = &frame{fd: fd, collect: &types}
			c.block(fs, def.Body)
		})
		c.mute--
		c.discard--
		rt = Type{K: KNone}
		for i, t := range types {
			if t.K == KInvalid {
				continue
			}
			if i == 0 || rt.K == KNone {
				rt = t
				continue
			}
			j, ok := joinTypes(rt, t)
			if !ok {
				c.errorf(def.P, "return one type from every return statement", "%s returns both %s and %s", def.Name, rt, t)
				return invalid
			}
			rt = j
		}
	}
	if rt.K == KNone {
		fr.rv = Value{T: rt, R: -1}
	} else if runtimeType(rt) {
		fr.rv = c.freshVar(rt)
	} else {
		c.errorf(def.P, "", "%s returns a %s from inside a branch or loop, which needs a runtime value", def.Name, rt)
		return invalid
	}
	fr.exit = c.b.newLabel()
	c.block(fe, def.Body)
	if !fe.dead && rt.K != KNone {
		c.errorf(def.P, "", "function %s can reach its end without returning a value", def.Name)
	}
	c.b.label(fr.exit)
	return fr.rv
}

// listComp compiles [elem for target in iter]: unrolled over a compile-time
// sequence, vectorized when the element is an elementwise expression of the
// loop variable, and a loop filling a vector otherwise.
func (c *compiler) listComp(e *env, x *lang.ListComp) Value {
	it := c.iterate(e, x.Iter)
	if !it.ok {
		return invalid
	}
	if it.static {
		var items []Value
		for _, v := range it.items {
			ce := e.clone()
			c.assign(ce, x.Target, v)
			el := c.expr(ce, x.Elem)
			if !el.ok() {
				return invalid
			}
			items = append(items, el)
		}
		c.setPos(x.P)
		return c.buildList(items, x.P)
	}
	h := c.counterLoop(it, x.P)
	// The element type, with the loop variable a scalar.
	var elemT Type
	c.mute++
	c.discard++
	c.b.capture(func() {
		h.init(e)
		ce := e.clone()
		c.assign(ce, x.Target, h.elem(ce))
		elemT = c.expr(ce, x.Elem).T
	})
	c.mute--
	c.discard--
	if elemT.Vec || elemT.K != KInvalid && !elemT.K.Value() {
		c.errorf(x.Elem.Position(), "use concat(...) to join vectors", "list comprehension elements must be scalars, not %s", elemT)
		return invalid
	}
	name, isName := x.Target.(*lang.Name)
	if isName && it.isRange && elementwise(x.Elem) {
		h.init(e)
		c.setPos(x.P)
		idx := c.op(vm.RANGE, vector(KInt), c.newLen(), c.reg(it.start), c.reg(it.stop), c.reg(it.step))
		ce := e.clone()
		ce.vars[name.ID] = idx
		v := c.expr(ce, x.Elem)
		if !v.ok() {
			return invalid
		}
		if !v.T.Vec {
			// the element does not depend on the loop variable
			v = c.fill(h.n, v, x.P)
		}
		return v
	}
	// A loop filling a vector: result = zeros(n); result[k] = elem.
	hidden := "$comp"
	var result Value
	assigned := map[string]bool{hidden: true}
	h.init(e)
	zero := c.convert(c.constOf(KInt, big.NewInt(0)), elemT.K, x.P)
	e.vars[hidden] = c.fill(h.n, zero, x.P)
	c.runtimeLoop(e, x.P, assigned, loopHooks{
		test: h.test,
		next: h.next,
		body: func(e *env) {
			ce := e.clone()
			c.assign(ce, x.Target, h.elem(ce))
			el := c.expr(ce, x.Elem)
			if el.ok() {
				c.setPos(x.P)
				e.vars[hidden] = c.setIndex(e.vars[hidden], h.k, el, x.P)
			}
		},
	})
	result = e.vars[hidden]
	delete(e.vars, hidden)
	delete(e.maybe, hidden)
	return result
}

// elementwise reports whether an expression computes each element from the
// same element of its inputs, so a comprehension over it can be vectorized.
func elementwise(x lang.Expr) bool {
	switch x := x.(type) {
	case *lang.Name, *lang.IntLit, *lang.DecLit, *lang.BoolLit:
		return true
	case *lang.BinOp:
		return elementwise(x.X) && elementwise(x.Y)
	case *lang.UnaryOp:
		return elementwise(x.X)
	case *lang.Compare:
		if !elementwise(x.First) {
			return false
		}
		for _, r := range x.Rest {
			if !elementwise(r) {
				return false
			}
		}
		return true
	case *lang.Call:
		n, ok := x.Fn.(*lang.Name)
		if !ok || len(x.Kwargs) > 0 {
			return false
		}
		switch n.ID {
		case "where", "abs", "sint", "sfix", "int", "fix", "sbits":
		case "min", "max":
			if len(x.Args) < 2 {
				return false
			}
		default:
			return false
		}
		for _, a := range x.Args {
			if !elementwise(a) {
				return false
			}
		}
		return true
	}
	return false
}

// fill broadcasts a scalar to a vector of public length n.
func (c *compiler) fill(n, v Value, pos lang.Pos) Value {
	length := n.LenOf
	if length == 0 {
		length = c.newLen()
	}
	return c.op(vm.FILL, Type{K: v.T.K, Vec: true}, length, c.reg(n), c.reg(v))
}
