package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mpcs/mpcs/vm"
)

// statsProgram is a 30-line analyst program using the statistics library.
const statsProgram = `"""Pay and balance study."""
from stats import mean, median, gini, variance, pvariance, median_low, median_high

salary = input("salary", sfix)
gender = input("gender", sint)
balance = input("balance", sfix)
min_rows = param("min_rows", int, 5)
assert len(salary) >= min_rows, "too few rows"

def share_above(x, limit):
    """Fraction of rows above limit."""
    return sum(x > limit) / len(x)

def mean_where(x, m):
    return sum(x, where=m) / sum(m)

women = gender == 1
men = gender == 0
output("rows", len(salary))
output("mean_salary", mean(salary))
output("median_salary", median(salary))
output("mean_women", mean_where(salary, women))
output("mean_men", mean_where(salary, men))
output("gap", mean_where(salary, men) - mean_where(salary, women))
output("var", variance(salary))
output("pvar", pvariance(balance))
output("gini", gini(balance))
output("max_balance", max(balance))
output("min_balance", min(balance))
output("low", median_low(balance))
output("high", median_high(balance))
output("rich", share_above(balance, 1000000))
`

// generated returns a program of about n lines of straight-line code, loops
// and function calls.
func generated(n int) string {
	var b strings.Builder
	b.WriteString("x = input(\"x\", sfix)\ny = input(\"y\", sint)\n")
	b.WriteString("def f(a, b):\n    c = a * b + 1\n    if len(a) > 3:\n        c = c - a\n    return c\n")
	lines := 7
	for i := 0; lines < n; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "v%d = x * %d.5 + y\n", i, i%10)
			lines++
		case 1:
			fmt.Fprintf(&b, "v%d = f(x, v%d)\n", i, i-1)
			lines++
		case 2:
			fmt.Fprintf(&b, "v%d = v%d\nfor i in range(3):\n    v%d = where(v%d > i, v%d, v%d - 1)\n", i, i-1, i, i, i, i)
			lines += 3
		case 3:
			fmt.Fprintf(&b, "output(\"o%d\", sum(v%d))\n", i, i-1)
			lines++
		}
	}
	return b.String()
}

func BenchmarkCompile(b *testing.B) {
	for _, c := range []struct {
		name string
		src  string
	}{{"stats30", statsProgram}, {"generated5000", generated(5000)}} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				p, err := Compile("bench.mpcs", []byte(c.src), Options{})
				if err != nil {
					b.Fatal(err)
				}
				enc, _ := vm.Encode(p)
				size = len(enc)
			}
			b.ReportMetric(float64(size), "bytecode-bytes")
			b.ReportMetric(float64(strings.Count(c.src, "\n")), "lines")
		})
	}
}

func TestBenchProgramsCompile(t *testing.T) {
	p := mustCompile(t, statsProgram, Options{})
	enc, err := vm.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > 64<<10 {
		t.Errorf("bytecode of the 30-line program is %d bytes, over 64 KiB", len(enc))
	}
	mustCompile(t, generated(500), Options{})
}
