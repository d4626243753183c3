package lang

import (
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// baseLexer splits the source into the raw tokens of LANGUAGE.md §2. It knows
// nothing about lines or indentation: the indentLexer below wraps it and turns
// its NL tokens into NEWLINE, INDENT and DEDENT.
//
// Rules are tried in order, so the frequent ones come first (operators are
// split in three rules only to keep each regular expression cheap; the
// wrapper gives them one token type). Lower-case rules
// are dropped by participle's lexer (whitespace, comments, `\` line joins).
// Keywords are lexed as Ident and re-typed by the wrapper, which is cheaper
// than one more regular expression per token. Number is deliberately loose
// (`0x`, `1_`, `12abc` are one token) so that the wrapper can say precisely
// what is wrong with a malformed literal instead of splitting it. BadString and
// Invalid catch everything else, so the base lexer itself never fails.
var baseLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "whitespace", Pattern: `[ \t\f\r]+|\x{FEFF}`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct1", Pattern: `[~()\[\],:;]`},
	{Name: "Punct", Pattern: `\*\*?=?|//?=?|<<?=?|>>?=?|==?|!=|-[>=]?|[+%&|^]=?`},
	{Name: "NL", Pattern: `\n`},
	{Name: "Number", Pattern: `0[xXbBoO][0-9A-Za-z_]*|(?:[0-9]|\.[0-9])(?:[eE][+-]|[0-9A-Za-z_.])*`},
	{Name: "Dot", Pattern: `\.`},
	{Name: "String3", Pattern: `"""(?:\\(?s:.)|[^\\])*?"""|'''(?:\\(?s:.)|[^\\])*?'''`},
	{Name: "BadString3", Pattern: `"""(?s:.*)|'''(?s:.*)`},
	{Name: "String", Pattern: `"(?:\\(?:.|\n)|[^"\\\n])*"|'(?:\\(?:.|\n)|[^'\\\n])*'`},
	{Name: "comment", Pattern: `#[^\n]*`},
	{Name: "continuation", Pattern: `\\\r?\n`},
	{Name: "BadString", Pattern: `["'][^\n]*`},
	{Name: "Invalid", Pattern: `[^\x00-\x7f]+|.`},
})

// Token types. The base lexer's are looked up by name; the wrapper adds
// Keyword, Newline, Indent and Dedent below the smallest of them.
var (
	tEOF       = lexer.EOF
	tNL        = baseLexer.Symbols()["NL"]
	tIdent     = baseLexer.Symbols()["Ident"]
	tNumber    = baseLexer.Symbols()["Number"]
	tPunct     = baseLexer.Symbols()["Punct"]
	tPunct1    = baseLexer.Symbols()["Punct1"]
	tDot       = baseLexer.Symbols()["Dot"]
	tString    = baseLexer.Symbols()["String"]
	tBadString = baseLexer.Symbols()["BadString"]
	tString3   = baseLexer.Symbols()["String3"]
	tBad3      = baseLexer.Symbols()["BadString3"]
	tInvalid   = baseLexer.Symbols()["Invalid"]
	tKeyword   lexer.TokenType
	tNewline   lexer.TokenType
	tIndent    lexer.TokenType
	tDedent    lexer.TokenType
)

// mpcsLexer is the participle lexer.Definition of the language: the base
// lexer wrapped by the indentation logic.
var mpcsLexer = newIndentLexerDef()

func newIndentLexerDef() *indentLexerDef {
	syms := map[string]lexer.TokenType{}
	lowest := lexer.EOF
	for name, t := range baseLexer.Symbols() {
		syms[name] = t
		if t < lowest {
			lowest = t
		}
	}
	tKeyword, tNewline, tIndent, tDedent = lowest-1, lowest-2, lowest-3, lowest-4
	syms["Keyword"] = tKeyword
	syms["Newline"] = tNewline
	syms["Indent"] = tIndent
	syms["Dedent"] = tDedent
	return &indentLexerDef{symbols: syms}
}

var keywords = map[string]bool{
	"def": true, "return": true, "if": true, "elif": true, "else": true,
	"for": true, "in": true, "while": true, "break": true, "continue": true,
	"pass": true, "and": true, "or": true, "not": true, "import": true,
	"from": true, "as": true, "assert": true, "True": true, "False": true,
}

var compoundKeywords = map[string]bool{
	"if": true, "elif": true, "else": true, "for": true, "while": true, "def": true,
}

// Limits that keep the recursive-descent parser's stack bounded on hostile
// input (CPython has the same kind of limits).
const (
	maxBracketDepth = 200
	maxIndentDepth  = 100
	maxLineIfs      = 200 // conditional expressions (`a if c else b`) in one logical line
	maxNumberLen    = 1000
	maxExponent     = 5000 // of a decimal literal, after moving the point to the right
)

// indentLexerDef implements lexer.Definition for participle.
type indentLexerDef struct {
	symbols map[string]lexer.TokenType
}

func (d *indentLexerDef) Symbols() map[string]lexer.TokenType { return d.symbols }

// Lex tokenizes the whole input; the first diagnostic, if any, is returned as
// a participle error. Parse does not go through here (it needs every
// diagnostic and the statement boundaries), but the definition is complete so
// that the grammar can be used with participle's own entry points.
func (d *indentLexerDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	res := tokenize(filename, src)
	if len(res.errs) > 0 {
		e := res.errs[0].err
		return nil, participle.Errorf(lexer.Position{Filename: filename, Line: e.Pos.Line, Column: e.Pos.Col}, "%s", e.Msg)
	}
	return &sliceLexer{toks: res.toks}, nil
}

// sliceLexer replays a token slice; the last token must be EOF.
type sliceLexer struct {
	toks []lexer.Token
	i    int
}

func (s *sliceLexer) Next() (lexer.Token, error) {
	t := s.toks[s.i]
	if s.i < len(s.toks)-1 {
		s.i++
	}
	return t, nil
}

// lexError is a diagnostic of the tokenizer; at is the number of tokens
// emitted when it was found, which tells Parse which statement it spoils.
// A statement with a fatal error (nesting beyond the limits) is not parsed
// at all, which keeps the parser's recursion bounded.
type lexError struct {
	err   *Error
	at    int
	fatal bool
}

// tokenized is the output of tokenize.
type tokenized struct {
	toks   []lexer.Token // ends with EOF
	starts []int         // index in toks of the first token of each top-level statement
	errs   []lexError
}

type indentLevel struct {
	col     int
	phantom bool // pushed only to recover from an indentation error: no INDENT/DEDENT
}

type bracket struct {
	ch  byte
	pos lexer.Position
}

// indenter turns the base lexer's tokens into the logical-line token stream.
type indenter struct {
	file       string
	src        []byte
	lineStarts []int // byte offset of the start of each line

	out    []lexer.Token
	starts []int
	errs   []lexError

	indents   []indentLevel
	realDepth int // number of non-phantom levels above the base one
	brackets  []bracket

	lineTokens int         // significant tokens on the current logical line
	lineFirst  lexer.Token // first token of the current logical line
	lineLast   lexer.Token // last token of the current logical line
	lineIfs    int

	// The previous logical line ended with ":" and so must be followed by
	// an indented block.
	wantBlock  bool
	blockOwner lexer.Token // first token of that line, for the message
	// The previous logical line starts like a compound statement but does
	// not end with ":". An indented line after it is taken as its body, so
	// that the parser reports the missing colon rather than an indent.
	colonless bool
}

// tokenize lexes src completely, collecting every lexical and indentation
// error rather than stopping at the first.
func tokenize(file string, src []byte) tokenized {
	ix := &indenter{file: file, src: src, indents: []indentLevel{{col: 0}}}
	ix.lineStarts = append(ix.lineStarts, 0)
	for i, c := range src {
		if c == '\n' {
			ix.lineStarts = append(ix.lineStarts, i+1)
		}
	}
	ix.out = make([]lexer.Token, 0, len(src)/3+8)
	lx, err := baseLexer.LexString(file, string(src))
	if err != nil { // cannot happen: LexString never fails
		ix.errorf(lexer.Position{Filename: file, Line: 1, Column: 1}, "", "%v", err)
		return ix.finish(lexer.Position{Filename: file, Offset: len(src), Line: len(ix.lineStarts), Column: 1})
	}
	for {
		t, err := lx.Next()
		if err != nil {
			// Cannot happen either (Invalid matches any character), but if
			// it did we stop lexing here with a diagnostic.
			pos := lexer.Position{Filename: file, Line: 1, Column: 1}
			if perr, ok := err.(participle.Error); ok {
				pos = ix.fixPos(perr.Position())
			}
			ix.errorf(pos, "", "%s", err.Error())
			return ix.finish(ix.eofPos())
		}
		t.Pos = ix.fixPos(t.Pos)
		switch t.Type {
		case tEOF:
			return ix.finish(t.Pos)
		case tNL:
			ix.newline(t)
		case tInvalid:
			ix.invalid(t)
		case tBad3:
			ix.errorf(t.Pos, "close it with "+t.Value[:3], "unterminated triple-quoted string")
			t.Type = tString
			ix.token(t)
		case tBadString:
			ix.errorf(t.Pos, "close it with "+t.Value[:1]+" on the same line", "unterminated string literal")
			t.Type = tString
			ix.token(t)
		case tString3:
			t.Type = tString
			ix.token(t)
		case tPunct1, tDot:
			t.Type = tPunct
			ix.token(t)
		default:
			ix.token(t)
		}
	}
}

func (ix *indenter) eofPos() lexer.Position {
	return ix.posAt(len(ix.src))
}

// posAt returns the position of a byte offset.
func (ix *indenter) posAt(off int) lexer.Position {
	lo, hi := 0, len(ix.lineStarts)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ix.lineStarts[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lexer.Position{Filename: ix.file, Offset: off, Line: lo + 1, Column: off - ix.lineStarts[lo] + 1}
}

// fixPos recomputes the column in bytes (participle counts runes).
func (ix *indenter) fixPos(p lexer.Position) lexer.Position {
	if p.Line >= 1 && p.Line <= len(ix.lineStarts) && p.Offset >= ix.lineStarts[p.Line-1] {
		p.Column = p.Offset - ix.lineStarts[p.Line-1] + 1
		return p
	}
	return ix.posAt(p.Offset)
}

func (ix *indenter) toPos(p lexer.Position) Pos {
	return Pos{File: ix.file, Line: p.Line, Col: p.Column}
}

func (ix *indenter) errorf(p lexer.Position, hint, format string, args ...any) {
	ix.errs = append(ix.errs, lexError{
		err: &Error{Pos: ix.toPos(p), Msg: fmt.Sprintf(format, args...), Hint: hint},
		at:  len(ix.out),
	})
}

func (ix *indenter) fatalf(p lexer.Position, hint, format string, args ...any) {
	ix.errorf(p, hint, format, args...)
	ix.errs[len(ix.errs)-1].fatal = true
}

func (ix *indenter) emit(typ lexer.TokenType, value string, pos lexer.Position) {
	ix.out = append(ix.out, lexer.Token{Type: typ, Value: value, Pos: pos})
}

func (ix *indenter) invalid(t lexer.Token) {
	r, size := utf8.DecodeRuneInString(t.Value)
	switch {
	case t.Value == "!":
		ix.errorf(t.Pos, `write "not x" for negation and "!=" for inequality`, `invalid character "!"`)
	case t.Value == "{" || t.Value == "}":
		ix.errorf(t.Pos, "dictionaries and sets are not part of the language", "invalid character %q", t.Value)
	case t.Value == "\\":
		ix.errorf(t.Pos, "a backslash joins lines only as the last character of a line", `unexpected "\"`)
	case r == utf8.RuneError && size == 1:
		ix.errorf(t.Pos, "source files must be UTF-8", "invalid UTF-8 byte 0x%02x", t.Value[0])
	case r < 0x80 && (r < 0x20 || r == 0x7f):
		ix.errorf(t.Pos, "", "invalid control character U+%04X", r)
	case r < 0x80:
		ix.errorf(t.Pos, "", "invalid character %q", t.Value)
	default:
		ix.errorf(t.Pos, "names and operators are ASCII", "invalid character %q (U+%04X)", string(r), r)
	}
}

// newline ends the logical line unless inside brackets or on a blank line.
func (ix *indenter) newline(t lexer.Token) {
	if len(ix.brackets) > 0 || ix.lineTokens == 0 {
		return
	}
	ix.endLine(t.Pos)
}

func (ix *indenter) endLine(pos lexer.Position) {
	ix.emit(tNewline, "\n", pos)
	ix.wantBlock = ix.lineLast.Type == tPunct && ix.lineLast.Value == ":"
	ix.blockOwner = ix.lineFirst
	ix.colonless = !ix.wantBlock && ix.lineFirst.Type == tKeyword && compoundKeywords[ix.lineFirst.Value]
	ix.lineTokens = 0
	ix.lineIfs = 0
}

// token emits a significant token, handling indentation first if it starts a
// logical line.
func (ix *indenter) token(t lexer.Token) {
	if ix.lineTokens == 0 {
		ix.indentation(t)
	}
	switch t.Type {
	case tIdent:
		if keywords[t.Value] {
			t.Type = tKeyword
			if t.Value == "if" {
				ix.lineIfs++
				if ix.lineIfs == maxLineIfs+1 {
					ix.fatalf(t.Pos, "split the expression into several statements", "too many nested conditional expressions")
				}
			}
		}
	case tNumber:
		if _, _, msg, hint := parseNumber(t.Value); msg != "" {
			ix.errorf(t.Pos, hint, "%s", msg)
		}
	case tString:
		for _, e := range checkString(t.Value) {
			p := ix.posAt(t.Pos.Offset + e.off)
			ix.errorf(p, e.hint, "%s", e.msg)
		}
	case tPunct:
		ix.punct(t)
	}
	if ix.lineTokens == 0 {
		ix.lineFirst = t
	}
	ix.lineTokens++
	ix.lineLast = t
	ix.out = append(ix.out, t)
}

func (ix *indenter) punct(t lexer.Token) {
	switch t.Value {
	case "(", "[":
		ix.brackets = append(ix.brackets, bracket{ch: t.Value[0], pos: t.Pos})
		if len(ix.brackets) == maxBracketDepth+1 {
			ix.fatalf(t.Pos, "split the expression into several statements", "too many nested parentheses")
		}
	case ")", "]":
		if len(ix.brackets) == 0 {
			ix.errorf(t.Pos, "", "unmatched %q", t.Value)
			return
		}
		open := ix.brackets[len(ix.brackets)-1]
		ix.brackets = ix.brackets[:len(ix.brackets)-1]
		if want := closing(open.ch); want != t.Value {
			ix.errorf(t.Pos, fmt.Sprintf("the bracket opened on line %d needs %q", open.pos.Line, want),
				"closing %q does not match opening %q", t.Value, string(open.ch))
		}
	}
}

func closing(open byte) string {
	if open == '(' {
		return ")"
	}
	return "]"
}

// indentation handles the indentation of the first token t of a logical
// line: it emits INDENT/DEDENT tokens, reports indentation errors, and marks
// the start of top-level statements.
func (ix *indenter) indentation(t lexer.Token) {
	lineStart := ix.lineStarts[t.Pos.Line-1]
	col := 0
	reportedTab := false
	for off := lineStart; off < t.Pos.Offset; off++ {
		switch ix.src[off] {
		case ' ':
			col++
		case '\t':
			if !reportedTab {
				ix.errorf(ix.posAt(off), "indent with spaces", "tab in indentation")
				reportedTab = true
			}
			col = col/8*8 + 8
		case '\f':
			col = 0
		default: // a byte-order mark or a joined line: not indentation
		}
	}
	wantBlock, colonless := ix.wantBlock, ix.colonless
	ix.wantBlock, ix.colonless = false, false
	top := ix.indents[len(ix.indents)-1]
	switch {
	case col > top.col:
		if wantBlock || colonless {
			if ix.realDepth >= maxIndentDepth {
				ix.errorf(t.Pos, "move the inner code into a function", "too many levels of indentation")
				ix.indents = append(ix.indents, indentLevel{col: col, phantom: true})
				return
			}
			ix.indents = append(ix.indents, indentLevel{col: col})
			ix.realDepth++
			ix.emit(tIndent, "", t.Pos)
			return
		}
		ix.errorf(t.Pos, "indent only the body of a statement that ends with \":\"", "unexpected indent")
		ix.indents = append(ix.indents, indentLevel{col: col, phantom: true})
	case col < top.col:
		if wantBlock {
			ix.missingBlock(t.Pos)
		}
		for len(ix.indents) > 1 && ix.indents[len(ix.indents)-1].col > col {
			lv := ix.indents[len(ix.indents)-1]
			ix.indents = ix.indents[:len(ix.indents)-1]
			if !lv.phantom {
				ix.realDepth--
				ix.emit(tDedent, "", t.Pos)
			}
		}
		if ix.indents[len(ix.indents)-1].col != col {
			ix.errorf(t.Pos, "indent to the same column as an enclosing block",
				"unindent does not match any outer indentation level")
			ix.indents = append(ix.indents, indentLevel{col: col, phantom: true})
		}
	default:
		if wantBlock {
			ix.missingBlock(t.Pos)
		}
	}
	if ix.realDepth == 0 && !(t.Type == tIdent && (t.Value == "elif" || t.Value == "else")) {
		ix.starts = append(ix.starts, len(ix.out))
	}
}

func (ix *indenter) missingBlock(pos lexer.Position) {
	owner := ix.blockOwner
	what := ""
	if owner.Type == tKeyword {
		switch owner.Value {
		case "def":
			what = "function definition"
		case "if", "elif", "else", "for", "while":
			what = fmt.Sprintf("%q statement", owner.Value)
		}
	}
	if what == "" {
		ix.errorf(pos, "indent the body with spaces", "expected an indented block")
		return
	}
	ix.errorf(pos, "indent the body with spaces", "expected an indented block after %s on line %d", what, owner.Pos.Line)
}

// finish ends the last line, closes blocks and appends EOF.
func (ix *indenter) finish(eof lexer.Position) tokenized {
	for _, b := range ix.brackets {
		ix.errorf(b.pos, fmt.Sprintf("close it with %q", closing(b.ch)), "%q was never closed", string(b.ch))
	}
	if ix.lineTokens > 0 {
		ix.endLine(eof)
	}
	if ix.wantBlock {
		ix.missingBlock(eof)
	}
	for ; ix.realDepth > 0; ix.realDepth-- {
		ix.emit(tDedent, "", eof)
	}
	ix.emit(tEOF, "", eof)
	return tokenized{toks: ix.out, starts: ix.starts, errs: ix.errs}
}

// ---- literals ----

// parseNumber validates and converts a number token: exactly one of iv, dv is
// set, or msg says what is wrong (hint says what to write instead).
func parseNumber(text string) (iv *big.Int, dv *big.Rat, msg, hint string) {
	if len(text) >= 2 && text[0] == '0' && strings.ContainsRune("xXbBoO", rune(text[1])) {
		base, kind, example := 16, "hexadecimal", "0xff"
		switch text[1] {
		case 'b', 'B':
			base, kind, example = 2, "binary", "0b1010"
		case 'o', 'O':
			base, kind, example = 8, "octal", "0o17"
		}
		digits, ok := cleanDigits(text[2:], base, true)
		if !ok {
			return nil, nil, fmt.Sprintf("invalid %s literal %q", kind, text),
				fmt.Sprintf("write %s digits after the prefix, as in %s, optionally separated by single underscores", kind, example)
		}
		v, ok := new(big.Int).SetString(digits, base)
		if !ok {
			return nil, nil, fmt.Sprintf("invalid %s literal %q", kind, text), ""
		}
		return v, nil, "", ""
	}
	// Decimal: digits [. digits] [e [+-] digits], underscores between digits.
	if len(text) > maxNumberLen {
		return nil, nil, fmt.Sprintf("number literal of %d characters is too long", len(text)), ""
	}
	mant, frac, exp := text, "", ""
	hasDot, hasExp := false, false
	if i := strings.IndexAny(mant, "eE"); i >= 0 {
		mant, exp, hasExp = mant[:i], mant[i+1:], true
	}
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		mant, frac, hasDot = mant[:i], mant[i+1:], true
	}
	bad := func() (*big.Int, *big.Rat, string, string) {
		return nil, nil, fmt.Sprintf("invalid number literal %q", text),
			"write integers as 42, 1_000, 0xff, 0b1010, 0o17 and decimals as 3.25, .5, 1e-3"
	}
	intDigits, ok := cleanDigits(mant, 10, false)
	if !ok {
		return bad()
	}
	fracDigits, ok := cleanDigits(frac, 10, false)
	if !ok || intDigits == "" && fracDigits == "" {
		return bad()
	}
	if !hasDot && !hasExp {
		if len(intDigits) > 1 && intDigits[0] == '0' && strings.Trim(intDigits, "0") != "" {
			return nil, nil, fmt.Sprintf("invalid number literal %q: leading zeros are not permitted", text),
				"use the 0o prefix for an octal number"
		}
		v, _ := new(big.Int).SetString(intDigits, 10)
		return v, nil, "", ""
	}
	e := 0
	if hasExp {
		sign := 1
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			if exp[0] == '-' {
				sign = -1
			}
			exp = exp[1:]
		}
		expDigits, ok := cleanDigits(exp, 10, false)
		if !ok || expDigits == "" {
			return bad()
		}
		expDigits = strings.TrimLeft(expDigits, "0")
		if len(expDigits) > 4 {
			return nil, nil, fmt.Sprintf("number literal %q is out of range", text), ""
		}
		for _, c := range expDigits {
			e = e*10 + int(c-'0')
		}
		e *= sign
	}
	// value = intDigits.fracDigits * 10^e, exactly.
	num, _ := new(big.Int).SetString(intDigits+fracDigits+"0", 10) // "+0" keeps it non-empty
	num.Quo(num, big.NewInt(10))
	e -= len(fracDigits)
	if e < -maxExponent || e > maxExponent {
		return nil, nil, fmt.Sprintf("number literal %q is out of range", text), ""
	}
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil)
	r := new(big.Rat)
	if e >= 0 {
		r.SetInt(num.Mul(num, pow))
	} else {
		r.SetFrac(num, pow)
	}
	return nil, r, "", ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// cleanDigits checks that s is digits of the base, optionally separated by
// single underscores (and, after a base prefix, starting with one), and
// returns them without underscores.
func cleanDigits(s string, base int, prefixed bool) (string, bool) {
	if s == "" {
		return "", !prefixed
	}
	var b strings.Builder
	prevUnderscore := !prefixed // a leading '_' is allowed only after 0x
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			if prevUnderscore {
				return "", false
			}
			prevUnderscore = true
			continue
		}
		if digitVal(c) >= base {
			return "", false
		}
		prevUnderscore = false
		b.WriteByte(c)
	}
	if prevUnderscore || b.Len() == 0 {
		return "", false
	}
	return b.String(), true
}

func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}

type stringError struct {
	off       int
	msg, hint string
}

// checkString reports the invalid escapes of a string token.
func checkString(raw string) []stringError {
	_, errs := unquote(raw)
	return errs
}

// unquote returns the value of a string token ("...", '...', """...""" or
// ”'...”') and the problems of its escape sequences. It accepts malformed
// (unterminated) tokens too, taking whatever follows the opening quote.
func unquote(raw string) (string, []stringError) {
	q := 1
	if strings.HasPrefix(raw, `"""`) || strings.HasPrefix(raw, `'''`) {
		q = 3
	}
	if len(raw) < q {
		return "", nil
	}
	quote := raw[:q]
	body := raw[q:]
	end := len(body)
	if len(body) >= q && strings.HasSuffix(body, quote) && (q == 1 || len(raw) >= 6) {
		end = len(body) - q
	}
	body = body[:end]
	if !strings.ContainsRune(body, '\\') && !strings.ContainsRune(body, '\r') {
		return body, nil
	}
	var b strings.Builder
	var errs []stringError
	for i := 0; i < len(body); {
		c := body[i]
		if c == '\r' && i+1 < len(body) && body[i+1] == '\n' { // normalise CRLF
			i++
			continue
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(body) {
			b.WriteByte('\\')
			break
		}
		at := q + i
		e := body[i+1]
		i += 2
		switch e {
		case '\n':
		case '\r':
			if i < len(body) && body[i] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for k := 0; k < 2 && i < len(body) && body[i] >= '0' && body[i] <= '7'; k++ {
				v = v*8 + int(body[i]-'0')
				i++
			}
			if v > 0xff {
				errs = append(errs, stringError{at, fmt.Sprintf(`octal escape value \%o out of range`, v), ""})
				continue
			}
			b.WriteRune(rune(v))
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+n > len(body) || !isHex(body[i:i+n]) {
				errs = append(errs, stringError{at, fmt.Sprintf(`truncated \%c escape`, e),
					fmt.Sprintf(`\%c takes exactly %d hexadecimal digits`, e, n)})
				continue
			}
			v, _ := new(big.Int).SetString(body[i:i+n], 16)
			i += n
			r := rune(v.Int64())
			if !utf8.ValidRune(r) {
				errs = append(errs, stringError{at, fmt.Sprintf(`invalid character U+%X in \%c escape`, v.Int64(), e), ""})
				continue
			}
			b.WriteRune(r)
		default:
			r, _ := utf8.DecodeRuneInString(body[i-1:])
			errs = append(errs, stringError{at, fmt.Sprintf(`invalid escape sequence "\%c"`, r),
				`write "\\" for a backslash`})
		}
	}
	return b.String(), errs
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if digitVal(s[i]) >= 16 {
			return false
		}
	}
	return true
}
