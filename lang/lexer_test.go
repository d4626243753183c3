package lang

import (
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenString renders the token stream of src compactly: NEWLINE, INDENT,
// DEDENT and EOF by name, keywords as kw:x, other tokens by value.
func tokenString(t *testing.T, src string) string {
	t.Helper()
	tk := tokenize("l.mpcs", []byte(src))
	for _, e := range tk.errs {
		t.Errorf("unexpected error %s", e.err)
	}
	var parts []string
	for _, tok := range tk.toks {
		switch tok.Type {
		case tNewline:
			parts = append(parts, "NEWLINE")
		case tIndent:
			parts = append(parts, "INDENT")
		case tDedent:
			parts = append(parts, "DEDENT")
		case lexer.EOF:
			parts = append(parts, "EOF")
		case tKeyword:
			parts = append(parts, "kw:"+tok.Value)
		default:
			parts = append(parts, tok.Value)
		}
	}
	return strings.Join(parts, " ")
}

func TestTokenStream(t *testing.T) {
	tests := []struct{ src, want string }{
		{"", "EOF"},
		{"\n\n", "EOF"},
		{"# just a comment", "EOF"},
		{"x = 1", "x = 1 NEWLINE EOF"},
		{"x = 1\n", "x = 1 NEWLINE EOF"},
		{"x=1;y=2\n", "x = 1 ; y = 2 NEWLINE EOF"},
		{"if x:\n    y\nz\n", "kw:if x : NEWLINE INDENT y NEWLINE DEDENT z NEWLINE EOF"},
		{"if x:\n    if y:\n        z", "kw:if x : NEWLINE INDENT kw:if y : NEWLINE INDENT z NEWLINE DEDENT DEDENT EOF"},
		{"if x:\n    y\n\n    # comment\n  # odd comment\n\n    z\n",
			"kw:if x : NEWLINE INDENT y NEWLINE z NEWLINE DEDENT EOF"},
		{"f(a,\n  b,\n\n# c\n      c)\n", "f ( a , b , c ) NEWLINE EOF"},
		{"x = [1,\n2]\ny = (\n)\n", "x = [ 1 , 2 ] NEWLINE y = ( ) NEWLINE EOF"},
		{"x = 1 + \\\n    2\n", "x = 1 + 2 NEWLINE EOF"},
		{"a **= b // c ** d -> e != f <<= g >>= h",
			"a **= b // c ** d -> e != f <<= g >>= h NEWLINE EOF"},
		{"a+=b-=c*=d/=e//=f%=g&=h|=i^=j", "a += b -= c *= d /= e //= f %= g &= h |= i ^= j NEWLINE EOF"},
		{"x<y<=z>w>=v==u", "x < y <= z > w >= v == u NEWLINE EOF"},
		{"~a|b^c&d<<e>>f", "~ a | b ^ c & d << e >> f NEWLINE EOF"},
		{"m.f(x)[0:1:2]", "m . f ( x ) [ 0 : 1 : 2 ] NEWLINE EOF"},
		{"x.5", "x .5 NEWLINE EOF"},
		{"1 .5 5. 1e-3 2.5E+6 0xFF 0b1 0o7 1_000", "1 .5 5. 1e-3 2.5E+6 0xFF 0b1 0o7 1_000 NEWLINE EOF"},
		{"0xe-1", "0xe - 1 NEWLINE EOF"},
		{"2-1", "2 - 1 NEWLINE EOF"},
		{`"a" 'b' """c""" '''d'''`, `"a" 'b' """c""" '''d''' NEWLINE EOF`},
		{"\"\"\"multi\nline\"\"\" x", "\"\"\"multi\nline\"\"\" x NEWLINE EOF"},
		{`"" ''`, `"" '' NEWLINE EOF`},
		{"def return if elif else for in while break continue pass and or not import from as assert True False",
			"kw:def kw:return kw:if kw:elif kw:else kw:for kw:in kw:while kw:break kw:continue kw:pass kw:and kw:or kw:not kw:import kw:from kw:as kw:assert kw:True kw:False NEWLINE EOF"},
		{"define iff True_ _x", "define iff True_ _x NEWLINE EOF"},
		{"x\r\ny\r\n", "x NEWLINE y NEWLINE EOF"},
		{"if x:\n    y\nelse:\n    z\n", "kw:if x : NEWLINE INDENT y NEWLINE DEDENT kw:else : NEWLINE INDENT z NEWLINE DEDENT EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			assert.Equal(t, tt.want, tokenString(t, tt.src))
		})
	}
}

func TestTokenPositions(t *testing.T) {
	src := "if é == 1:\n    x = 'ü' + y\n"
	tk := tokenize("p.mpcs", []byte(src))
	require.Len(t, tk.errs, 1) // é is not an identifier
	type tp struct {
		v         string
		line, col int
	}
	var got []tp
	for _, tok := range tk.toks {
		got = append(got, tp{tok.Value, tok.Pos.Line, tok.Pos.Column})
		assert.Equal(t, "p.mpcs", tok.Pos.Filename)
	}
	assert.Equal(t, []tp{
		{"if", 1, 1}, {"==", 1, 7}, {"1", 1, 10}, {":", 1, 11}, {"\n", 1, 12},
		{"", 2, 5}, // INDENT
		{"x", 2, 5}, {"=", 2, 7}, {"'ü'", 2, 9}, {"+", 2, 14}, {"y", 2, 16}, {"\n", 2, 17},
		{"", 3, 1}, // DEDENT
		{"", 3, 1}, // EOF
	}, got)
	assert.Equal(t, Pos{"p.mpcs", 1, 4}, tk.errs[0].err.Pos, "columns count bytes")
}

func TestStatementStarts(t *testing.T) {
	src := "a = 1\nif b:\n    c\nelif d:\n    e\nelse:\n    f\ng(\n  h)\n"
	tk := tokenize("s", []byte(src))
	var firsts []string
	for _, i := range tk.starts {
		firsts = append(firsts, tk.toks[i].Value)
	}
	assert.Equal(t, []string{"a", "if", "g"}, firsts)
}

func TestParseNumber(t *testing.T) {
	for _, bad := range []string{"0x", "0b", "0o", "0x_", "0xg", "0b2", "0o8", "1_", "1__0", "_1", "1e", "1e+",
		"1e_1", "1._5", "1.2.3", "12abc", "1f", "0x1.5", "012", "1__0.0", "1.0_", "1e1_"} {
		_, _, msg, _ := parseNumber(bad)
		assert.NotEmpty(t, msg, bad)
	}
	iv, dv, msg, _ := parseNumber("0x_dead_BEEF")
	assert.Empty(t, msg)
	assert.Nil(t, dv)
	assert.Equal(t, "3735928559", iv.String())
	_, dv, msg, _ = parseNumber("1_2.3_4e-1_0")
	assert.Empty(t, msg)
	assert.Equal(t, "617/500000000000", dv.RatString())
}

func TestUnquote(t *testing.T) {
	tests := map[string]string{
		`"plain"`:            "plain",
		`'single'`:           "single",
		`"a\nb\tc\\d\"e\'f"`: "a\nb\tc\\d\"e'f",
		`"\a\b\f\r\v"`:       "\a\b\f\r\v",
		`"\x41\x7e"`:         "A~",
		`"\u00e9\U0001F600"`: "é😀",
		`"\101\0\7"`:         "A\x00\x07",
		"\"a\\\nb\"":         "ab",
		`"""a"b""c"""`:       `a"b""c`,
		"'''x\r\ny'''":       "x\ny",
		`""`:                 "",
		`""""""`:             "",
	}
	for raw, want := range tests {
		got, errs := unquote(raw)
		assert.Empty(t, errs, raw)
		assert.Equal(t, want, got, raw)
	}
	_, errs := unquote(`"\q\x1\u12\777"`)
	require.Len(t, errs, 4)
	assert.Equal(t, 1, errs[0].off)
}

// TestParticipleDefinition checks that the wrapper is a complete participle
// lexer.Definition: the grammar can be driven by participle's own entry
// points, and a lexical error comes back as a participle error.
func TestParticipleDefinition(t *testing.T) {
	for _, name := range []string{"Ident", "Number", "String", "Punct", "Keyword", "Newline", "Indent", "Dedent", "EOF"} {
		assert.Contains(t, mpcsLexer.Symbols(), name)
	}
	g, err := chunkParser.ParseString("d.mpcs", "if x:\n    y = 1\n")
	require.NoError(t, err)
	require.NotNil(t, g.Stmt.If)

	_, err = chunkParser.ParseString("d.mpcs", "if x:\n\ty = 1\n")
	var perr participle.Error
	require.ErrorAs(t, err, &perr)
	assert.Equal(t, "tab in indentation", perr.Message())
	assert.Equal(t, 2, perr.Position().Line)
}
