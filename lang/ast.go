package lang

import "math/big"

// Node is any syntax tree node; every node knows where it starts.
type Node interface{ Position() Pos }

// Stmt is a statement node.
type Stmt interface {
	Node
	stmt()
}

// Expr is an expression node.
type Expr interface {
	Node
	expr()
}

// Module is one parsed .mpcs file.
type Module struct {
	File   string // file name as given to Parse
	Source []byte // the text, kept for diagnostics
	Doc    string // docstring, if the first statement is a string literal
	Body   []Stmt
}

// ---- statements ----

// ExprStmt is an expression evaluated for its effect (a call).
type ExprStmt struct {
	P Pos
	X Expr
}

// Assign is `t1 = t2 = ... = value`; a target is a Name, Index or TupleExpr
// of targets (`a, b = f(x)`).
type Assign struct {
	P       Pos
	Targets []Expr
	Value   Expr
}

// AugAssign is `target op= value`; Op is the binary operator ("+", "//", ...).
type AugAssign struct {
	P      Pos
	Target Expr
	Op     string
	Value  Expr
}

// Pass is `pass`.
type Pass struct{ P Pos }

// Break is `break`.
type Break struct{ P Pos }

// Continue is `continue`.
type Continue struct{ P Pos }

// Return is `return [value]`; `return a, b` has a TupleExpr value.
type Return struct {
	P     Pos
	Value Expr // nil for a bare return
}

// If is `if cond: body [else: else]`; an `elif` is an If alone in Else.
type If struct {
	P    Pos
	Cond Expr
	Body []Stmt
	Else []Stmt
}

// For is `for target in iter: body`; Target is a Name or a TupleExpr of Names.
type For struct {
	P      Pos
	Target Expr
	Iter   Expr
	Body   []Stmt
}

// While is `while cond: body`.
type While struct {
	P    Pos
	Cond Expr
	Body []Stmt
}

// FuncDef is `def name(params) [-> result]: body`.
type FuncDef struct {
	P      Pos
	Name   string
	Params []*Param
	Result *TypeExpr // nil if not annotated
	Doc    string
	Body   []Stmt
}

// Param is one function parameter.
type Param struct {
	P       Pos
	Name    string
	Type    *TypeExpr // nil if not annotated
	Default Expr      // nil if none
}

// Assert is `assert cond[, msg]`.
type Assert struct {
	P    Pos
	Cond Expr
	Msg  Expr // nil if none
}

// Import is `import module [as alias]`.
type Import struct {
	P      Pos
	Module string
	Alias  string // "" if none
}

// FromImport is `from module import name [as alias], ...`.
type FromImport struct {
	P      Pos
	Module string
	Names  []*ImportName
}

// ImportName is one `name [as alias]` of a FromImport.
type ImportName struct {
	P     Pos
	Name  string
	Alias string // "" if none
}

// ---- expressions ----

// Name is an identifier.
type Name struct {
	P  Pos
	ID string
}

// IntLit is an integer literal (`42`, `1_000`, `0xff`, `0b1010`).
type IntLit struct {
	P     Pos
	Text  string
	Value *big.Int
}

// DecLit is a decimal literal (`3.25`, `.5`, `1e-3`); its value is exact.
type DecLit struct {
	P     Pos
	Text  string
	Value *big.Rat
}

// StrLit is a string literal, already unquoted.
type StrLit struct {
	P     Pos
	Value string
}

// BoolLit is True or False.
type BoolLit struct {
	P     Pos
	Value bool
}

// BinOp is `x op y` for arithmetic, bitwise and boolean (`and`, `or`)
// operators. P is where x starts; OpPos is where the operator is.
type BinOp struct {
	P     Pos
	OpPos Pos
	Op    string // + - * / // % ** & | ^ << >> and or
	X, Y  Expr
}

// UnaryOp is `op x` for "-", "+", "~" and "not".
type UnaryOp struct {
	P  Pos
	Op string
	X  Expr
}

// Compare is a (possibly chained) comparison `first op0 rest0 op1 rest1 ...`.
type Compare struct {
	P     Pos
	First Expr
	Ops   []string // < <= > >= == !=
	OpPos []Pos
	Rest  []Expr
}

// Call is `fn(args, name=value, ...)`.
type Call struct {
	P      Pos
	Fn     Expr
	Args   []Expr
	Kwargs []*Keyword
}

// Keyword is one `name=value` argument.
type Keyword struct {
	P     Pos
	Name  string
	Value Expr
}

// Index is `x[index]`.
type Index struct {
	P     Pos
	X     Expr
	Index Expr
}

// Slice is `x[lo:hi:step]`; absent parts are nil.
type Slice struct {
	P            Pos
	X            Expr
	Lo, Hi, Step Expr
}

// Attr is `x.name` (a module member such as `stats.mean`).
type Attr struct {
	P    Pos
	X    Expr
	Name string
}

// ListLit is `[a, b, c]`.
type ListLit struct {
	P     Pos
	Elems []Expr
}

// TupleExpr is `a, b` or `(a, b)`.
type TupleExpr struct {
	P     Pos
	Elems []Expr
}

// ListComp is `[elem for target in iter]`.
type ListComp struct {
	P      Pos
	Elem   Expr
	Target Expr
	Iter   Expr
}

// CondExpr is `then if cond else else_`.
type CondExpr struct {
	P    Pos
	Cond Expr
	Then Expr
	Else Expr
}

// TypeExpr is a type annotation: `sfix`, `sint[]`, or a tuple `(sfix, sfix)`.
type TypeExpr struct {
	P      Pos
	Name   string      // "" for a tuple
	Vector bool        // `T[]`
	Elems  []*TypeExpr // tuple elements
}

func (n *ExprStmt) Position() Pos   { return n.P }
func (n *Assign) Position() Pos     { return n.P }
func (n *AugAssign) Position() Pos  { return n.P }
func (n *Pass) Position() Pos       { return n.P }
func (n *Break) Position() Pos      { return n.P }
func (n *Continue) Position() Pos   { return n.P }
func (n *Return) Position() Pos     { return n.P }
func (n *If) Position() Pos         { return n.P }
func (n *For) Position() Pos        { return n.P }
func (n *While) Position() Pos      { return n.P }
func (n *FuncDef) Position() Pos    { return n.P }
func (n *Param) Position() Pos      { return n.P }
func (n *Assert) Position() Pos     { return n.P }
func (n *Import) Position() Pos     { return n.P }
func (n *FromImport) Position() Pos { return n.P }
func (n *ImportName) Position() Pos { return n.P }
func (n *Name) Position() Pos       { return n.P }
func (n *IntLit) Position() Pos     { return n.P }
func (n *DecLit) Position() Pos     { return n.P }
func (n *StrLit) Position() Pos     { return n.P }
func (n *BoolLit) Position() Pos    { return n.P }
func (n *BinOp) Position() Pos      { return n.P }
func (n *UnaryOp) Position() Pos    { return n.P }
func (n *Compare) Position() Pos    { return n.P }
func (n *Call) Position() Pos       { return n.P }
func (n *Keyword) Position() Pos    { return n.P }
func (n *Index) Position() Pos      { return n.P }
func (n *Slice) Position() Pos      { return n.P }
func (n *Attr) Position() Pos       { return n.P }
func (n *ListLit) Position() Pos    { return n.P }
func (n *TupleExpr) Position() Pos  { return n.P }
func (n *ListComp) Position() Pos   { return n.P }
func (n *CondExpr) Position() Pos   { return n.P }
func (n *TypeExpr) Position() Pos   { return n.P }

func (*ExprStmt) stmt()   {}
func (*Assign) stmt()     {}
func (*AugAssign) stmt()  {}
func (*Pass) stmt()       {}
func (*Break) stmt()      {}
func (*Continue) stmt()   {}
func (*Return) stmt()     {}
func (*If) stmt()         {}
func (*For) stmt()        {}
func (*While) stmt()      {}
func (*FuncDef) stmt()    {}
func (*Assert) stmt()     {}
func (*Import) stmt()     {}
func (*FromImport) stmt() {}

func (*Name) expr()      {}
func (*IntLit) expr()    {}
func (*DecLit) expr()    {}
func (*StrLit) expr()    {}
func (*BoolLit) expr()   {}
func (*BinOp) expr()     {}
func (*UnaryOp) expr()   {}
func (*Compare) expr()   {}
func (*Call) expr()      {}
func (*Index) expr()     {}
func (*Slice) expr()     {}
func (*Attr) expr()      {}
func (*ListLit) expr()   {}
func (*TupleExpr) expr() {}
func (*ListComp) expr()  {}
func (*CondExpr) expr()  {}
func (*TypeExpr) expr()  {}
