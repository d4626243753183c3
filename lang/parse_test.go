package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const payGap = `"""Pay gap study."""
from stats import mean, median
import math as m

def weighted_mean(x: sfix[], w: sfix[]) -> sfix:
    """Mean of x weighted by w."""
    return sum(x * w) / sum(w)

salary = input("salary", sfix)
gender = input("gender", sint)
k = param("min_cohort", int, 5)
assert k >= 1, "min_cohort must be positive"
total = 0
for i in range(len(salary)):
    if i % 2 == 0 and not (i > 10):
        total += 1
    elif i < -1:
        break
    else:
        continue
xs = [i * 2 for i in range(10)]
lo, hi = 0, len(xs)
while lo < hi:
    lo = lo + 1
output("mean_f", mean(salary, where=gender == 1))
output("bits", sbits(salary)[0:3:1] ^ 0xff << 2)
y = a if 0 <= b < 3 else -c ** 2
`

func mustParse(t testing.TB, src string) *Module {
	t.Helper()
	m, errs := Parse("t.mpcs", []byte(src))
	require.Empty(t, errs, "source:\n%s\nerrors:\n%s", src, errs.Render(func(string) []byte { return []byte(src) }))
	require.NotNil(t, m)
	return m
}

func TestParsePayGap(t *testing.T) {
	m := mustParse(t, payGap)
	assert.Equal(t, "t.mpcs", m.File)
	assert.Equal(t, payGap, string(m.Source))
	assert.Equal(t, "Pay gap study.", m.Doc)
	want := []string{
		`(from stats mean median)`,
		`(import math as m)`,
		`(def weighted_mean (x:sfix[] w:sfix[]) -> sfix doc="Mean of x weighted by w." {(return (/ (call sum (* x w)) (call sum w)))})`,
		`(= salary (call input "salary" sfix))`,
		`(= gender (call input "gender" sint))`,
		`(= k (call param "min_cohort" int 5))`,
		`(assert (cmp k >= 1) "min_cohort must be positive")`,
		`(= total 0)`,
		`(for i (call range (call len salary)) {(if (and (cmp (% i 2) == 0) (not (cmp i > 10))) {(+= total 1)} else {(if (cmp i < (-u 1)) {break} else {continue})})})`,
		`(= xs (comp (* i 2) i (call range 10)))`,
		`(= (tuple lo hi) (tuple 0 (call len xs)))`,
		`(while (cmp lo < hi) {(= lo (+ lo 1))})`,
		`(expr (call output "mean_f" (call mean salary where=(cmp gender == 1))))`,
		`(expr (call output "bits" (^ (slice (call sbits salary) 0 3 1) (<< 255 2))))`,
		`(= y (ifx (cmp 0 <= b < 3) a (-u (** c 2))))`,
	}
	require.Len(t, m.Body, len(want))
	for i, s := range m.Body {
		assert.Equal(t, want[i], dump(s), "statement %d", i)
	}
}

func TestStatements(t *testing.T) {
	tests := []struct{ src, want string }{
		{"f(x)", "(expr (call f x))"},
		{"a = 1", "(= a 1)"},
		{"a = b = 1", "(= a b 1)"},
		{"a = b = c = f(x)", "(= a b c (call f x))"},
		{"a, b = f(x)", "(= (tuple a b) (call f x))"},
		{"(a, b) = 1, 2", "(= (tuple a b) (tuple 1 2))"},
		{"a, = f(x)", "(= (tuple a) (call f x))"},
		{"x = 1,", "(= x (tuple 1))"},
		{"a, (b, c) = f()", "(= (tuple a (tuple b c)) (call f))"},
		{"v[i] = x", "(= (index v i) x)"},
		{"v[i], w[j] = x, y", "(= (tuple (index v i) (index w j)) (tuple x y))"},
		{"x += 1", "(+= x 1)"},
		{"x -= 1", "(-= x 1)"},
		{"x *= 2", "(*= x 2)"},
		{"x /= 2", "(/= x 2)"},
		{"x //= 2", "(//= x 2)"},
		{"x %= 2", "(%= x 2)"},
		{"x **= 2", "(**= x 2)"},
		{"x &= 1", "(&= x 1)"},
		{"x |= 1", "(|= x 1)"},
		{"x ^= 1", "(^= x 1)"},
		{"x <<= 1", "(<<= x 1)"},
		{"x >>= 1", "(>>= x 1)"},
		{"v[i] += 1", "(+= (index v i) 1)"},
		{"pass", "pass"},
		{"while True:\n    break\n    continue", "(while True {break continue})"},
		{"def f():\n    return", "(def f () {return})"},
		{"def f():\n    return x", "(def f () {(return x)})"},
		{"def f():\n    return a, b", "(def f () {(return (tuple a b))})"},
		{"def f(): return (a, b)", "(def f () {(return (tuple a b))})"},
		{"if a:\n    x = 1", "(if a {(= x 1)})"},
		{"if a:\n    x = 1\nelse:\n    x = 2", "(if a {(= x 1)} else {(= x 2)})"},
		{"if a:\n    x = 1\nelif b:\n    x = 2\nelif c:\n    x = 3\nelse:\n    x = 4",
			"(if a {(= x 1)} else {(if b {(= x 2)} else {(if c {(= x 3)} else {(= x 4)})})})"},
		{"if a:\n    pass\nelif b:\n    pass", "(if a {pass} else {(if b {pass})})"},
		{"if x: pass", "(if x {pass})"},
		{"if x: a = 1; b = 2\nelse: c = 3", "(if x {(= a 1) (= b 2)} else {(= c 3)})"},
		{"a = 1; b = 2;", "(= a 1) (= b 2)"},
		{"for x in v:\n    s += x", "(for x v {(+= s x)})"},
		{"for a, b in zip(u, v):\n    pass", "(for (tuple a b) (call zip u v) {pass})"},
		{"for (a, b) in pairs: pass", "(for (tuple a b) pairs {pass})"},
		{"for i in 1, 2, 3: pass", "(for i (tuple 1 2 3) {pass})"},
		{"while i < n:\n    i += 1", "(while (cmp i < n) {(+= i 1)})"},
		{"def f(x):\n    pass", "(def f (x) {pass})"},
		{"def f(x: sfix[]):\n    pass", "(def f (x:sfix[]) {pass})"},
		{"def f(x=3):\n    pass", "(def f (x=3) {pass})"},
		{"def f(x: int = 3):\n    pass", "(def f (x:int=3) {pass})"},
		{"def f(a, b: sint, c=1, d: fix = 0.5,):\n    pass", "(def f (a b:sint c=1 d:fix=1/2) {pass})"},
		{"def f() -> sint:\n    pass", "(def f () -> sint {pass})"},
		{"def f() -> sfix[]:\n    pass", "(def f () -> sfix[] {pass})"},
		{"def f() -> (sfix, sfix):\n    pass", "(def f () -> (sfix, sfix) {pass})"},
		{"def f() -> (sfix[], sint,):\n    pass", "(def f () -> (sfix[], sint) {pass})"},
		{"def f() -> (sint):\n    pass", "(def f () -> sint {pass})"},
		{"def f(x):\n    \"\"\"Doc.\"\"\"\n    return x", `(def f (x) doc="Doc." {(return x)})`},
		{"def f(x):\n    'Only a doc.'", `(def f (x) doc="Only a doc." {})`},
		{"def f(x): return x", "(def f (x) {(return x)})"},
		{"assert x", "(assert x)"},
		{"assert x > 0, \"x must be positive\"", `(assert (cmp x > 0) "x must be positive")`},
		{"import m", "(import m)"},
		{"import m as a", "(import m as a)"},
		{"import a.b, c as d", "(import a.b) (import c as d)"},
		{"from m import a", "(from m a)"},
		{"from m import a, b as c", "(from m a b:c)"},
		{"from m import (a,\n    b as c,\n)", "(from m a b:c)"},
		{"from a.b import c", "(from a.b c)"},
		{"x = f(a,\n      b)\ny = [1,\n2]", "(= x (call f a b)) (= y [1 2])"},
		{"x = 1 + \\\n    2", "(= x (+ 1 2))"},
		{"# comment\n\nx = 1  # trailing\n\n   # indented comment\ny = 2\n", "(= x 1) (= y 2)"},
		{"if a:\n    x = 1\n\n# c\n        # deeper comment\n    y = 2\n", "(if a {(= x 1) (= y 2)})"},
		{"if a:\n  if b:\n      x\n  y\nz", "(if a {(if b {(expr x)}) (expr y)}) (expr z)"},
		{"if a:\n    if b:\n        x", "(if a {(if b {(expr x)})})"},
		{"x = 1\r\nif x:\r\n    y = 2\r\n", "(= x 1) (if x {(= y 2)})"},
		{"x = 1", "(= x 1)"},
		{"\ufeffx = 1\n", "(= x 1)"},
		{"", ""},
		{"\n\n# only a comment\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			m := mustParse(t, tt.src)
			assert.Equal(t, tt.want, dumpStmts(m.Body))
		})
	}
}

func TestModuleDocstring(t *testing.T) {
	m := mustParse(t, "'''Line one.\n\nLine two.'''\nx = 1\n")
	assert.Equal(t, "Line one.\n\nLine two.", m.Doc)
	assert.Equal(t, "(= x 1)", dumpStmts(m.Body))

	m = mustParse(t, "x = 1\n'not a docstring'\n")
	assert.Equal(t, "", m.Doc)
	assert.Len(t, m.Body, 2)

	m = mustParse(t, "\"Just a doc.\"\n")
	assert.Equal(t, "Just a doc.", m.Doc)
	assert.Empty(t, m.Body)

	// a string after a broken first statement is not the docstring
	m, errs := Parse("d.mpcs", []byte("x = = 1\n'not a doc'\n"))
	assert.Len(t, errs, 1)
	assert.Equal(t, "", m.Doc)
	assert.Len(t, m.Body, 1)
}

func TestParseResult(t *testing.T) {
	src := []byte("x = 1\n")
	m, errs := Parse("ok.mpcs", src)
	assert.Nil(t, errs)
	assert.NoError(t, errs.Err())
	assert.Equal(t, "ok.mpcs", m.File)
	assert.Equal(t, src, m.Source)

	m, errs = Parse("bad.mpcs", []byte("x = \ny = 2\n"))
	require.Len(t, errs, 1)
	assert.Equal(t, "bad.mpcs:1:5: unexpected end of line (expected an expression)", errs.Error())
	require.NotNil(t, m)
	assert.Equal(t, "(= y 2)", dumpStmts(m.Body), "the statements that parsed are kept")
}

func TestParseConcurrent(t *testing.T) {
	want := dumpStmts(mustParse(t, payGap).Body)
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			m, _ := Parse("c.mpcs", []byte(payGap))
			done <- dumpStmts(m.Body)
		}()
	}
	for i := 0; i < 8; i++ {
		assert.Equal(t, want, <-done)
	}
}

// expr parses src as the value of an assignment `x = src`.
func expr(t *testing.T, src string) Expr {
	t.Helper()
	m := mustParse(t, "x = "+src+"\n")
	require.Len(t, m.Body, 1)
	a, ok := m.Body[0].(*Assign)
	require.True(t, ok, "%T", m.Body[0])
	return a.Value
}

func TestExpressions(t *testing.T) {
	tests := []struct{ src, want string }{
		// precedence and associativity
		{"a + b * c", "(+ a (* b c))"},
		{"a * b + c", "(+ (* a b) c)"},
		{"a - b - c", "(- (- a b) c)"},
		{"a / b * c", "(* (/ a b) c)"},
		{"a // b % c", "(% (// a b) c)"},
		{"a ** b ** c", "(** a (** b c))"},
		{"-x ** 2", "(-u (** x 2))"},
		{"2 ** -1", "(** 2 (-u 1))"},
		{"-x ** -y ** z", "(-u (** x (-u (** y z))))"},
		{"-a * b", "(* (-u a) b)"},
		{"a * -b", "(* a (-u b))"},
		{"- - a", "(-u (-u a))"},
		{"+a - ~b", "(- (+u a) (~ b))"},
		{"~a & b", "(& (~ a) b)"},
		{"a | b ^ c & d", "(| a (^ b (& c d)))"},
		{"a & b | c ^ d", "(| (& a b) (^ c d))"},
		{"a << b + c", "(<< a (+ b c))"},
		{"a & b << c", "(& a (<< b c))"},
		{"a >> 1 << 2", "(<< (>> a 1) 2)"},
		{"a < b", "(cmp a < b)"},
		{"a < b == c", "(cmp a < b == c)"},
		{"0 <= b < 3", "(cmp 0 <= b < 3)"},
		{"a != b >= c > d <= e", "(cmp a != b >= c > d <= e)"},
		{"a + b < c * d", "(cmp (+ a b) < (* c d))"},
		{"a < b | c", "(cmp a < (| b c))"},
		{"(a < b) < c", "(cmp (cmp a < b) < c)"},
		{"not a", "(not a)"},
		{"not a == b", "(not (cmp a == b))"},
		{"not a and b", "(and (not a) b)"},
		{"not not a", "(not (not a))"},
		{"not -a", "(not (-u a))"},
		{"a and not b", "(and a (not b))"},
		{"a or b and c", "(or a (and b c))"},
		{"a and b or c and d", "(or (and a b) (and c d))"},
		{"a or b or c", "(or (or a b) c)"},
		{"a == b and c < d or not e", "(or (and (cmp a == b) (cmp c < d)) (not e))"},
		{"a if b else c", "(ifx b a c)"},
		{"a if b else c if d else e", "(ifx b a (ifx d c e))"},
		{"a or b if c or d else e", "(ifx (or c d) (or a b) e)"},
		{"(a if b else c) + 1", "(+ (ifx b a c) 1)"},
		{"-(a + b)", "(-u (+ a b))"},
		// primaries
		{"f()", "(call f)"},
		{"f(a)", "(call f a)"},
		{"f(a, b,)", "(call f a b)"},
		{"f(a, b, where=m)", "(call f a b where=m)"},
		{"f(where=g == 1)", "(call f where=(cmp g == 1))"},
		{"f(x=1, y=2,)", "(call f x=1 y=2)"},
		{"f(a)(b)[c].d", "(. (index (call (call f a) b) c) d)"},
		{"m.f(x)", "(call (. m f) x)"},
		{"a.b.c", "(. (. a b) c)"},
		{"v[i]", "(index v i)"},
		{"v[i + 1]", "(index v (+ i 1))"},
		{"v[-1]", "(index v (-u 1))"},
		{"v[a:b]", "(slice v a b _)"},
		{"v[a:b:s]", "(slice v a b s)"},
		{"v[:]", "(slice v _ _ _)"},
		{"v[::]", "(slice v _ _ _)"},
		{"v[::2]", "(slice v _ _ 2)"},
		{"v[a:]", "(slice v a _ _)"},
		{"v[:b]", "(slice v _ b _)"},
		{"v[:b:]", "(slice v _ b _)"},
		{"v[i][j]", "(index (index v i) j)"},
		{"-v[i] ** 2", "(-u (** (index v i) 2))"},
		// atoms
		{"x", "x"},
		{"_x1", "_x1"},
		{"True", "True"},
		{"False", "False"},
		{"(a)", "a"},
		{"((a))", "a"},
		{"(a, b)", "(tuple a b)"},
		{"(a,)", "(tuple a)"},
		{"()", "(tuple)"},
		{"a, b", "(tuple a b)"},
		{"[]", "[]"},
		{"[a]", "[a]"},
		{"[a, b]", "[a b]"},
		{"[a, b,]", "[a b]"},
		{"[[1, 2], [3]]", "[[1 2] [3]]"},
		{"[f(i) for i in range(k)]", "(comp (call f i) i (call range k))"},
		{"[x + y for x, y in pairs]", "(comp (+ x y) (tuple x y) pairs)"},
		{"[a if c else b for i in v]", "(comp (ifx c a b) i v)"},
		{"[i for i in a or b]", "(comp i i (or a b))"},
		{`"a" 'b'`, `"ab"`},
		{`"tab\there"`, `"tab\there"`},
		{"'it''s'", `"its"`},
		{`"\x41\u00e9\101\0\\\"\'"`, `"AéA\x00\\\"'"`},
		{"'''multi\nline'''", `"multi\nline"`},
		{`"""a "quoted" word"""`, `"a \"quoted\" word"`},
		{"\"split \\\nstring\"", `"split string"`},
		{"1_000_000", "1000000"},
		{"0xff", "255"},
		{"0b1010", "10"},
		{"0o17", "15"},
		{"3.25", "13/4"},
		{".5", "1/2"},
		{"1e-3", "1/1000"},
		{"2.5e6", "2500000"},
		{"5.", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			assert.Equal(t, tt.want, dump(expr(t, tt.src)))
		})
	}
}

func TestLiteralValues(t *testing.T) {
	ints := map[string]string{
		"0": "0", "42": "42", "1_000_000": "1000000", "0xff": "255", "0XFF": "255", "0x_ff": "255",
		"0b1010": "10", "0B1_0": "2", "0o17": "15", "0O7_7": "63", "000": "0",
		"340282366920938463463374607431768211456": "340282366920938463463374607431768211456",
	}
	for src, want := range ints {
		x := expr(t, src)
		lit, ok := x.(*IntLit)
		require.True(t, ok, "%s: %T", src, x)
		assert.Equal(t, want, lit.Value.String(), src)
		assert.Equal(t, src, lit.Text)
	}
	decs := map[string]string{
		"3.25": "13/4", ".5": "1/2", "1e-3": "1/1000", "2.5e6": "2500000", "5.": "5", "1E3": "1000",
		"0.0": "0", "00.5": "1/2", "1_0.2_5": "41/4", "1.5e+2": "150", "0.1": "1/10",
		"123.456e-2": "3858/3125",
	}
	for src, want := range decs {
		x := expr(t, src)
		lit, ok := x.(*DecLit)
		require.True(t, ok, "%s: %T", src, x)
		assert.Equal(t, want, lit.Value.RatString(), src)
		assert.Equal(t, src, lit.Text)
	}
	// exactness: 1e-3 is 1/1000, not the float closest to it
	lit := expr(t, "1e-3").(*DecLit)
	assert.Equal(t, "1/1000", lit.Value.String())
}

// textAt returns the source starting at p; lines is the source split
// after each newline.
func textAt(lines []string, p Pos) string {
	if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > len(lines[p.Line-1])+1 {
		return fmt.Sprintf("<bad position %d:%d>", p.Line, p.Col)
	}
	return lines[p.Line-1][p.Col-1:]
}

// checkPositions verifies that every node of m starts where its first token is.
func checkPositions(t *testing.T, m *Module) {
	t.Helper()
	src := strings.SplitAfter(string(m.Source), "\n")
	for _, s := range m.Body {
		walk(s, func(n Node) {
			p := n.Position()
			require.True(t, p.IsValid(), "%T has no position", n)
			require.Equal(t, m.File, p.File)
			at := textAt(src, p)
			prefix := ""
			switch n := n.(type) {
			case *Name:
				prefix = n.ID
			case *IntLit:
				prefix = n.Text
			case *DecLit:
				prefix = n.Text
			case *BoolLit:
				prefix = fmt.Sprint(map[bool]string{true: "True", false: "False"}[n.Value])
			case *If:
				if !strings.HasPrefix(at, "elif") {
					prefix = "if"
				}
			case *For:
				prefix = "for"
			case *While:
				prefix = "while"
			case *FuncDef:
				prefix = "def " + n.Name
			case *Return:
				prefix = "return"
			case *Assert:
				prefix = "assert"
			case *FromImport:
				prefix = "from"
			case *Pass:
				prefix = "pass"
			case *Break:
				prefix = "break"
			case *Continue:
				prefix = "continue"
			case *Param:
				prefix = n.Name
			case *Keyword:
				prefix = n.Name + "="
			case *ImportName:
				prefix = n.Name
			case *UnaryOp:
				prefix = n.Op
			case *ListLit, *ListComp:
				prefix = "["
			case *TypeExpr:
				prefix = n.Name
				if n.Elems != nil {
					prefix = "("
				}
			case *BinOp:
				assert.True(t, strings.HasPrefix(textAt(src, n.OpPos), n.Op), "BinOp %s at %s", n.Op, n.OpPos)
				assert.True(t, n.OpPos.Line > n.P.Line || n.OpPos.Line == n.P.Line && n.OpPos.Col > n.P.Col)
			case *Compare:
				require.Len(t, n.OpPos, len(n.Ops))
				for i, op := range n.Ops {
					assert.True(t, strings.HasPrefix(textAt(src, n.OpPos[i]), op), "Compare %s at %s", op, n.OpPos[i])
				}
			}
			assert.True(t, strings.HasPrefix(at, prefix), "%T at %s: want %q, source has %.20q", n, p, prefix, at)
		})
	}
}

func TestPositions(t *testing.T) {
	m := mustParse(t, payGap)
	checkPositions(t, m)

	pos := func(line, col int) Pos { return Pos{File: "t.mpcs", Line: line, Col: col} }
	fi := m.Body[0].(*FromImport)
	assert.Equal(t, pos(2, 1), fi.P)
	assert.Equal(t, pos(2, 19), fi.Names[0].P)
	assert.Equal(t, pos(2, 25), fi.Names[1].P)

	def := m.Body[2].(*FuncDef)
	assert.Equal(t, pos(5, 1), def.P)
	assert.Equal(t, pos(5, 19), def.Params[0].P)
	assert.Equal(t, pos(5, 22), def.Params[0].Type.P)
	assert.Equal(t, pos(5, 30), def.Params[1].P)
	assert.Equal(t, pos(5, 44), def.Result.P)
	ret := def.Body[0].(*Return)
	assert.Equal(t, pos(7, 5), ret.P)
	div := ret.Value.(*BinOp)
	assert.Equal(t, pos(7, 12), div.P)
	assert.Equal(t, pos(7, 23), div.OpPos)

	// for loop: the if inside, the elif, the augmented assignment
	loop := m.Body[8].(*For)
	assert.Equal(t, pos(14, 1), loop.P)
	assert.Equal(t, pos(14, 5), loop.Target.Position())
	assert.Equal(t, pos(14, 10), loop.Iter.Position())
	ifs := loop.Body[0].(*If)
	assert.Equal(t, pos(15, 5), ifs.P)
	and := ifs.Cond.(*BinOp)
	assert.Equal(t, pos(15, 8), and.P)
	assert.Equal(t, pos(15, 19), and.OpPos)
	not := and.Y.(*UnaryOp)
	assert.Equal(t, pos(15, 23), not.P)
	assert.Equal(t, pos(15, 28), not.X.Position(), "parenthesized comparison starts inside the parenthesis")
	assert.Equal(t, pos(16, 9), ifs.Body[0].(*AugAssign).P)
	elif := ifs.Else[0].(*If)
	assert.Equal(t, pos(17, 5), elif.P)
	assert.Equal(t, pos(17, 14), elif.Cond.(*Compare).Rest[0].(*UnaryOp).P)

	lohi := m.Body[10].(*Assign)
	assert.Equal(t, pos(22, 1), lohi.P)
	assert.Equal(t, pos(22, 1), lohi.Targets[0].Position())
	assert.Equal(t, pos(22, 10), lohi.Value.Position())

	call := m.Body[12].(*ExprStmt).X.(*Call)
	assert.Equal(t, pos(25, 1), call.P)
	inner := call.Args[1].(*Call)
	assert.Equal(t, pos(25, 18), inner.P)
	assert.Equal(t, pos(25, 31), inner.Kwargs[0].P)
	assert.Equal(t, pos(25, 44), inner.Kwargs[0].Value.(*Compare).OpPos[0])

	bits := m.Body[13].(*ExprStmt).X.(*Call).Args[1].(*BinOp)
	assert.Equal(t, pos(26, 16), bits.P)
	assert.Equal(t, pos(26, 37), bits.OpPos)
	sl := bits.X.(*Slice)
	assert.Equal(t, pos(26, 16), sl.P)
	assert.Equal(t, pos(26, 39), bits.Y.(*BinOp).P)
	assert.Equal(t, pos(26, 44), bits.Y.(*BinOp).OpPos)

	cond := m.Body[14].(*Assign).Value.(*CondExpr)
	assert.Equal(t, pos(27, 5), cond.P)
	cmp := cond.Cond.(*Compare)
	assert.Equal(t, pos(27, 10), cmp.P)
	assert.Equal(t, []Pos{pos(27, 12), pos(27, 17)}, cmp.OpPos)
	neg := cond.Else.(*UnaryOp)
	assert.Equal(t, pos(27, 26), neg.P)
	assert.Equal(t, pos(27, 29), neg.X.(*BinOp).OpPos)

	// a parenthesised operand: the BinOp starts at the parenthesis
	b := expr(t, "(a) + b").(*BinOp)
	assert.Equal(t, pos(1, 5), b.P)
	assert.Equal(t, pos(1, 6), b.X.Position())
	assert.Equal(t, pos(1, 9), b.OpPos)
}

func TestPositionsColumnsAreBytes(t *testing.T) {
	m := mustParse(t, "x = \"héllo\" + y\n")
	bin := m.Body[0].(*Assign).Value.(*BinOp)
	assert.Equal(t, 14, bin.OpPos.Col) // é is two bytes
	assert.Equal(t, 16, bin.Y.Position().Col)
}

func TestTuplePositions(t *testing.T) {
	m := mustParse(t, "x = (a, b)\ny = a, b\nz = ()\n")
	assert.Equal(t, Pos{"t.mpcs", 1, 5}, m.Body[0].(*Assign).Value.Position())
	assert.Equal(t, Pos{"t.mpcs", 2, 5}, m.Body[1].(*Assign).Value.Position())
	assert.Equal(t, Pos{"t.mpcs", 3, 5}, m.Body[2].(*Assign).Value.Position())
}
