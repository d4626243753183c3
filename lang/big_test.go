package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statsProgram is a 30-line statistics program.
const statsProgram = `"""Salary statistics by cohort."""
from stats import mean, median, stdev, percentile
import math

def zscore(x: sfix[], mu: sfix, sd: sfix) -> sfix[]:
    """Standardised values."""
    return (x - mu) / sd

def clipped_mean(x: sfix[], lo=0, hi=1_000_000) -> sfix:
    keep = (x >= lo) * (x <= hi)
    return sum(x * keep) / sum(keep)

salary = input("salary", sfix)
age = input("age", sint)
cohorts = param("cohorts", int, 4)
assert cohorts > 0, "need at least one cohort"
width = 80 // cohorts
for c in range(cohorts):
    lo, hi = 20 + c * width, 20 + (c + 1) * width
    mask = (age >= lo) * (age < hi)
    output("mean_%d" % c, mean(salary, where=mask))
    if c == 0 or c == cohorts - 1:
        output("p90_%d" % c, percentile(salary, 90, where=mask))
mu, sd = mean(salary), stdev(salary)
z = zscore(salary, mu, sd)
output("outliers", sum(abs(z) > 3.0))
output("clipped", clipped_mean(salary, hi=2.5e5))
bits = sbits(age)
output("parity", sum(sint(bits & 0x1)))
output("median", median(salary))
`

// bigProgram generates a valid program of at least n lines that uses every
// construct of the language.
func bigProgram(n int) string {
	var b strings.Builder
	b.WriteString("\"\"\"Generated.\"\"\"\nfrom stats import mean, median as med\nimport math as m\n\n")
	lines := 4
	for i := 0; lines < n; i++ {
		chunk := fmt.Sprintf(`# section %[1]d
def f%[1]d(x: sfix[], w: sfix[] = None, k: int = %[1]d) -> (sfix, sfix):
    """Function %[1]d."""
    total = 0
    acc, cnt = 0.5, 0
    for i in range(len(x)):
        if i %% 3 == 0 and not (i > k):
            total += x[i] * 2 ** -1
        elif i < -k or i >= k << 2:
            break
        else:
            acc = acc + x[i] if i != 0 else acc - x[i]
            continue
    while cnt < k:
        cnt += 1; acc *= 1.0001
    ys = [x[j] ** 2 for j in range(k)]
    zs = [1, 2, 3, %[1]d,]
    v = x[1:k] + x[::2][:k] - x[:-1:1][0]
    assert cnt == k, "loop %[1]d ended early"
    return m.sqrt(acc / k), mean(x, where=x > 0)

a%[1]d, b%[1]d = f%[1]d(input("col%[1]d", sfix), w=None)
c%[1]d = 0x%[1]x ^ 0b1010 | 0o17 & ~%[1]d >> 1
d%[1]d = a%[1]d if 0 <= b%[1]d < 3.25e2 else -b%[1]d ** 2
output("r%[1]d", (a%[1]d, b%[1]d, c%[1]d, d%[1]d))

`, i)
		b.WriteString(chunk)
		lines += strings.Count(chunk, "\n")
	}
	return b.String()
}

func TestStatsProgram(t *testing.T) {
	assert.Equal(t, 30, strings.Count(statsProgram, "\n"))
	m := mustParse(t, statsProgram)
	checkPositions(t, m)
	assert.Equal(t, "Salary statistics by cohort.", m.Doc)
	assert.Len(t, m.Body, 17)
}

func TestBigProgram(t *testing.T) {
	src := bigProgram(5000)
	require.GreaterOrEqual(t, strings.Count(src, "\n"), 5000)
	m := mustParse(t, src)
	checkPositions(t, m)
	defs := 0
	for _, s := range m.Body {
		if f, ok := s.(*FuncDef); ok {
			defs++
			require.Len(t, f.Body, 9, f.Name)
			require.Equal(t, fmt.Sprintf("Function %s.", f.Name[1:]), f.Doc)
		}
	}
	assert.Equal(t, len(m.Body), 2+defs*5)
	assert.Greater(t, defs, 150)
}

// BenchmarkParse parses a 30-line statistics program and a 5,000-line one.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		src  string
	}{
		{"30-lines", statsProgram},
		{"5000-lines", bigProgram(5000)},
	} {
		src := []byte(bc.src)
		lines := strings.Count(bc.src, "\n")
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, errs := Parse("bench.mpcs", src); errs != nil {
					b.Fatal(errs)
				}
			}
			b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkTokenize measures the lexer alone on the 5,000-line program.
func BenchmarkTokenize(b *testing.B) {
	src := []byte(bigProgram(5000))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tokenize("bench.mpcs", src)
	}
}
