package lang

import (
	"fmt"
	"testing"
)

func TestTryErrors(t *testing.T) {
	srcs := []string{
		"x = = 1\n",
		"if x = 3:\n    pass\n",
		"while x\n    pass\n",
		"def f(x y):\n    pass\n",
		"f(a b)\n",
		"x = (1 + )\n",
		"x = 1 +\n",
		"for i range(3):\n    pass\n",
		"else:\n    pass\n",
		"x = [i for i in r if i]\n",
		"f(a=1, b)\n",
		"f(a.b=1)\n",
		"1 = x\n",
		"f() = 1\n",
		"a, b += 1\n",
		"x = a + not b\n",
		"def f(a=1, b):\n    pass\n",
		"x = v[]\n",
		"import\n",
		"from m import\n",
		"from m import a,\n",
		"x = 1 2\n",
		"print 'x'\n",
		"x = (1, 2\ny = 3\n",
		"x = 1)\n",
		"x = [1, 2)\n",
		"if x:\npass\n",
		"if x:\n",
		"a = 1\n    b = 2\n",
		"if x:\n\tpass\n",
		"if x:\n    a = 1\n  b = 2\n",
		"x = \"abc\ny = 2\n",
		"x = '''abc\n",
		"x = 0x\n",
		"x = 1_\n",
		"x = 012\n",
		"x = 1e\n",
		"x = 1 $ 2\n",
		"x = a ! b\n",
		"x = {}\n",
		"x = \"\\q\"\n",
		"def (x):\n    pass\n",
		"def f(x):\nreturn x\n",
		"x = 1\ny = = 2\nz = 3\nw = (4 +)\n",
		"if x:\n    y = 1\n  else:\n    pass\n",
		"x = a if b\n",
		"f(a,,b)\n",
		"x = [a for i in r, 2]\n",
		"def f() -> :\n    pass\n",
		"x = é\n",
		"lambda x: x\n",
		"x = y[1:2:3:4]\n",
		"return return\n",
		"for 1 in x:\n    pass\n",
		"if True:\n    x = 1\n   y = 2\n",
		"x = 1e99999999\n",
		"x ==\n",
		"if x:\n    pass\nelif:\n    pass\n",
		"x = (\n",
		"def f(x):\n    return x\n  y = 1\n",
		"a.b = 1\n",
	}
	for _, src := range srcs {
		_, errs := Parse("f", []byte(src))
		fmt.Printf("%q\n", src)
		for _, e := range errs {
			fmt.Printf("    %d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
			if e.Hint != "" {
				fmt.Printf("  [hint: %s]", e.Hint)
			}
			fmt.Println()
		}
	}
}
