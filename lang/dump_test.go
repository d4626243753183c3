package lang

import (
	"fmt"
	"reflect"
	"strings"
)

// dump renders a node as a compact S-expression, for table tests.
func dump(n Node) string {
	var b strings.Builder
	dumpTo(&b, n)
	return b.String()
}

func dumpStmts(ss []Stmt) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = dump(s)
	}
	return strings.Join(parts, " ")
}

func dumpTo(b *strings.Builder, n Node) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		b.WriteString("_")
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	list := func(open, close string, xs []Expr) {
		b.WriteString(open)
		for i, x := range xs {
			if i > 0 {
				b.WriteByte(' ')
			}
			dumpTo(b, x)
		}
		b.WriteString(close)
	}
	block := func(ss []Stmt) { w("{%s}", dumpStmts(ss)) }
	switch n := n.(type) {
	case *Name:
		b.WriteString(n.ID)
	case *IntLit:
		w("%s", n.Value)
	case *DecLit:
		w("%s", n.Value.RatString())
	case *StrLit:
		w("%q", n.Value)
	case *BoolLit:
		if n.Value {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case *BinOp:
		w("(%s ", n.Op)
		dumpTo(b, n.X)
		b.WriteByte(' ')
		dumpTo(b, n.Y)
		b.WriteByte(')')
	case *UnaryOp:
		op := n.Op
		if op == "-" || op == "+" {
			op += "u"
		}
		w("(%s ", op)
		dumpTo(b, n.X)
		b.WriteByte(')')
	case *Compare:
		b.WriteString("(cmp ")
		dumpTo(b, n.First)
		for i, op := range n.Ops {
			w(" %s ", op)
			dumpTo(b, n.Rest[i])
		}
		b.WriteByte(')')
	case *Call:
		b.WriteString("(call ")
		dumpTo(b, n.Fn)
		for _, a := range n.Args {
			b.WriteByte(' ')
			dumpTo(b, a)
		}
		for _, k := range n.Kwargs {
			w(" %s=", k.Name)
			dumpTo(b, k.Value)
		}
		b.WriteByte(')')
	case *Index:
		b.WriteString("(index ")
		dumpTo(b, n.X)
		b.WriteByte(' ')
		dumpTo(b, n.Index)
		b.WriteByte(')')
	case *Slice:
		b.WriteString("(slice ")
		list("", ")", []Expr{n.X, n.Lo, n.Hi, n.Step})
	case *Attr:
		b.WriteString("(. ")
		dumpTo(b, n.X)
		w(" %s)", n.Name)
	case *ListLit:
		list("[", "]", n.Elems)
	case *TupleExpr:
		b.WriteString("(tuple")
		for _, x := range n.Elems {
			b.WriteByte(' ')
			dumpTo(b, x)
		}
		b.WriteByte(')')
	case *ListComp:
		b.WriteString("(comp ")
		list("", ")", []Expr{n.Elem, n.Target, n.Iter})
	case *CondExpr:
		b.WriteString("(ifx ")
		list("", ")", []Expr{n.Cond, n.Then, n.Else})
	case *TypeExpr:
		if n.Elems != nil {
			b.WriteByte('(')
			for i, e := range n.Elems {
				if i > 0 {
					b.WriteString(", ")
				}
				dumpTo(b, e)
			}
			b.WriteByte(')')
			return
		}
		b.WriteString(n.Name)
		if n.Vector {
			b.WriteString("[]")
		}
	case *ExprStmt:
		b.WriteString("(expr ")
		dumpTo(b, n.X)
		b.WriteByte(')')
	case *Assign:
		b.WriteString("(= ")
		list("", " ", n.Targets)
		dumpTo(b, n.Value)
		b.WriteByte(')')
	case *AugAssign:
		w("(%s= ", n.Op)
		dumpTo(b, n.Target)
		b.WriteByte(' ')
		dumpTo(b, n.Value)
		b.WriteByte(')')
	case *Pass:
		b.WriteString("pass")
	case *Break:
		b.WriteString("break")
	case *Continue:
		b.WriteString("continue")
	case *Return:
		if n.Value == nil {
			b.WriteString("return")
			return
		}
		b.WriteString("(return ")
		dumpTo(b, n.Value)
		b.WriteByte(')')
	case *If:
		b.WriteString("(if ")
		dumpTo(b, n.Cond)
		b.WriteByte(' ')
		block(n.Body)
		if n.Else != nil {
			b.WriteString(" else ")
			block(n.Else)
		}
		b.WriteByte(')')
	case *For:
		b.WriteString("(for ")
		dumpTo(b, n.Target)
		b.WriteByte(' ')
		dumpTo(b, n.Iter)
		b.WriteByte(' ')
		block(n.Body)
		b.WriteByte(')')
	case *While:
		b.WriteString("(while ")
		dumpTo(b, n.Cond)
		b.WriteByte(' ')
		block(n.Body)
		b.WriteByte(')')
	case *FuncDef:
		w("(def %s (", n.Name)
		for i, p := range n.Params {
			if i > 0 {
				b.WriteByte(' ')
			}
			dumpTo(b, p)
		}
		b.WriteByte(')')
		if n.Result != nil {
			b.WriteString(" -> ")
			dumpTo(b, n.Result)
		}
		if n.Doc != "" {
			w(" doc=%q", n.Doc)
		}
		b.WriteByte(' ')
		block(n.Body)
		b.WriteByte(')')
	case *Param:
		b.WriteString(n.Name)
		if n.Type != nil {
			b.WriteByte(':')
			dumpTo(b, n.Type)
		}
		if n.Default != nil {
			b.WriteByte('=')
			dumpTo(b, n.Default)
		}
	case *Assert:
		b.WriteString("(assert ")
		dumpTo(b, n.Cond)
		if n.Msg != nil {
			b.WriteByte(' ')
			dumpTo(b, n.Msg)
		}
		b.WriteByte(')')
	case *Import:
		w("(import %s", n.Module)
		if n.Alias != "" {
			w(" as %s", n.Alias)
		}
		b.WriteByte(')')
	case *FromImport:
		w("(from %s", n.Module)
		for _, in := range n.Names {
			w(" %s", in.Name)
			if in.Alias != "" {
				w(":%s", in.Alias)
			}
		}
		b.WriteByte(')')
	default:
		w("<%T>", n)
	}
}

// walk calls f on n and every node below it.
func walk(n Node, f func(Node)) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	f(n)
	ws := func(ss []Stmt) {
		for _, s := range ss {
			walk(s, f)
		}
	}
	we := func(xs ...Expr) {
		for _, x := range xs {
			walk(x, f)
		}
	}
	switch n := n.(type) {
	case *BinOp:
		we(n.X, n.Y)
	case *UnaryOp:
		we(n.X)
	case *Compare:
		we(n.First)
		we(n.Rest...)
	case *Call:
		we(n.Fn)
		we(n.Args...)
		for _, k := range n.Kwargs {
			walk(k, f)
		}
	case *Keyword:
		we(n.Value)
	case *Index:
		we(n.X, n.Index)
	case *Slice:
		we(n.X, n.Lo, n.Hi, n.Step)
	case *Attr:
		we(n.X)
	case *ListLit:
		we(n.Elems...)
	case *TupleExpr:
		we(n.Elems...)
	case *ListComp:
		we(n.Elem, n.Target, n.Iter)
	case *CondExpr:
		we(n.Cond, n.Then, n.Else)
	case *TypeExpr:
		for _, e := range n.Elems {
			walk(e, f)
		}
	case *ExprStmt:
		we(n.X)
	case *Assign:
		we(n.Targets...)
		we(n.Value)
	case *AugAssign:
		we(n.Target, n.Value)
	case *Return:
		we(n.Value)
	case *If:
		we(n.Cond)
		ws(n.Body)
		ws(n.Else)
	case *For:
		we(n.Target, n.Iter)
		ws(n.Body)
	case *While:
		we(n.Cond)
		ws(n.Body)
	case *FuncDef:
		for _, p := range n.Params {
			walk(p, f)
		}
		if n.Result != nil {
			walk(n.Result, f)
		}
		ws(n.Body)
	case *Param:
		if n.Type != nil {
			walk(n.Type, f)
		}
		we(n.Default)
	case *Assert:
		we(n.Cond, n.Msg)
	case *FromImport:
		for _, in := range n.Names {
			walk(in, f)
		}
	}
}
