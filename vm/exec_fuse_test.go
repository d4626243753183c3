package vm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// fusingEngine is the reference engine with a MulTrunc that records its
// calls.
type fusingEngine struct {
	*vm.PlainEngine
	calls, elems int
}

func (f *fusingEngine) MulTrunc(ctx context.Context, x, y []vm.Share, m []uint) ([]vm.Share, error) {
	f.calls++
	for g := range x {
		f.elems += max(x[g].Len(), y[g].Len())
	}
	z, err := f.Mul(ctx, x, y)
	if err != nil {
		return nil, err
	}
	return f.Trunc(ctx, z, m)
}

// TestFusedMulTrunc runs fixed-point programs on an engine with MulTrunc
// and without: the outputs, rounds and steps agree, whole and chunked, and
// only in-place truncations of AMUL results are fused.
func TestFusedMulTrunc(t *testing.T) {
	src := `x = input("x", sfix)
y = input("y", sfix)
z = x * y
output("prod", z)
output("sq", sum(x * x * y))
output("both", (x * y) * (y * x))
`
	var csv strings.Builder
	csv.WriteString("x,y\n")
	for i := range 40 {
		fmt.Fprintf(&csv, "%d.%d,%d.%d\n", i*7%23-11, i*13%97, 5-i%9, i*31%89)
	}
	for _, ring := range []int{64, 128} {
		p, err := compiler.Compile("p.mpcs", []byte(src), compiler.Options{Ring: ring})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := vm.ReadCSV(strings.NewReader(csv.String()), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{0, 7} {
			plain := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, ds), nil)
			plain.ChunkElems = chunk
			want, err := plain.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			fe := &fusingEngine{PlainEngine: vm.NewPlainEngine(p.Ring, p.FracBits, ds)}
			fused := vm.NewMachine(p, fe, nil)
			fused.ChunkElems = chunk
			got, err := fused.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if string(got.JSON()) != string(want.JSON()) || got.Rounds != want.Rounds || got.Instructions != want.Instructions {
				t.Errorf("ring %d chunk %d: fused %s (%d rounds, %d steps), plain %s (%d rounds, %d steps)", ring, chunk,
					got.JSON(), got.Rounds, got.Instructions, want.JSON(), want.Rounds, want.Instructions)
			}
			if fe.calls == 0 || fe.elems < 2*40 {
				t.Errorf("ring %d chunk %d: %d fused calls over %d elements", ring, chunk, fe.calls, fe.elems)
			}
		}
	}
}

// TestFusedMulTruncPattern: a truncation into another register, of a
// product that is read again, or of a different register is not fused;
// a step limit between the two instructions stops at the ATRUNC as before.
func TestFusedMulTruncPattern(t *testing.T) {
	head := `.ring 128
.frac 24
.regs p=1 a=4 b=0 i=0
.input in0 "x" sfix
.output out0 "r" sfix vector
   0  INPUT  a0, in0
`
	cases := []struct {
		name  string
		code  string
		fused bool
	}{
		{"in place", "   1  AMUL   a1, a0, a0 ; a2, a0, a0\n   2  ATRUNC a1, a1, 24 ; a2, a2, 24\n   3  AADD a3, a1, a2\n", true},
		{"other destination", "   1  AMUL   a1, a0, a0\n   2  ATRUNC a2, a1, 24\n   3  AADD a3, a1, a2\n", false},
		{"other register", "   1  AMUL   a1, a0, a0 ; a2, a0, a0\n   2  ATRUNC a1, a1, 24 ; a0, a0, 24\n   3  AADD a3, a1, a0\n", false},
		{"fewer groups", "   1  AMUL   a1, a0, a0 ; a2, a0, a0\n   2  ATRUNC a1, a1, 24\n   3  AADD a3, a1, a2\n", false},
		{"same destination twice", "   1  AMUL   a1, a0, a0 ; a1, a0, a0\n   2  ATRUNC a1, a1, 24 ; a1, a1, 24\n   3  AADD a3, a1, a1\n", false},
	}
	for _, c := range cases {
		p, err := vm.Assemble(head + c.code + "   4  AOPEN  p0, a3\n   5  OUTPUT out0, p0\n")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ds, err := vm.ReadCSV(strings.NewReader("x\n1.5\n-2.25\n3\n"), p)
		if err != nil {
			t.Fatal(err)
		}
		want, err := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, ds), nil).Run(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		fe := &fusingEngine{PlainEngine: vm.NewPlainEngine(p.Ring, p.FracBits, ds)}
		got, err := vm.NewMachine(p, fe, nil).Run(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if string(got.JSON()) != string(want.JSON()) || got.Rounds != want.Rounds || got.Instructions != want.Instructions {
			t.Errorf("%s: fused %s, plain %s", c.name, got.JSON(), want.JSON())
		}
		if (fe.calls > 0) != c.fused {
			t.Errorf("%s: %d fused calls, want fused = %v", c.name, fe.calls, c.fused)
		}
		// a step limit after the AMUL stops at the ATRUNC, fused or not
		for _, e := range []vm.Engine{vm.NewPlainEngine(p.Ring, p.FracBits, ds), &fusingEngine{PlainEngine: vm.NewPlainEngine(p.Ring, p.FracBits, ds)}} {
			m := vm.NewMachine(p, e, nil)
			m.MaxSteps = 2
			_, err := m.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), "step limit") {
				t.Errorf("%s: step limit: %v", c.name, err)
			}
			if re, ok := err.(*vm.RuntimeError); !ok || re.PC != 2 {
				t.Errorf("%s: step limit error at %v, want pc 2", c.name, err)
			}
		}
	}
}
