package lang

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The participle grammar. These structs only describe the concrete syntax;
// lower.go turns them into the AST of ast.go.
//
// The parser runs with no backtracking (UseLookahead(0)): once an
// alternative has consumed a token it is committed, as in a hand-written
// LL(1) parser. That is what makes the error positions exact, and it is why
// some rules are shaped a little unusually:
//   - comma lists are `first ("," item?)*`, so that a trailing comma needs no
//     lookahead; lower.go rejects an empty item that is not the last;
//   - a keyword argument is parsed as `expr ["=" expr]` and lower.go checks
//     that the name is a plain name;
//   - binary expressions are a flat `operand (op operand)*` list and lower.go
//     applies precedence and associativity (precedence climbing). This keeps
//     the reflective parser from descending through a dozen precedence levels
//     for every operand.
//
// The rest of the shape is for speed: participle allocates for every struct
// it tries, every alternative and every iteration of a repetition, so an
// operand (atom, unary operators, trailers) is one struct, keywords are
// matched before descending into a statement's struct, operator tokens are
// recognised by small Parseable types (a map look-up instead of a
// disjunction of twenty literals), and Pos fields exist only where the
// lowering uses them.
//
// Participle sets a field named Pos to the position of the struct's first
// token.

// gChunk is one top-level statement (Parse splits the token stream at
// top-level statement boundaries so that it can report an error per
// statement and go on).
type gChunk struct {
	Stmt *gStmt `parser:"@@"`
}

// gStmt: the keyword of a compound statement is matched here rather than in
// its struct, so that trying an alternative that does not apply costs no
// allocation. Pos is the keyword's position.
type gStmt struct {
	Pos    lexer.Position
	If     *gIf         `parser:"  'if' @@"`
	For    *gFor        `parser:"| 'for' @@"`
	Def    *gDef        `parser:"| 'def' @@"`
	While  *gWhile      `parser:"| 'while' @@"`
	Simple *gSimpleLine `parser:"| @@"`
}

type gSimpleLine struct {
	First *gSmall  `parser:"@@"`
	Rest  []*gSemi `parser:"@@* Newline"`
}

type gSemi struct {
	Pos   lexer.Position
	Small *gSmall `parser:"';' @@?"`
}

// gSmall is a simple statement; as in gStmt, keywords are matched here and
// Pos is the statement's first token.
type gSmall struct {
	Pos      lexer.Position
	Expr     *gExprStmt `parser:"  @@"`
	Return   *gReturn   `parser:"| 'return' @@"`
	Pass     bool       `parser:"| @'pass'"`
	Break    bool       `parser:"| @'break'"`
	Continue bool       `parser:"| @'continue'"`
	Assert   *gAssert   `parser:"| 'assert' @@"`
	Import   *gImport   `parser:"| 'import' @@"`
	From     *gFrom     `parser:"| 'from' @@"`
}

type gReturn struct {
	Value *gExprList `parser:"@@?"`
}

type gAssert struct {
	Cond *gExpr `parser:"@@"`
	Msg  *gExpr `parser:"(',' @@)?"`
}

type gImport struct {
	Modules []*gImportAs `parser:"@@ (',' @@)*"`
}

type gImportAs struct {
	Pos    lexer.Position
	Module string `parser:"@(Ident ('.' Ident)*)"`
	Alias  string `parser:"('as' @Ident)?"`
}

type gFrom struct {
	Module string      `parser:"@(Ident ('.' Ident)*)"`
	Names  *gFromNames `parser:"'import' @@"`
}

type gFromNames struct {
	Paren  bool           `parser:"( @'('"`
	PFirst *gImportName   `parser:"  @@"`
	PRest  []*gImportItem `parser:"  @@* ')'"`
	First  *gImportName   `parser:"| @@"`
	Rest   []*gImportItem `parser:"  @@* )"`
}

type gImportName struct {
	Pos   lexer.Position
	Name  string `parser:"@Ident"`
	Alias string `parser:"('as' @Ident)?"`
}

type gImportItem struct {
	Pos  lexer.Position
	Name *gImportName `parser:"',' @@?"`
}

type gExprStmt struct {
	Pos    lexer.Position
	Target *gExprList    `parser:"@@"`
	AugOp  *gAugOp       `parser:"( @@"`
	AugVal *gExprList    `parser:"  @@"`
	Assign []*gAssignRHS `parser:"| @@+ )?"`
}

type gAssignRHS struct {
	Value *gExprList `parser:"'=' @@"`
}

// ---- compound statements ----

type gIf struct {
	Cond  *gExpr   `parser:"@@ ':'"`
	Body  *gSuite  `parser:"@@"`
	Elifs []*gElif `parser:"@@*"`
	Else  *gElse   `parser:"@@?"`
}

type gElif struct {
	Pos  lexer.Position
	Cond *gExpr  `parser:"'elif' @@ ':'"`
	Body *gSuite `parser:"@@"`
}

type gElse struct {
	Body *gSuite `parser:"'else' ':' @@"`
}

type gFor struct {
	Target *gTargets  `parser:"@@ 'in'"`
	Iter   *gExprList `parser:"@@ ':'"`
	Body   *gSuite    `parser:"@@"`
}

type gWhile struct {
	Cond *gExpr  `parser:"@@ ':'"`
	Body *gSuite `parser:"@@"`
}

type gDef struct {
	Name   string        `parser:"@Ident '('"`
	First  *gParam       `parser:"( @@"`
	Rest   []*gParamItem `parser:"  @@* )? ')'"`
	Result *gType        `parser:"( '->' @@ )? ':'"`
	Body   *gSuite       `parser:"@@"`
}

type gParam struct {
	Pos     lexer.Position
	Name    string `parser:"@Ident"`
	Type    *gType `parser:"( ':' @@ )?"`
	Default *gExpr `parser:"( '=' @@ )?"`
}

type gParamItem struct {
	Pos   lexer.Position
	Param *gParam `parser:"',' @@?"`
}

type gType struct {
	Pos    lexer.Position
	Name   string       `parser:"(  @Ident"`
	Vector bool         `parser:"   @( '[' ']' )?"`
	First  *gType       `parser:"| '(' @@"`
	Rest   []*gTypeItem `parser:"  @@* ')' )"`
}

type gTypeItem struct {
	Pos  lexer.Position
	Type *gType `parser:"',' @@?"`
}

type gSuite struct {
	Block  []*gStmt     `parser:"  Newline Indent @@+ Dedent"`
	Simple *gSimpleLine `parser:"| @@"`
}

// gTargets is the target of `for` and of a comprehension.
type gTargets struct {
	Pos   lexer.Position
	First *gOpExpr       `parser:"@@"`
	Rest  []*gTargetItem `parser:"@@*"`
}

type gTargetItem struct {
	Pos lexer.Position
	X   *gOpExpr `parser:"',' @@?"`
}

// ---- expressions ----

// gExprList is `expr ("," expr?)*`: one expression, or a tuple.
type gExprList struct {
	Pos   lexer.Position
	First *gExpr    `parser:"@@"`
	Rest  []*gComma `parser:"@@*"`
}

type gComma struct {
	Pos lexer.Position
	X   *gExpr `parser:"',' @@?"`
}

// gExpr is `operand (op operand)* [if cond else else_]`: a binary
// expression as a flat list, optionally the Then of a conditional.
type gExpr struct {
	Pos  lexer.Position
	Head *gOperand  `parser:"@@"`
	Tail []*gOpTail `parser:"@@*"`
	Cond *gOpExpr   `parser:"( 'if' @@"`
	Else *gExpr     `parser:"  'else' @@ )?"`
}

// gOpExpr is a binary expression without a conditional (Python's or_test),
// for conditions of conditional expressions and comprehension iterables.
type gOpExpr struct {
	Pos  lexer.Position
	Head *gOperand  `parser:"@@"`
	Tail []*gOpTail `parser:"@@*"`
}

type gOpTail struct {
	Op *gBinOp   `parser:"@@"`
	X  *gOperand `parser:"@@"`
}

// gOperand is an atom with its unary operators and trailers (calls,
// subscripts, attributes), all in one struct: every struct level costs the
// reflective parser an allocation per operand.
type gOperand struct {
	Pos      lexer.Position
	Prefix   *gPrefixOps `parser:"@@?"`
	Name     *string     `parser:"(  @Ident"`
	Number   *string     `parser:" | @Number"`
	Str      []string    `parser:" | @String+"`
	Paren    *gParen     `parser:" | '(' @@ ')'"`
	List     *gList      `parser:" | '[' @@ ']'"`
	True     bool        `parser:" | @'True'"`
	False    bool        `parser:" | @'False' )"`
	Trailers []*gTrailer `parser:"@@*"`
}

type gTrailer struct {
	Call  *gArgs      `parser:"  '(' @@ ')'"`
	Index *gSubscript `parser:"| '[' @@ ']'"`
	Attr  *string     `parser:"| '.' @Ident"`
}

type gArgs struct {
	First *gArg       `parser:"( @@"`
	Rest  []*gArgItem `parser:"  @@* )?"`
}

type gArg struct {
	Pos   lexer.Position
	X     *gExpr `parser:"@@"`
	Value *gExpr `parser:"( '=' @@ )?"`
}

type gArgItem struct {
	Pos lexer.Position
	Arg *gArg `parser:"',' @@?"`
}

type gSubscript struct {
	Pos   lexer.Position
	Lo    *gExpr      `parser:"@@?"`
	Slice *gSliceRest `parser:"@@?"`
}

type gSliceRest struct {
	Hi   *gExpr      `parser:"':' @@?"`
	Step *gSliceStep `parser:"@@?"`
}

type gSliceStep struct {
	Step *gExpr `parser:"':' @@?"`
}

type gParen struct {
	List *gExprList `parser:"@@?"`
}

type gList struct {
	First *gExpr    `parser:"( @@"`
	Comp  *gComp    `parser:"  @@?"`
	Rest  []*gComma `parser:"  @@* )?"`
}

type gComp struct {
	Target *gTargets `parser:"'for' @@ 'in'"`
	Iter   *gOpExpr  `parser:"@@"`
}

// Operator tokens are matched by the Parseable types below: a single map
// look-up instead of a participle disjunction of literals, which would try
// (and allocate a branch for) each of twenty operators in turn.

// gBinOp is one binary operator.
type gBinOp struct {
	Pos lexer.Position
	Op  string
}

func (o *gBinOp) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if _, ok := binPrec[t.Value]; !ok || (t.Type != tPunct && t.Type != tKeyword) {
		return participle.NextMatch
	}
	lex.Next()
	o.Pos, o.Op = t.Pos, t.Value
	return nil
}

// gPrefixOps is one or more unary operators: - + ~ not. Next is the
// position of the token after them.
type gPrefixOps struct {
	Ops  []lexer.Token
	Next lexer.Position
}

func (o *gPrefixOps) Parse(lex *lexer.PeekingLexer) error {
	for {
		t := lex.Peek()
		switch {
		case t.Type == tPunct && (t.Value == "-" || t.Value == "+" || t.Value == "~"),
			t.Type == tKeyword && t.Value == "not":
			o.Ops = append(o.Ops, *lex.Next())
			continue
		}
		break
	}
	if len(o.Ops) == 0 {
		return participle.NextMatch
	}
	o.Next = lex.Peek().Pos
	return nil
}

// gAugOp is an augmented assignment operator such as +=.
type gAugOp struct {
	Op string
}

func (o *gAugOp) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if _, ok := augOps[t.Value]; !ok || t.Type != tPunct {
		return participle.NextMatch
	}
	lex.Next()
	o.Op = t.Value
	return nil
}

var chunkParser = participle.MustBuild[gChunk](
	participle.Lexer(mpcsLexer),
	participle.UseLookahead(0),
)
