package lang

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	payGap,
	statsProgram,
	bigProgram(60),
	`"""Histogram of balances."""
from stats import histogram, count
edges = [0, 100, 1_000, 10_000, 1e5]
balance = input("balance", sfix)
h = histogram(balance, edges)
for i in range(len(edges) - 1):
    output("bin", h[i])
output("n", count(balance))
`,
	`import commit
value = input("value", sbits)
nonce = input("nonce", sbits)
c = input("commitment", sbits)
ok = commit.check(value, nonce, c)
assert reveal(sum(sint(ok))) == len(value), "inputs do not match their commitments"
x = where(value > 0, value, 0)
output("total", sum(x))
`,
	`def gini(x: sfix[]) -> sfix:
    '''Gini coefficient.'''
    s = sort(x)
    n = len(s)
    i = [k + 1 for k in range(n)]
    return (2 * sum(s * i)) / (n * sum(s)) - (n + 1) / n
`,
	"if a:\n    if b:\n        pass\n    elif c: d = 1; e = 2\nelse:\n    while x < 10 and not done:\n        x += 1\n",
	"a, b = (1, 2)\nv[i:j:k] = 3\nx = -y ** -z\nf(*a)\n",
	"if x = 3:\n  pass\n",
	"x = (1, 2\n\ty = 'abc\n  z = 0x\n",
	"def f(a=1, b, c: sfix[] = [1, 2,]) -> (sint, sfix):\n  return a if b else c\n",
	"\"\"\"unterminated\n",
	"x = [i for i in r if i]\nimport\nfrom m import (a, b,)\n",
	"\ufeffx = 1\r\ny = 2\\\r\n  + 3\n",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		m, errs := Parse("fuzz.mpcs", src)
		if m == nil {
			t.Fatal("nil module")
		}
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, e := range errs {
			if strings.HasPrefix(e.Msg, "internal error") {
				t.Fatalf("parser panicked: %s", e)
			}
			if e.Pos.File != "fuzz.mpcs" || e.Pos.Line < 1 || e.Pos.Line > lines || e.Pos.Col < 1 || e.Msg == "" {
				t.Fatalf("bad diagnostic %q at %+v", e.Msg, e.Pos)
			}
		}
		if errs != nil {
			return
		}
		for _, s := range m.Body {
			if err := checkTree(s, lines); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// checkTree reports a node without a position or a missing required child.
func checkTree(root Node, lines int) (err error) {
	walk(root, func(n Node) {
		if err != nil {
			return
		}
		if p := n.Position(); !p.IsValid() || p.Line > lines || p.Col < 1 {
			err = fmt.Errorf("%T at bad position %+v", n, p)
			return
		}
		missing := false
		switch n := n.(type) {
		case *BinOp:
			missing = n.X == nil || n.Y == nil || !n.OpPos.IsValid()
		case *UnaryOp:
			missing = n.X == nil
		case *Compare:
			missing = n.First == nil || len(n.Ops) == 0 || len(n.Ops) != len(n.Rest) || len(n.Ops) != len(n.OpPos)
			for _, r := range n.Rest {
				missing = missing || r == nil
			}
		case *Call:
			missing = n.Fn == nil
		case *Index:
			missing = n.X == nil || n.Index == nil
		case *Slice:
			missing = n.X == nil
		case *Attr:
			missing = n.X == nil || n.Name == ""
		case *ListComp:
			missing = n.Elem == nil || n.Target == nil || n.Iter == nil
		case *CondExpr:
			missing = n.Cond == nil || n.Then == nil || n.Else == nil
		case *IntLit:
			missing = n.Value == nil
		case *DecLit:
			missing = n.Value == nil
		case *ExprStmt:
			missing = n.X == nil
		case *Assign:
			missing = n.Value == nil || len(n.Targets) == 0
		case *AugAssign:
			missing = n.Target == nil || n.Value == nil || n.Op == ""
		case *If:
			missing = n.Cond == nil || len(n.Body) == 0
		case *For:
			missing = n.Target == nil || n.Iter == nil || len(n.Body) == 0
		case *While:
			missing = n.Cond == nil || len(n.Body) == 0
		case *FuncDef:
			missing = n.Name == ""
		case *Assert:
			missing = n.Cond == nil
		}
		if missing {
			err = fmt.Errorf("%T at %s lacks a required part", n, n.Position())
		}
	})
	return err
}

// TestFuzzSeeds runs the fuzz target's checks over the seed corpus as a plain
// test, plus mutations of each seed: prefixes, and the seed with a
// character deleted or inserted at regular steps.
func TestFuzzSeeds(t *testing.T) {
	for _, s := range fuzzSeeds {
		var variants []string
		variants = append(variants, s)
		step := max(7, len(s)/60)
		for i := 0; i < len(s); i += step {
			variants = append(variants, s[:i], s[:i]+s[i+1:], s[:i]+"(\t'"[i%3:i%3+1]+s[i:])
		}
		for _, v := range variants {
			m, errs := Parse("fuzz.mpcs", []byte(v))
			if m == nil {
				t.Fatalf("nil module for %q", v)
			}
			for _, e := range errs {
				if strings.HasPrefix(e.Msg, "internal error") || e.Pos.Line < 1 || e.Pos.Col < 1 {
					t.Fatalf("%q: %s", v, e)
				}
			}
			if errs == nil {
				lines := strings.Count(v, "\n") + 1
				for _, st := range m.Body {
					if err := checkTree(st, lines); err != nil {
						t.Fatalf("%q: %v", v, err)
					}
				}
			}
		}
	}
}
