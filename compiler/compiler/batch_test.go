package compiler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// count returns the instructions with opcode op and their total groups.
func count(p *vm.Program, op vm.Opcode) (instrs, groups int) {
	for _, in := range p.Code {
		if in.Op == op {
			instrs++
			info, _ := op.Info()
			groups += (len(in.Args) - len(info.Fixed)) / len(info.Group)
		}
	}
	return
}

func csvColumns(n int, names ...string) string {
	var b strings.Builder
	b.WriteString(strings.Join(names, ",") + "\n")
	for i := 0; i < n; i++ {
		for j := range names {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%d", i*7-j*3-5)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestBatchHundredStatements(t *testing.T) {
	var src strings.Builder
	src.WriteString("x = input(\"x\", sint)\ny = input(\"y\", sint)\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&src, "m%d = x[%d] * y[%d]\n", i, i, 99-i)
	}
	src.WriteString("output(\"m\", [")
	for i := 0; i < 100; i++ {
		if i > 0 {
			src.WriteString(", ")
		}
		fmt.Fprintf(&src, "m%d", i)
	}
	src.WriteString("])\n")
	p := mustCompile(t, src.String(), Options{})
	instrs, groups := count(p, vm.AMUL)
	require.Equal(t, 1, instrs, "100 independent multiplications are one instruction")
	require.Equal(t, 100, groups)
	res, err := emulate(t, p, csvColumns(100, "x", "y"), nil)
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Rounds, "one round for the products, one for the open")
	out, _ := res.Output("m")
	require.Equal(t, 100, out.Value.Len())
}

func TestBatchComprehension(t *testing.T) {
	src := `x = input("x", sfix)
output("p", [x[i] * x[i + 1] for i in range(100)])
`
	p := mustCompile(t, src, Options{})
	instrs, groups := count(p, vm.AMUL)
	require.Equal(t, 1, instrs)
	require.Equal(t, 100, groups)
	tr, trg := count(p, vm.ATRUNC)
	require.Equal(t, 1, tr)
	require.Equal(t, 100, trg)
	res, err := emulate(t, p, csvColumns(101, "x"), nil)
	require.NoError(t, err)
	require.EqualValues(t, 1+shrRoundsF()+1, res.Rounds, "product, truncation, open")
}

func TestBatchAcrossInlinedCalls(t *testing.T) {
	// The comparisons of two inlined calls of the same function share rounds.
	src := `def clamp(v, hi):
    return where(v > hi, hi, v)
x = input("x", sint)
y = input("y", sint)
output("a", clamp(x, 10))
output("b", clamp(y, 20))
`
	p := mustCompile(t, src, Options{})
	ltz, g := count(p, vm.ALTZ)
	require.Equal(t, 1, ltz)
	require.Equal(t, 2, g)
	open, g := count(p, vm.AOPEN)
	require.Equal(t, 1, open)
	require.Equal(t, 2, g)
}

func TestDotProduct(t *testing.T) {
	p := mustCompile(t, "x = input(\"x\", sfix)\ny = input(\"y\", sfix)\noutput(\"d\", sum(x * y))\n", Options{})
	n, _ := count(p, vm.AMUL)
	require.Zero(t, n, "sum(x * y) is a dot product, not a vector product")
	n, _ = count(p, vm.ADOT)
	require.Equal(t, 1, n)
}

// The bytecode of a program does not depend on the number of rows: loops
// over the data are loops in the bytecode, and the program never mentions it.
func TestCodeSizeIndependentOfData(t *testing.T) {
	src := `x = input("x", sint)
total = 0
for i in range(len(x)):
    total = total + x[i] * x[i]
output("t", total)
`
	p := mustCompile(t, src, Options{})
	require.Less(t, len(p.Code), 40)
	for _, n := range []int{1, 10, 1000} {
		res, err := emulate(t, p, csvColumns(n, "x"), nil)
		require.NoError(t, err)
		require.EqualValues(t, n+1, res.Rounds, "one product per iteration, one open")
	}
}

// shrRoundsF is the rounds of an exact truncation by the default F.
func shrRoundsF() int {
	return vm.Instr{Op: vm.ATRUNC, Args: []uint32{0, 0, uint32(DefaultFracBits(128))}}.Rounds(128)
}
