package lang

import (
	"math/big"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// lowerer turns the grammar structs of a successfully parsed statement into
// AST nodes, checking what the LL(1) grammar leaves open (assignment targets,
// keyword argument names, stray commas, operator placement).
type lowerer struct {
	file string
	errs ErrorList
}

func (l *lowerer) pos(p lexer.Position) Pos {
	return Pos{File: l.file, Line: p.Line, Col: p.Column}
}

func (l *lowerer) errorf(p lexer.Position, hint, format string, args ...any) {
	l.errs.Add(l.pos(p), hint, format, args...)
}

// ---- statements ----

func (l *lowerer) stmts(gs []*gStmt) []Stmt {
	var out []Stmt
	for _, g := range gs {
		out = append(out, l.stmt(g)...)
	}
	return out
}

func (l *lowerer) stmt(g *gStmt) []Stmt {
	switch {
	case g == nil:
		return nil
	case g.If != nil:
		return []Stmt{l.ifStmt(g.Pos, g.If)}
	case g.For != nil:
		return []Stmt{l.forStmt(g.Pos, g.For)}
	case g.While != nil:
		return []Stmt{&While{P: l.pos(g.Pos), Cond: l.expr(g.While.Cond), Body: l.suite(g.While.Body)}}
	case g.Def != nil:
		return []Stmt{l.def(g.Pos, g.Def)}
	case g.Simple != nil:
		return l.simpleLine(g.Simple)
	}
	return nil
}

func (l *lowerer) suite(g *gSuite) []Stmt {
	if g == nil {
		return nil
	}
	if g.Simple != nil {
		return l.simpleLine(g.Simple)
	}
	return l.stmts(g.Block)
}

func (l *lowerer) ifStmt(p lexer.Position, g *gIf) Stmt {
	root := &If{P: l.pos(p), Cond: l.expr(g.Cond), Body: l.suite(g.Body)}
	cur := root
	for _, e := range g.Elifs {
		n := &If{P: l.pos(e.Pos), Cond: l.expr(e.Cond), Body: l.suite(e.Body)}
		cur.Else = []Stmt{n}
		cur = n
	}
	if g.Else != nil {
		cur.Else = l.suite(g.Else.Body)
	}
	return root
}

func (l *lowerer) forStmt(p lexer.Position, g *gFor) Stmt {
	return &For{
		P:      l.pos(p),
		Target: l.targets(g.Target),
		Iter:   l.exprList(g.Iter, nil),
		Body:   l.suite(g.Body),
	}
}

// targets lowers the variable(s) of a for loop or comprehension.
func (l *lowerer) targets(g *gTargets) Expr {
	if g == nil {
		return nil
	}
	name := func(o *gOpExpr) Expr {
		x := l.opExpr(o)
		ok := true
		switch x := x.(type) {
		case *Name:
		case *TupleExpr: // for (a, b) in ...
			for _, e := range x.Elems {
				if _, isName := e.(*Name); !isName {
					ok = false
				}
			}
			ok = ok && len(x.Elems) > 0
		default:
			ok = x == nil
		}
		if !ok {
			l.errorf(o.Pos, "write for x in ... or for a, b in ...", "the loop variable must be a name")
		}
		return x
	}
	first := name(g.First)
	if len(g.Rest) == 0 {
		return first
	}
	elems := []Expr{first}
	for i, it := range g.Rest {
		if it.X == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected a loop variable)`)
			}
			continue
		}
		elems = append(elems, name(it.X))
	}
	return &TupleExpr{P: l.pos(g.Pos), Elems: elems}
}

func (l *lowerer) def(p lexer.Position, g *gDef) Stmt {
	f := &FuncDef{P: l.pos(p), Name: g.Name}
	var params []*gParam
	if g.First != nil {
		params = append(params, g.First)
	}
	for i, it := range g.Rest {
		if it.Param == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected a parameter)`)
			}
			continue
		}
		params = append(params, it.Param)
	}
	sawDefault := false
	for _, gp := range params {
		p := &Param{P: l.pos(gp.Pos), Name: gp.Name, Type: l.typeExpr(gp.Type)}
		if gp.Default != nil {
			p.Default = l.expr(gp.Default)
			sawDefault = true
		} else if sawDefault {
			l.errorf(gp.Pos, "give it a default value or move it before the parameters that have one",
				"parameter %s without a default follows a parameter with a default", gp.Name)
		}
		f.Params = append(f.Params, p)
	}
	f.Result = l.typeExpr(g.Result)
	f.Doc, f.Body = docstring(l.suite(g.Body))
	return f
}

func (l *lowerer) typeExpr(g *gType) *TypeExpr {
	if g == nil {
		return nil
	}
	if g.First == nil {
		return &TypeExpr{P: l.pos(g.Pos), Name: g.Name, Vector: g.Vector}
	}
	first := l.typeExpr(g.First)
	if len(g.Rest) == 0 { // `(T)` is T
		return first
	}
	t := &TypeExpr{P: l.pos(g.Pos), Elems: []*TypeExpr{first}}
	for i, it := range g.Rest {
		if it.Type == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected a type)`)
			}
			continue
		}
		t.Elems = append(t.Elems, l.typeExpr(it.Type))
	}
	return t
}

// docstring splits off a leading string literal statement.
func docstring(body []Stmt) (string, []Stmt) {
	if len(body) > 0 {
		if es, ok := body[0].(*ExprStmt); ok {
			if s, ok := es.X.(*StrLit); ok {
				return s.Value, body[1:]
			}
		}
	}
	return "", body
}

func (l *lowerer) simpleLine(g *gSimpleLine) []Stmt {
	out := l.small(g.First)
	for i, s := range g.Rest {
		if s.Small == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected ";" (expected a statement)`)
			}
			continue
		}
		out = append(out, l.small(s.Small)...)
	}
	return out
}

func (l *lowerer) small(g *gSmall) []Stmt {
	if g == nil {
		return nil
	}
	p := l.pos(g.Pos)
	switch {
	case g.Pass:
		return []Stmt{&Pass{P: p}}
	case g.Break:
		return []Stmt{&Break{P: p}}
	case g.Continue:
		return []Stmt{&Continue{P: p}}
	case g.Return != nil:
		r := &Return{P: p}
		if g.Return.Value != nil {
			r.Value = l.exprList(g.Return.Value, nil)
		}
		return []Stmt{r}
	case g.Assert != nil:
		a := &Assert{P: p, Cond: l.expr(g.Assert.Cond)}
		if g.Assert.Msg != nil {
			a.Msg = l.expr(g.Assert.Msg)
		}
		return []Stmt{a}
	case g.Import != nil:
		var out []Stmt
		for i, m := range g.Import.Modules {
			ip := p
			if i > 0 {
				ip = l.pos(m.Pos)
			}
			out = append(out, &Import{P: ip, Module: m.Module, Alias: m.Alias})
		}
		return out
	case g.From != nil:
		return []Stmt{l.from(p, g.From)}
	case g.Expr != nil:
		return []Stmt{l.exprStmt(g.Expr)}
	}
	return nil
}

func (l *lowerer) from(p Pos, g *gFrom) Stmt {
	f := &FromImport{P: p, Module: g.Module}
	n := g.Names
	if n == nil {
		return f
	}
	first, rest := n.First, n.Rest
	if n.Paren {
		first, rest = n.PFirst, n.PRest
	}
	add := func(in *gImportName) {
		f.Names = append(f.Names, &ImportName{P: l.pos(in.Pos), Name: in.Name, Alias: in.Alias})
	}
	if first != nil {
		add(first)
	}
	for i, it := range rest {
		if it.Name == nil {
			switch {
			case i != len(rest)-1:
				l.errorf(rest[i+1].Pos, "", `unexpected "," (expected a name to import)`)
			case !n.Paren:
				l.errorf(it.Pos, "put the names in parentheses or drop the comma",
					"trailing comma not allowed without surrounding parentheses")
			}
			continue
		}
		add(it.Name)
	}
	return f
}

var augOps = map[string]string{
	"+=": "+", "-=": "-", "*=": "*", "/=": "/", "//=": "//", "%=": "%", "**=": "**",
	"&=": "&", "|=": "|", "^=": "^", "<<=": "<<", ">>=": ">>",
}

func (l *lowerer) exprStmt(g *gExprStmt) Stmt {
	p := l.pos(g.Pos)
	first := l.exprList(g.Target, nil)
	switch {
	case g.AugOp != nil:
		switch first.(type) {
		case *Name, *Index:
		case *TupleExpr:
			l.errs.Add(first.Position(), "update the variables one by one", "augmented assignment to a tuple is not possible")
		default:
			l.checkTarget(first)
		}
		return &AugAssign{P: p, Target: first, Op: augOps[g.AugOp.Op], Value: l.exprList(g.AugVal, nil)}
	case len(g.Assign) > 0:
		a := &Assign{P: p}
		exprs := []Expr{first}
		for _, rhs := range g.Assign {
			exprs = append(exprs, l.exprList(rhs.Value, nil))
		}
		a.Targets = exprs[:len(exprs)-1]
		a.Value = exprs[len(exprs)-1]
		for _, t := range a.Targets {
			l.checkTarget(t)
		}
		return a
	}
	return &ExprStmt{P: p, X: first}
}

// checkTarget reports an expression that cannot be assigned to.
func (l *lowerer) checkTarget(e Expr) {
	var what, hint string
	switch t := e.(type) {
	case nil, *Name, *Index:
		return
	case *TupleExpr:
		if len(t.Elems) == 0 {
			what = "()"
			break
		}
		for _, x := range t.Elems {
			l.checkTarget(x)
		}
		return
	case *Call:
		what, hint = "a function call", `use "==" to compare`
	case *Slice:
		what, hint = "a slice", "assign the elements one by one, or build a new vector"
	case *Attr:
		what = "a module member"
	case *IntLit, *DecLit, *StrLit, *BoolLit:
		what, hint = "a literal", `use "==" to compare`
	case *ListLit:
		what, hint = "a list", "write a, b = ... to unpack"
	case *ListComp:
		what = "a list comprehension"
	case *CondExpr:
		what = "a conditional expression"
	case *Compare:
		what, hint = "a comparison", `use "==" to compare`
	default:
		what, hint = "an expression", "assign to a name, an element v[i], or a tuple of them"
	}
	l.errs.Add(e.Position(), hint, "cannot assign to %s", what)
}

// ---- expressions ----

// exprList lowers `a` to a, and `a, b` (or `(a, b)` when paren is the
// position of the parenthesis) to a TupleExpr.
func (l *lowerer) exprList(g *gExprList, paren *lexer.Position) Expr {
	if g == nil {
		return nil
	}
	first := l.expr(g.First)
	if len(g.Rest) == 0 {
		return first
	}
	p := g.Pos
	if paren != nil {
		p = *paren
	}
	t := &TupleExpr{P: l.pos(p), Elems: []Expr{first}}
	for i, c := range g.Rest {
		if c.X == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected an expression)`)
			}
			continue
		}
		t.Elems = append(t.Elems, l.expr(c.X))
	}
	return t
}

func (l *lowerer) expr(g *gExpr) Expr {
	if g == nil {
		return nil
	}
	then := l.climb(g.Head, g.Tail)
	if g.Cond == nil {
		return then
	}
	return &CondExpr{P: l.pos(g.Pos), Cond: l.opExpr(g.Cond), Then: then, Else: l.expr(g.Else)}
}

// Binding powers, loosest first (Python's table).
const (
	precOr = 1 + iota
	precAnd
	precNot
	precCompare
	precBitOr
	precBitXor
	precBitAnd
	precShift
	precAdd
	precMul
	precUnary
	precPow
)

var binPrec = map[string]int{
	"or": precOr, "and": precAnd,
	"<": precCompare, "<=": precCompare, ">": precCompare, ">=": precCompare, "==": precCompare, "!=": precCompare,
	"|": precBitOr, "^": precBitXor, "&": precBitAnd, "<<": precShift, ">>": precShift,
	"+": precAdd, "-": precAdd, "*": precMul, "/": precMul, "//": precMul, "%": precMul,
	"**": precPow,
}

const maxPrefixOps = 100

func (l *lowerer) opExpr(g *gOpExpr) Expr {
	if g == nil {
		return nil
	}
	return l.climb(g.Head, g.Tail)
}

// climb applies precedence to a flat operand/operator list.
func (l *lowerer) climb(head *gOperand, tail []*gOpTail) Expr {
	if head == nil {
		return nil
	}
	c := &climber{l: l, head: head, tail: tail}
	x, _ := c.parse(0)
	return x
}

// climber is a precedence-climbing parser over an operand list: operand k
// is head (k = 0) or tail[k-1].X, and tail[k-1].Op is the operator before
// it. j is the next unread prefix operator of operand k.
type climber struct {
	l    *lowerer
	head *gOperand
	tail []*gOpTail
	k, j int
}

func (c *climber) operand(k int) *gOperand {
	if k == 0 {
		return c.head
	}
	return c.tail[k-1].X
}

// parse reads an operand and then every binary operator that binds tighter
// than rbp, returning the expression and the position of its first token.
func (c *climber) parse(rbp int) (Expr, lexer.Position) {
	left, start := c.unary(rbp)
	for c.k <= len(c.tail) {
		t := c.tail[c.k-1]
		prec := binPrec[t.Op.Op]
		if prec <= rbp {
			break
		}
		if prec == precCompare {
			cmp := &Compare{P: c.l.pos(start), First: left}
			for c.k <= len(c.tail) && binPrec[c.tail[c.k-1].Op.Op] == precCompare {
				t := c.tail[c.k-1]
				right, _ := c.parse(precCompare)
				cmp.Ops = append(cmp.Ops, t.Op.Op)
				cmp.OpPos = append(cmp.OpPos, c.l.pos(t.Op.Pos))
				cmp.Rest = append(cmp.Rest, right)
			}
			left = cmp
			continue
		}
		rb := prec
		if t.Op.Op == "**" { // right-associative, and its right operand may be -x
			rb = precUnary
		}
		right, _ := c.parse(rb)
		left = &BinOp{P: c.l.pos(start), OpPos: c.l.pos(t.Op.Pos), Op: t.Op.Op, X: left, Y: right}
	}
	return left, start
}

// unary reads operand k from its next prefix operator on.
func (c *climber) unary(rbp int) (Expr, lexer.Position) {
	o := c.operand(c.k)
	var prefix []lexer.Token
	if o.Prefix != nil {
		prefix = o.Prefix.Ops
	}
	if c.j == 0 && len(prefix) > maxPrefixOps {
		c.l.errorf(prefix[maxPrefixOps].Pos, "simplify the expression", "too many unary operators")
		c.j = len(prefix)
	}
	if c.j < len(prefix) {
		tok := prefix[c.j]
		c.j++
		pp := precUnary
		if tok.Value == "not" {
			pp = precNot
		}
		if pp < rbp {
			c.l.errorf(tok.Pos, `put the operand in parentheses: (`+tok.Value+` ...)`, "unexpected %q", tok.Value)
		}
		x, _ := c.parse(pp)
		return &UnaryOp{P: c.l.pos(tok.Pos), Op: tok.Value, X: x}, tok.Pos
	}
	c.k++
	c.j = 0
	start := o.Pos
	if o.Prefix != nil {
		start = o.Prefix.Next
	}
	return c.l.primary(start, o), start
}

// primary lowers the atom and trailers of an operand starting at p.
func (l *lowerer) primary(p lexer.Position, g *gOperand) Expr {
	x := l.atom(p, g)
	start := l.pos(p)
	for _, t := range g.Trailers {
		switch {
		case t.Call != nil:
			x = l.call(start, x, t.Call)
		case t.Index != nil:
			x = l.subscript(start, x, t.Index)
		case t.Attr != nil:
			x = &Attr{P: start, X: x, Name: *t.Attr}
		}
	}
	return x
}

func (l *lowerer) call(start Pos, fn Expr, g *gArgs) Expr {
	c := &Call{P: start, Fn: fn}
	var args []*gArg
	if g.First != nil {
		args = append(args, g.First)
	}
	for i, it := range g.Rest {
		if it.Arg == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected an argument)`)
			}
			continue
		}
		args = append(args, it.Arg)
	}
	for _, a := range args {
		x := l.expr(a.X)
		if a.Value == nil {
			if len(c.Kwargs) > 0 {
				l.errorf(a.Pos, "put the positional arguments first", "positional argument follows keyword argument")
			}
			c.Args = append(c.Args, x)
			continue
		}
		name, ok := x.(*Name)
		if !ok {
			l.errorf(a.Pos, `use "==" to compare`, "a keyword argument must be a name, as in f(where=mask)")
			continue
		}
		c.Kwargs = append(c.Kwargs, &Keyword{P: name.P, Name: name.ID, Value: l.expr(a.Value)})
	}
	return c
}

func (l *lowerer) subscript(start Pos, x Expr, g *gSubscript) Expr {
	if g.Slice == nil {
		if g.Lo == nil {
			l.errorf(g.Pos, "write v[i] or a slice v[a:b]", `unexpected "]" (expected an index)`)
			return x
		}
		return &Index{P: start, X: x, Index: l.expr(g.Lo)}
	}
	s := &Slice{P: start, X: x, Lo: l.expr(g.Lo), Hi: l.expr(g.Slice.Hi)}
	if g.Slice.Step != nil {
		s.Step = l.expr(g.Slice.Step.Step)
	}
	return s
}

func (l *lowerer) atom(start lexer.Position, g *gOperand) Expr {
	p := l.pos(start)
	switch {
	case g.Name != nil:
		return &Name{P: p, ID: *g.Name}
	case g.Number != nil:
		return l.number(p, *g.Number)
	case len(g.Str) > 0:
		var b strings.Builder
		for _, s := range g.Str {
			v, _ := unquote(s) // escape errors were reported by the lexer
			b.WriteString(v)
		}
		return &StrLit{P: p, Value: b.String()}
	case g.True:
		return &BoolLit{P: p, Value: true}
	case g.False:
		return &BoolLit{P: p, Value: false}
	case g.Paren != nil:
		if g.Paren.List == nil {
			return &TupleExpr{P: p}
		}
		return l.exprList(g.Paren.List, &start)
	case g.List != nil:
		return l.list(p, g.List)
	}
	return nil
}

func (l *lowerer) number(p Pos, text string) Expr {
	iv, dv, msg, _ := parseNumber(text)
	switch {
	case msg != "": // reported by the lexer
		return &IntLit{P: p, Text: text, Value: new(big.Int)}
	case dv != nil:
		return &DecLit{P: p, Text: text, Value: dv}
	}
	return &IntLit{P: p, Text: text, Value: iv}
}

func (l *lowerer) list(p Pos, g *gList) Expr {
	if g.First == nil {
		return &ListLit{P: p}
	}
	if g.Comp != nil {
		if len(g.Rest) > 0 {
			l.errorf(g.Rest[0].Pos, "a comprehension makes the whole list", `unexpected "," after a list comprehension`)
		}
		return &ListComp{P: p, Elem: l.expr(g.First), Target: l.targets(g.Comp.Target), Iter: l.opExpr(g.Comp.Iter)}
	}
	lit := &ListLit{P: p, Elems: []Expr{l.expr(g.First)}}
	for i, c := range g.Rest {
		if c.X == nil {
			if i != len(g.Rest)-1 {
				l.errorf(g.Rest[i+1].Pos, "", `unexpected "," (expected an expression)`)
			}
			continue
		}
		lit.Elems = append(lit.Elems, l.expr(c.X))
	}
	return lit
}
