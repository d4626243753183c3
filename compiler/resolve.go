package compiler

import (
	"sort"
	"strings"

	"github.com/mpcs/mpcs/lang"
)

// builtinNames are always in scope (LANGUAGE.md §8).
var builtinNames = map[string]bool{
	"len": true, "range": true, "reveal": true, "output": true, "input": true, "param": true,
	"where": true, "sum": true, "min": true, "max": true, "abs": true, "sort": true, "sort_by": true,
	"concat": true, "zeros": true, "ones": true,
	"sint": true, "sfix": true, "sbits": true, "int": true, "fix": true, "bool": true, "sbool": true,
	// internal, for the library: reinterpret fixed point as its raw integer
	// and back, and the compile-time fractional bits and ring size
	"_raw": true, "_fix": true, "_frac_bits": true, "_ring_bits": true,
	// None: the compile-time "no value", for optional arguments (where=None)
	"None": true,
}

// resolver checks the names of one module: every name read is bound
// somewhere it can be seen, every annotation names a type, every import
// exists, break/continue sit in loops and return in functions.
type resolver struct {
	c     *compiler
	m     *module
	fn    *funcDecl
	scope []map[string]bool // comprehension targets
	loops int
	calls map[*funcDecl][]callEdge
}

type callEdge struct {
	to  *funcDecl
	pos lang.Pos
}

func (c *compiler) resolveModule(m *module) {
	r := &resolver{c: c, m: m, calls: map[*funcDecl][]callEdge{}}
	// Pass 1: top-level bindings, functions, imports.
	for _, s := range m.ast.Body {
		switch s := s.(type) {
		case *lang.FuncDef:
			if _, dup := m.funcs[s.Name]; dup {
				c.errs.Add(s.P, "rename one of them", "function %s is defined twice", s.Name)
			}
			fd := &funcDecl{def: s, mod: m, locals: map[string]bool{}}
			for _, p := range s.Params {
				fd.locals[p.Name] = true
			}
			collectLocals(s.Body, fd.locals)
			fd.early = hasEarlyReturn(s.Body)
			m.funcs[s.Name] = fd
			m.names[s.Name] = true
		case *lang.Import:
			r.importModule(s.Module, s.P)
			m.names[firstNonEmpty(s.Alias, s.Module)] = true
		case *lang.FromImport:
			if mod := r.importModule(s.Module, s.P); mod != nil {
				for _, n := range s.Names {
					if !mod.names[n.Name] {
						c.errs.Add(n.P, "", "module %s has no name %q", s.Module, n.Name)
					}
				}
			}
			for _, n := range s.Names {
				m.names[firstNonEmpty(n.Alias, n.Name)] = true
			}
		default:
			set := map[string]bool{}
			collectLocals([]lang.Stmt{s}, set)
			for n := range set {
				m.names[n] = true
			}
		}
	}
	// Pass 2: every statement.
	r.stmts(m.ast.Body)
	r.checkRecursion()
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (r *resolver) importModule(name string, pos lang.Pos) *module {
	m := r.c.loadModule(name, pos)
	if m != nil && m.state == 1 {
		r.c.errs.Add(pos, "", "import cycle through module %s", name)
		return nil
	}
	return m
}

// collectLocals adds every name a statement list binds (not descending into
// nested function definitions).
func collectLocals(body []lang.Stmt, set map[string]bool) {
	var target func(e lang.Expr)
	target = func(e lang.Expr) {
		switch e := e.(type) {
		case *lang.Name:
			set[e.ID] = true
		case *lang.TupleExpr:
			for _, x := range e.Elems {
				target(x)
			}
		case *lang.Index:
			// v[i] = x rebinds v to a copy with one element replaced
			target(e.X)
		}
	}
	for _, s := range body {
		switch s := s.(type) {
		case *lang.Assign:
			for _, t := range s.Targets {
				target(t)
			}
		case *lang.AugAssign:
			target(s.Target)
		case *lang.For:
			target(s.Target)
			collectLocals(s.Body, set)
		case *lang.While:
			collectLocals(s.Body, set)
		case *lang.If:
			collectLocals(s.Body, set)
			collectLocals(s.Else, set)
		case *lang.Import:
			set[firstNonEmpty(s.Alias, s.Module)] = true
		case *lang.FromImport:
			for _, n := range s.Names {
				set[firstNonEmpty(n.Alias, n.Name)] = true
			}
		case *lang.FuncDef:
			set[s.Name] = true
		}
	}
}

// hasEarlyReturn reports whether a body returns anywhere but in its last statement.
func hasEarlyReturn(body []lang.Stmt) bool {
	var walk func(ss []lang.Stmt, last bool) bool
	walk = func(ss []lang.Stmt, last bool) bool {
		for i, s := range ss {
			isLast := last && i == len(ss)-1
			switch s := s.(type) {
			case *lang.Return:
				if !isLast {
					return true
				}
			case *lang.If:
				if walk(s.Body, false) || walk(s.Else, false) {
					return true
				}
			case *lang.For:
				if walk(s.Body, false) {
					return true
				}
			case *lang.While:
				if walk(s.Body, false) {
					return true
				}
			}
		}
		return false
	}
	return walk(body, true)
}

func (r *resolver) stmts(ss []lang.Stmt) {
	for _, s := range ss {
		r.stmt(s)
	}
}

func (r *resolver) stmt(s lang.Stmt) {
	c := r.c
	switch s := s.(type) {
	case *lang.ExprStmt:
		r.expr(s.X)
	case *lang.Assign:
		r.expr(s.Value)
		for _, t := range s.Targets {
			r.target(t)
		}
	case *lang.AugAssign:
		r.expr(s.Value)
		r.target(s.Target)
		r.expr(s.Target)
	case *lang.Pass:
	case *lang.Break, *lang.Continue:
		if r.loops == 0 {
			word := "break"
			if _, ok := s.(*lang.Continue); ok {
				word = "continue"
			}
			c.errs.Add(s.Position(), "", "%s outside a loop", word)
		}
	case *lang.Return:
		if r.fn == nil {
			c.errs.Add(s.P, "", "return outside a function")
		}
		if s.Value != nil {
			r.expr(s.Value)
		}
	case *lang.If:
		r.expr(s.Cond)
		r.stmts(s.Body)
		r.stmts(s.Else)
	case *lang.For:
		r.expr(s.Iter)
		r.target(s.Target)
		r.loops++
		r.stmts(s.Body)
		r.loops--
	case *lang.While:
		r.expr(s.Cond)
		r.loops++
		r.stmts(s.Body)
		r.loops--
	case *lang.FuncDef:
		if r.fn != nil {
			c.errs.Add(s.P, "define functions at the top level of a module", "nested function definitions are not supported")
			return
		}
		fd := r.m.funcs[s.Name]
		seen := map[string]bool{}
		defaults := false
		for _, p := range s.Params {
			if seen[p.Name] {
				c.errs.Add(p.P, "", "duplicate parameter %s", p.Name)
			}
			seen[p.Name] = true
			r.typeExpr(p.Type)
			if p.Default != nil {
				defaults = true
				r.expr(p.Default)
			} else if defaults {
				c.errs.Add(p.P, "move it before the parameters with defaults", "parameter %s without a default follows one with a default", p.Name)
			}
		}
		r.typeExpr(s.Result)
		saved := r.loops
		r.fn, r.loops = fd, 0
		r.stmts(s.Body)
		r.fn, r.loops = nil, saved
	case *lang.Assert:
		r.expr(s.Cond)
		if s.Msg != nil {
			r.expr(s.Msg)
		}
	case *lang.Import:
		if r.fn != nil {
			r.importModule(s.Module, s.P)
		}
	case *lang.FromImport:
		if r.fn != nil {
			if mod := r.importModule(s.Module, s.P); mod != nil {
				for _, n := range s.Names {
					if !mod.names[n.Name] {
						c.errs.Add(n.P, "", "module %s has no name %q", s.Module, n.Name)
					}
				}
			}
		}
	}
}

func (r *resolver) target(e lang.Expr) {
	switch e := e.(type) {
	case *lang.Name:
	case *lang.TupleExpr:
		for _, x := range e.Elems {
			r.target(x)
		}
	case *lang.Index:
		r.expr(e.X)
		r.expr(e.Index)
		if _, ok := e.X.(*lang.Name); !ok {
			r.c.errs.Add(e.P, "", "cannot assign to an element of this expression; assign to v[i] where v is a variable")
		}
	default:
		r.c.errs.Add(e.Position(), "", "cannot assign to this expression")
	}
}

func (r *resolver) typeExpr(t *lang.TypeExpr) {
	if t == nil {
		return
	}
	if t.Name == "" {
		for _, e := range t.Elems {
			r.typeExpr(e)
		}
		return
	}
	if _, ok := typeNames[t.Name]; !ok {
		r.c.errs.Add(t.P, "the types are int, fix, bool, sint, sfix, sbool and sbits, with [] for vectors",
			"unknown type %s", t.Name)
	}
}

// visible reports whether a name can be read here.
func (r *resolver) visible(name string) bool {
	for _, s := range r.scope {
		if s[name] {
			return true
		}
	}
	if r.fn != nil && r.fn.locals[name] {
		return true
	}
	return r.m.names[name] || builtinNames[name] || typeNames[name] != 0
}

func (r *resolver) expr(e lang.Expr) {
	switch e := e.(type) {
	case nil:
	case *lang.Name:
		if !r.visible(e.ID) {
			r.c.errs.Add(e.P, r.suggest(e.ID), "undefined name %s", e.ID)
		}
	case *lang.IntLit, *lang.DecLit, *lang.StrLit, *lang.BoolLit, *lang.TypeExpr:
	case *lang.BinOp:
		r.expr(e.X)
		r.expr(e.Y)
	case *lang.UnaryOp:
		r.expr(e.X)
	case *lang.Compare:
		r.expr(e.First)
		for _, x := range e.Rest {
			r.expr(x)
		}
	case *lang.Call:
		r.expr(e.Fn)
		for _, a := range e.Args {
			r.expr(a)
		}
		for _, k := range e.Kwargs {
			r.expr(k.Value)
		}
		if r.fn != nil {
			if to := r.calledFunc(e.Fn); to != nil {
				r.calls[r.fn] = append(r.calls[r.fn], callEdge{to, e.P})
			}
		}
	case *lang.Index:
		r.expr(e.X)
		r.expr(e.Index)
	case *lang.Slice:
		r.expr(e.X)
		r.expr(e.Lo)
		r.expr(e.Hi)
		r.expr(e.Step)
	case *lang.Attr:
		if n, ok := e.X.(*lang.Name); ok {
			if mod := r.c.modules[r.moduleAlias(n.ID)]; mod != nil {
				if !mod.names[e.Name] {
					r.c.errs.Add(e.P, "", "module %s has no name %q", mod.name, e.Name)
				}
				return
			}
		}
		r.expr(e.X)
	case *lang.ListLit:
		for _, x := range e.Elems {
			r.expr(x)
		}
	case *lang.TupleExpr:
		for _, x := range e.Elems {
			r.expr(x)
		}
	case *lang.ListComp:
		r.expr(e.Iter)
		set := map[string]bool{}
		collectLocals([]lang.Stmt{&lang.Assign{Targets: []lang.Expr{e.Target}}}, set)
		r.scope = append(r.scope, set)
		r.expr(e.Elem)
		r.scope = r.scope[:len(r.scope)-1]
	case *lang.CondExpr:
		r.expr(e.Cond)
		r.expr(e.Then)
		r.expr(e.Else)
	}
}

// moduleAlias maps a name bound by `import m [as a]` to the module name.
func (r *resolver) moduleAlias(name string) string {
	for _, s := range r.m.ast.Body {
		if im, ok := s.(*lang.Import); ok && firstNonEmpty(im.Alias, im.Module) == name {
			return im.Module
		}
	}
	return "\x00"
}

// calledFunc finds the user function a call expression names, if static.
func (r *resolver) calledFunc(fn lang.Expr) *funcDecl {
	switch fn := fn.(type) {
	case *lang.Name:
		if r.fn != nil && r.fn.locals[fn.ID] {
			return nil
		}
		if fd := r.m.funcs[fn.ID]; fd != nil {
			return fd
		}
		for _, s := range r.m.ast.Body {
			if fi, ok := s.(*lang.FromImport); ok {
				for _, n := range fi.Names {
					if firstNonEmpty(n.Alias, n.Name) == fn.ID {
						if mod := r.c.modules[fi.Module]; mod != nil {
							return mod.funcs[n.Name]
						}
					}
				}
			}
		}
	case *lang.Attr:
		if n, ok := fn.X.(*lang.Name); ok {
			if mod := r.c.modules[r.moduleAlias(n.ID)]; mod != nil {
				return mod.funcs[fn.Name]
			}
		}
	}
	return nil
}

// checkRecursion reports every call that closes a cycle of calls.
func (r *resolver) checkRecursion() {
	for from, edges := range r.calls {
		for _, e := range edges {
			if path := r.reaches(e.to, from, map[*funcDecl]bool{}); path != nil {
				from.recursive = true
				via := ""
				if len(path) > 1 {
					via = " (through " + strings.Join(path[:len(path)-1], ", ") + ")"
				}
				r.c.errs.Add(e.pos, "rewrite it with a loop", "recursive call: %s calls itself%s; recursion is not supported",
					from.def.Name, via)
			}
		}
	}
}

func (r *resolver) reaches(from, to *funcDecl, seen map[*funcDecl]bool) []string {
	if from == to {
		return []string{to.def.Name}
	}
	if seen[from] {
		return nil
	}
	seen[from] = true
	for _, e := range r.calls[from] {
		if p := r.reaches(e.to, to, seen); p != nil {
			return append([]string{from.def.Name}, p...)
		}
	}
	return nil
}

// suggest offers the closest visible name.
func (r *resolver) suggest(name string) string {
	var cands []string
	for n := range r.m.names {
		cands = append(cands, n)
	}
	if r.fn != nil {
		for n := range r.fn.locals {
			cands = append(cands, n)
		}
	}
	for n := range builtinNames {
		cands = append(cands, n)
	}
	sort.Strings(cands)
	best, bestD := "", 3
	for _, c := range cands {
		if d := editDistance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return "did you mean " + best + "?"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
