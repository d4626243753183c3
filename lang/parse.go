package lang

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Parse parses one .mpcs file. It always returns a Module (File and Source
// set; Body holds every top-level statement that parsed) and the list of
// diagnostics sorted by position, nil if there are none. It reports every
// lexical and indentation error, and at least one syntax error per
// top-level statement that has one. It never panics.
func Parse(file string, src []byte) (mod *Module, errs ErrorList) {
	mod = &Module{File: file, Source: src}
	defer func() {
		if r := recover(); r != nil {
			errs = append(errs, &Error{
				Pos:  Pos{File: file, Line: 1, Col: 1},
				Msg:  fmt.Sprintf("internal error in the parser: %v", r),
				Hint: "please report this with the file that caused it",
			})
		}
		errs.Sort()
		if len(errs) == 0 {
			errs = nil
		}
	}()

	tk := tokenize(file, src)
	starts := tk.starts
	last := len(tk.toks) - 1 // the EOF token
	if last > 0 && (len(starts) == 0 || starts[0] != 0) {
		starts = append([]int{0}, starts...)
	}
	chunkOf := func(i int) int { // the statement that token i belongs to
		return sort.Search(len(starts), func(c int) bool { return starts[c] > i }) - 1
	}
	dirty := make([]bool, len(starts)) // has a lexical error: report no syntax error
	skip := make([]bool, len(starts))  // has a fatal lexical error: do not parse
	for _, e := range tk.errs {
		errs = append(errs, e.err)
		for _, i := range []int{e.at - 1, e.at} {
			if c := chunkOf(i); c >= 0 && c < len(dirty) {
				dirty[c] = true
				skip[c] = skip[c] || e.fatal && i == e.at
			}
		}
	}

	l := &lowerer{file: file}
	buf := make([]lexer.Token, 0, 64)
	for c, lo := range starts {
		if skip[c] {
			continue
		}
		hi := last
		if c+1 < len(starts) {
			hi = starts[c+1]
		}
		buf = append(buf[:0], tk.toks[lo:hi]...)
		buf = append(buf, lexer.Token{Type: lexer.EOF, Pos: tk.toks[hi].Pos})
		peek, err := lexer.Upgrade(&sliceLexer{toks: buf})
		if err != nil {
			errs = append(errs, &Error{Pos: l.pos(buf[0].Pos), Msg: err.Error()})
			continue
		}
		g, err := chunkParser.ParseFromLexer(peek)
		if err != nil {
			if !dirty[c] {
				errs = append(errs, syntaxError(file, err, buf))
			}
			continue
		}
		body := l.stmt(g.Stmt)
		if c == 0 { // only the file's first statement can be its docstring
			mod.Doc, body = docstring(body)
		}
		mod.Body = append(mod.Body, body...)
	}
	errs = append(errs, l.errs...)
	return mod, errs
}

// ---- syntax errors ----

// syntaxError turns a participle error into a diagnostic a user can read.
// toks are the tokens of the statement being parsed.
func syntaxError(file string, err error, toks []lexer.Token) *Error {
	topos := func(p lexer.Position) Pos { return Pos{File: file, Line: p.Line, Col: p.Column} }
	var ute *participle.UnexpectedTokenError
	if !errors.As(err, &ute) {
		var perr participle.Error
		if errors.As(err, &perr) {
			return &Error{Pos: topos(perr.Position()), Msg: "invalid syntax: " + perr.Message()}
		}
		return &Error{Pos: topos(toks[0].Pos), Msg: "invalid syntax: " + err.Error()}
	}
	tok := ute.Unexpected
	e := &Error{Pos: topos(tok.Pos)}
	expected := expectedText(ute)
	found := describeToken(tok)

	// Where is the token in the statement, and which line does it end?
	idx := len(toks) - 1
	for i, t := range toks {
		if t.Pos.Offset == tok.Pos.Offset && t.Type == tok.Type {
			idx = i
			break
		}
	}
	header := lineHeader(toks, idx)
	var prev lexer.Token
	if idx > 0 {
		prev = toks[idx-1]
	}

	if expected == "an expression" && prev.Type == tKeyword {
		switch prev.Value {
		case "for":
			expected = "a loop variable"
		case "def":
			expected = "a function name"
		case "import", "from":
			expected = "a module name"
		}
	}
	switch {
	case tok.Type == tKeyword && (tok.Value == "else" || tok.Value == "elif") && (idx == 0 || prev.Type == tDedent):
		e.Msg = "unexpected " + found
		e.Hint = tok.Value + ` must follow the body of an "if" at the same indentation`
		return e
	case idx == 0: // nothing of the statement parsed
		e.Msg = "unexpected " + found
		return e
	case expected == `":"` && header != "":
		e.Msg = fmt.Sprintf(`expected ":" after %s`, header)
		if tok.Value == "=" && tok.Type == tPunct {
			e.Hint = `use "==" to compare`
		}
		return e
	case tok.Type == tIndent:
		e.Msg = "unexpected indent"
		return e
	case expected == "":
		e.Msg = "unexpected " + found
	default:
		e.Msg = fmt.Sprintf("unexpected %s (expected %s)", found, expected)
	}
	switch {
	case tok.Value == "if" && tok.Type == tKeyword && expected == `"]"`:
		e.Hint = "a list comprehension has no if clause; select with where(cond, x, 0) or a where= mask"
	case (expected == `")"` || expected == `"]"`) && startsExpr(tok):
		e.Hint = "is a comma missing?"
	case expected == "end of line" && startsExpr(tok) && prev.Type != tNewline:
		e.Hint = "is an operator or a comma missing?"
	case expected == "end of line" && tok.Value == "=" && tok.Type == tPunct:
		e.Hint = `use "==" to compare`
	}
	return e
}

// expectedText renders what participle expected, from its message.
func expectedText(ute *participle.UnexpectedTokenError) string {
	msg := ute.Message()
	prefix := fmt.Sprintf("unexpected token %q (expected ", ute.Unexpected)
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, ")") {
		return ""
	}
	ebnf := msg[len(prefix) : len(msg)-1]
	switch {
	case strings.HasPrefix(ebnf, `"`):
		q, err := strconv.QuotedPrefix(ebnf)
		if err != nil {
			return ""
		}
		return q
	case strings.HasPrefix(ebnf, "(<ident>"): // the atom of an operand
		return "an expression"
	case strings.HasPrefix(ebnf, "<"):
		end := strings.IndexByte(ebnf, '>')
		if end < 0 {
			return ""
		}
		return tokenNames[ebnf[1:end]]
	}
	end := strings.IndexFunc(ebnf, func(r rune) bool {
		return !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if end < 0 {
		end = len(ebnf)
	}
	return productionNames[ebnf[:end]]
}

var tokenNames = map[string]string{
	"ident":   "a name",
	"newline": "end of line",
	"indent":  "an indented block",
	"dedent":  "end of block",
	"string":  "a string",
	"number":  "a number",
}

// productionNames describes the grammar structs (participle capitalises
// their names).
var productionNames = map[string]string{
	"GExprList":   "an expression",
	"GExpr":       "an expression",
	"GOpExpr":     "an expression",
	"GOperand":    "an expression",
	"GArg":        "an expression",
	"GStmt":       "a statement",
	"GSimpleLine": "a statement",
	"GSmall":      "a statement",
	"GSuite":      "a statement",
	"GType":       "a type",
	"GTargets":    "a loop variable",
	"GParam":      "a parameter",
	"GImportAs":   "a module name",
	"GImport":     "a module name",
	"GFrom":       "a module name",
	"GAssert":     "an expression",
	"GIf":         "an expression",
	"GWhile":      "an expression",
	"GFor":        "a loop variable",
	"GDef":        "a function name",
	"GFromNames":  "a name to import",
	"GImportName": "a name to import",
}

func describeToken(t lexer.Token) string {
	switch t.Type {
	case lexer.EOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tIndent:
		return "indent"
	case tDedent:
		return "end of block"
	case tString:
		v := t.Value
		if len(v) > 24 {
			v = v[:20] + "..."
		}
		return "string " + v
	}
	return strconv.Quote(t.Value)
}

// lineHeader names the compound statement header whose line contains token
// idx (for `expected ":" after ...`), or "".
func lineHeader(toks []lexer.Token, idx int) string {
	i := idx
	for i > 0 {
		t := toks[i-1].Type
		if t == tNewline || t == tIndent || t == tDedent {
			break
		}
		i--
	}
	if i >= len(toks) || toks[i].Type != tKeyword {
		return ""
	}
	switch toks[i].Value {
	case "if", "elif", "while":
		return toks[i].Value + " condition"
	case "for":
		return "for clause"
	case "else":
		return "else"
	case "def":
		return "function signature"
	}
	return ""
}

// startsExpr reports whether t can begin an expression.
func startsExpr(t lexer.Token) bool {
	switch t.Type {
	case tIdent, tNumber, tString:
		return true
	case tKeyword:
		return t.Value == "True" || t.Value == "False" || t.Value == "not"
	case tPunct:
		return t.Value == "(" || t.Value == "[" || t.Value == "-" || t.Value == "~"
	}
	return false
}
