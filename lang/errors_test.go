package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// errorLines parses src and renders its diagnostics as "line:col: msg".
func errorLines(t *testing.T, src string) []string {
	t.Helper()
	m, errs := Parse("e.mpcs", []byte(src))
	require.NotNil(t, m)
	var out []string
	for _, e := range errs {
		assert.Equal(t, "e.mpcs", e.Pos.File)
		out = append(out, fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg))
	}
	return out
}

func TestLexicalErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"tab", "if x:\n\tpass\n", []string{"2:1: tab in indentation"}},
		{"tab after spaces", "if x:\n  \tpass\n", []string{"2:3: tab in indentation"}},
		{"tab on every line", "if x:\n\ty = 1\n\tz = 2\n", []string{"2:1: tab in indentation", "3:1: tab in indentation"}},
		{"tab inside a line is fine", "x =\t1\n", nil},
		{"tab on a blank line is fine", "if x:\n    y = 1\n\t\n    z = 2\n", nil},
		{"bad dedent", "if x:\n    a = 1\n  b = 2\n", []string{"3:3: unindent does not match any outer indentation level"}},
		{"bad dedent nested", "def f(x):\n    if x:\n        return 1\n      return 2\n",
			[]string{"4:7: unindent does not match any outer indentation level"}},
		{"unexpected indent", "a = 1\n    b = 2\n", []string{"2:5: unexpected indent"}},
		{"unexpected indent in block", "if a:\n    b = 1\n        c = 2\n", []string{"3:9: unexpected indent"}},
		{"unexpected indent after one-line if", "if a: b = 1\n    c = 2\n", []string{"2:5: unexpected indent"}},
		{"missing block", "if x:\npass\n", []string{`2:1: expected an indented block after "if" statement on line 1`}},
		{"missing block at EOF", "while x:\n", []string{`2:1: expected an indented block after "while" statement on line 1`}},
		{"missing block in def", "def f(x):\nreturn x\n", []string{"2:1: expected an indented block after function definition on line 1"}},
		{"unterminated string", "x = \"abc\ny = 2\n", []string{"1:5: unterminated string literal"}},
		{"unterminated single-quoted string", "y = 1\nx = 'abc\n", []string{"2:5: unterminated string literal"}},
		{"unterminated triple-quoted string", "x = 1\ny = '''abc\n\nz = 2\n", []string{"2:5: unterminated triple-quoted string"}},
		{"bad hex", "x = 0x\n", []string{`1:5: invalid hexadecimal literal "0x"`}},
		{"bad hex digit", "x = 0xfg\n", []string{`1:5: invalid hexadecimal literal "0xfg"`}},
		{"bad binary", "x = 0b102\n", []string{`1:5: invalid binary literal "0b102"`}},
		{"bad octal", "x = 0o8\n", []string{`1:5: invalid octal literal "0o8"`}},
		{"trailing underscore", "x = 1_\n", []string{`1:5: invalid number literal "1_"`}},
		{"double underscore", "x = 1__0\n", []string{`1:5: invalid number literal "1__0"`}},
		{"letters in number", "x = 12abc\n", []string{`1:5: invalid number literal "12abc"`}},
		{"empty exponent", "x = 1e\n", []string{`1:5: invalid number literal "1e"`}},
		{"two dots", "x = 1.2.3\n", []string{`1:5: invalid number literal "1.2.3"`}},
		{"leading zero", "x = 012\n", []string{`1:5: invalid number literal "012": leading zeros are not permitted`}},
		{"huge exponent", "x = 1e99999999\n", []string{`1:5: number literal "1e99999999" is out of range`}},
		{"invalid character", "x = 1 $ 2\n", []string{`1:7: invalid character "$"`}},
		{"bang", "x = a ! b\n", []string{`1:7: invalid character "!"`}},
		{"non-ASCII", "x = é\n", []string{`1:5: invalid character "é" (U+00E9)`}},
		{"bad escape", "x = \"a\\qb\"\n", []string{`1:7: invalid escape sequence "\q"`}},
		{"short hex escape", "x = '\\x4'\n", []string{`1:6: truncated \x escape`}},
		{"unmatched close", "x = 1)\n", []string{`1:6: unmatched ")"`}},
		{"mismatched close", "x = [1, 2)\n", []string{`1:10: closing ")" does not match opening "["`}},
		{"never closed", "x = f(1,\n  2\n", []string{`1:6: "(" was never closed`}},
		{"stray backslash", "x = 1 \\ 2\n", []string{`1:7: unexpected "\"`}},
		{"every error of the file", "x = 'abc\nif y:\n\tz = 0x\nw = 1 $\n", []string{
			"1:5: unterminated string literal",
			"3:1: tab in indentation",
			`3:6: invalid hexadecimal literal "0x"`,
			`4:7: invalid character "$"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, errorLines(t, tt.src))
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"x = = 1\n", []string{`1:5: unexpected "=" (expected an expression)`}},
		{"if x = 3:\n    pass\n", []string{`1:6: expected ":" after if condition`}},
		{"if x\n    pass\n", []string{`1:5: expected ":" after if condition`}},
		{"while x\n    pass\n", []string{`1:8: expected ":" after while condition`}},
		{"for i in r\n    pass\n", []string{`1:11: expected ":" after for clause`}},
		{"def f(x)\n    pass\n", []string{`1:9: expected ":" after function signature`}},
		{"if x:\n    pass\nelse\n    pass\n", []string{`3:5: expected ":" after else`}},
		{"if x:\n    pass\nelif y\n    pass\n", []string{`3:7: expected ":" after elif condition`}},
		{"def f(x y):\n    pass\n", []string{`1:9: unexpected "y" (expected ")")`}},
		{"f(a b)\n", []string{`1:5: unexpected "b" (expected ")")`}},
		{"x = (1 + )\n", []string{`1:10: unexpected ")" (expected an expression)`}},
		{"x = 1 +\n", []string{`1:8: unexpected end of line (expected an expression)`}},
		{"x = -\n", []string{`1:6: unexpected end of line (expected an expression)`}},
		{"x ==\n", []string{`1:5: unexpected end of line (expected an expression)`}},
		{"for i range(3):\n    pass\n", []string{`1:7: unexpected "range" (expected "in")`}},
		{"for in x:\n    pass\n", []string{`1:5: unexpected "in" (expected a loop variable)`}},
		{"else:\n    pass\n", []string{`1:1: unexpected "else"`}},
		{"for i in r:\n    pass\nelse:\n    pass\n", []string{`3:1: unexpected "else"`}},
		{"if x:\n    pass\nelse:\n    pass\nelif y:\n    pass\n", []string{`5:1: unexpected "elif"`}},
		{"x = [i for i in r if i]\n", []string{`1:19: unexpected "if" (expected "]")`}},
		{"x = a if b\n", []string{`1:11: unexpected end of line (expected "else")`}},
		{"x = 1 2\n", []string{`1:7: unexpected "2" (expected end of line)`}},
		{"print 'x'\n", []string{`1:7: unexpected string 'x' (expected end of line)`}},
		{"return return\n", []string{`1:8: unexpected "return" (expected end of line)`}},
		{"import\n", []string{`1:7: unexpected end of line (expected a module name)`}},
		{"from m import\n", []string{`1:14: unexpected end of line (expected a name to import)`}},
		{"def (x):\n    pass\n", []string{`1:5: unexpected "(" (expected a function name)`}},
		{"def f() -> :\n    pass\n", []string{`1:12: unexpected ":" (expected a type)`}},
		{"def f(x: ):\n    pass\n", []string{`1:10: unexpected ")" (expected a type)`}},
		{"x = y[1:2:3:4]\n", []string{`1:12: unexpected ":" (expected "]")`}},
		{"x = f(\n\n)\ny = = 1\n", []string{`4:5: unexpected "=" (expected an expression)`}},
		// found by the lowering
		{"f(a=1, b)\n", []string{"1:8: positional argument follows keyword argument"}},
		{"f(a.b=1)\n", []string{"1:3: a keyword argument must be a name, as in f(where=mask)"}},
		{"f(a,,b)\n", []string{`1:5: unexpected "," (expected an argument)`}},
		{"x = [1,,2]\n", []string{`1:8: unexpected "," (expected an expression)`}},
		{"x = (1,,2)\n", []string{`1:8: unexpected "," (expected an expression)`}},
		{"a = 1;; b = 2\n", []string{`1:7: unexpected ";" (expected a statement)`}},
		{"def f(a,,b):\n    pass\n", []string{`1:9: unexpected "," (expected a parameter)`}},
		{"def f(a=1, b):\n    pass\n", []string{"1:12: parameter b without a default follows a parameter with a default"}},
		{"x = [a for i in r, 2]\n", []string{`1:18: unexpected "," after a list comprehension`}},
		{"x = v[]\n", []string{`1:7: unexpected "]" (expected an index)`}},
		{"x = a + not b\n", []string{`1:9: unexpected "not"`}},
		{"x = a == not b\n", []string{`1:10: unexpected "not"`}},
		{"x = -not b\n", []string{`1:6: unexpected "not"`}},
		{"from m import a,\n", []string{"1:16: trailing comma not allowed without surrounding parentheses"}},
		{"for 1 in x:\n    pass\n", []string{"1:5: the loop variable must be a name"}},
		{"for a.b in x:\n    pass\n", []string{"1:5: the loop variable must be a name"}},
		{"1 = x\n", []string{"1:1: cannot assign to a literal"}},
		{"f() = 1\n", []string{"1:1: cannot assign to a function call"}},
		{"a + b = 1\n", []string{"1:1: cannot assign to an expression"}},
		{"v[1:2] = x\n", []string{"1:1: cannot assign to a slice"}},
		{"a.b = 1\n", []string{"1:1: cannot assign to a module member"}},
		{"x = a, f() = 1\n", []string{"1:8: cannot assign to a function call"}},
		{"[a, b] = 1, 2\n", []string{"1:1: cannot assign to a list"}},
		{"a, 1 = 1, 2\n", []string{"1:4: cannot assign to a literal"}},
		{"a, b += 1\n", []string{"1:1: augmented assignment to a tuple is not possible"}},
		{"f() += 1\n", []string{"1:1: cannot assign to a function call"}},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			assert.Equal(t, tt.want, errorLines(t, tt.src))
		})
	}
}

func TestErrorHints(t *testing.T) {
	hint := func(src string) string {
		_, errs := Parse("h.mpcs", []byte(src))
		require.NotEmpty(t, errs, src)
		return errs[0].Hint
	}
	assert.Equal(t, "indent with spaces", hint("if x:\n\tpass\n"))
	assert.Equal(t, `use "==" to compare`, hint("if x = 3:\n    pass\n"))
	assert.Equal(t, "is a comma missing?", hint("f(a b)\n"))
	assert.Contains(t, hint("x = [i for i in r if i]\n"), "where")
	assert.Contains(t, hint("x = 012\n"), "0o")
	assert.Contains(t, hint("else:\n    pass\n"), `"if"`)
}

func TestErrorRecovery(t *testing.T) {
	// One syntax error per top-level statement, and the good statements
	// around them are still in the module.
	src := "x = 1\ny = = 2\nz = 3\nw = (4 +)\ndef f(a):\n    return a +\nv = 5\n"
	m, errs := Parse("r.mpcs", []byte(src))
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg))
	}
	assert.Equal(t, []string{
		`2:5: unexpected "=" (expected an expression)`,
		`4:9: unexpected ")" (expected an expression)`,
		`6:15: unexpected end of line (expected an expression)`,
	}, got)
	assert.Equal(t, "(= x 1) (= z 3) (= v 5)", dumpStmts(m.Body))

	// A statement with a lexical error gets no second, derived, syntax error.
	assert.Equal(t, []string{`1:7: invalid character "$"`, `2:5: unexpected "=" (expected an expression)`},
		errorLines(t, "x = 1 $ 2\ny = = 3\n"))

	// Errors are sorted by position.
	lines := errorLines(t, "a = (\n\nb = 'x\n")
	assert.Equal(t, []string{`1:5: "(" was never closed`, "3:5: unterminated string literal"}, lines)
}

func TestErrorRender(t *testing.T) {
	src := "if x = 3:\n    pass\n"
	_, errs := Parse("r.mpcs", []byte(src))
	require.Len(t, errs, 1)
	got := errs.Render(func(string) []byte { return []byte(src) })
	want := strings.Join([]string{
		`r.mpcs:1:6: error: expected ":" after if condition`,
		"    if x = 3:",
		"         ^",
		`    hint: use "==" to compare`,
		"",
	}, "\n")
	assert.Equal(t, want, got)
	assert.Error(t, errs.Err())
}

func TestLimits(t *testing.T) {
	deep := "x = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\ny = = 1\n"
	lines := errorLines(t, deep)
	assert.Equal(t, []string{"1:205: too many nested parentheses", `2:5: unexpected "=" (expected an expression)`}, lines)

	ifs := "x = " + strings.Repeat("a if b else ", 50000) + "c\n"
	assert.Equal(t, []string{"1:2407: too many nested conditional expressions"}, errorLines(t, ifs))

	nots := "x = " + strings.Repeat("not ", 100000) + "a\n"
	assert.Equal(t, []string{"1:405: too many unary operators"}, errorLines(t, nots))

	ok := "x = " + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + "\n"
	assert.Empty(t, errorLines(t, ok))
	pow := "x = " + strings.Repeat("a ** ", 20000) + "a\n"
	assert.Empty(t, errorLines(t, pow))

	indent := ""
	for i := 0; i < 120; i++ {
		indent += strings.Repeat(" ", i) + "if x:\n"
	}
	indent += strings.Repeat(" ", 120) + "pass\n"
	lines = errorLines(t, indent)
	require.NotEmpty(t, lines)
	assert.Equal(t, "102:102: too many levels of indentation", lines[0])

	assert.Equal(t, []string{"1:5: number literal of 1001 characters is too long"},
		errorLines(t, "x = 1"+strings.Repeat("0", 1000)+"\n"))
	assert.Equal(t, []string{`1:5: number literal "1e-9999" is out of range`}, errorLines(t, "x = 1e-9999\n"))
}
