package lang

import (
	"fmt"
	"testing"
)

func TestAllocs(t *testing.T) {
	for _, src := range []string{"pass\npass\n", "pass;pass\n", "if x:\n pass\n pass\n", "x\n", "x = 1\n", "x = a + b\n", "f(a, b)\n", "x = f(a)\n", "if x:\n    pass\n", "pass\n", "x = [1, 2]\n", "x = -a\n", "x = a.b\n"} {
		b := []byte(src)
		tk := testing.AllocsPerRun(20, func() { tokenize("f", b) })
		n := testing.AllocsPerRun(20, func() { Parse("f", b) })
		fmt.Printf("%-20q tokenize %4.0f  parse %4.0f\n", src, tk, n)
	}
}
