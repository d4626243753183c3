package vm

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

// exRandomProgram builds a structurally valid program (every operand in range,
// as Verify demands) of random instructions over a few registers.
func exRandomProgram(r *rand.Rand, k int) *Program {
	b := newExProg(k)
	p := b.p
	for c := range p.NumRegs {
		p.NumRegs[c] = 4
	}
	p.NumRegs[ClassI] = 0
	ev := exEdgeValues(k)
	for i := 0; i < 6; i++ {
		n := []int{0, 1, 1, 1, 2, 3}[r.IntN(6)]
		if i == 0 {
			n = 1
		}
		xs := make([]int64, 0, n)
		v := NewVec(k, n)
		for j := 0; j < n; j++ {
			if r.IntN(2) == 0 {
				SetElemBig(k, v, j, ev[r.IntN(len(ev))])
			} else {
				xs = append(xs, r.Int64N(9)-4)
				rgStore(k, v, j, rgFrom64(xs[len(xs)-1]))
			}
		}
		b.konst(v)
	}
	p.Inputs = []Column{{"x", TSint}, {"w", TSbits}}
	p.Params = []Param{{"n", TInt, 0}}
	p.Outputs = []Output{{"o", TInt, true}, {"s", TInt, false}}
	b.str("boom")
	ncode := 5 + r.IntN(30)
	// start by defining every register, so that runs get further
	for i := uint32(0); i < 4; i++ {
		b.emit(CONST, i, uint32(r.IntN(len(p.Consts))))
		b.emit(PTOA, i, i)
		b.emit(PTOB, i, i)
	}
	for len(p.Code) < ncode+12 {
		op := Opcode(r.IntN(NumOpcodes))
		info, _ := op.Info()
		ng := 0
		if len(info.Group) > 0 {
			ng = max(info.MinGroups, r.IntN(3))
		}
		cls := Class(r.IntN(3))
		var args []uint32
		operand := func(a Arg) uint32 {
			switch a.Kind {
			case KP, KA, KB:
				return uint32(r.IntN(4))
			case KR:
				c := cls
				if !info.SameClass {
					c = Class(r.IntN(3))
				}
				if op == INPUT {
					c = ClassA + Class(r.IntN(2))
				}
				return EncodeReg(Reg{c, uint32(r.IntN(4))})
			case KOptP:
				return uint32(r.IntN(5))
			case KConst:
				return uint32(r.IntN(len(p.Consts)))
			case KString:
				return uint32(r.IntN(len(p.Strings)))
			case KJump:
				return uint32(r.IntN(ncode + 13))
			case KImm:
				switch op {
				case A2B:
					return uint32(r.IntN(2))
				case ATRUNC, ASHR:
					return uint32(r.IntN(k))
				}
				return uint32(r.IntN(64))
			case KInput:
				if op == INPUT {
					c := DecodeReg(args[0]).Class
					return uint32(c - ClassA)
				}
				return 0
			case KParam:
				return 0
			case KOutput:
				return uint32(r.IntN(2))
			}
			return 0
		}
		for _, a := range info.Fixed {
			args = append(args, operand(a))
		}
		for g := 0; g < ng; g++ {
			for _, a := range info.Group {
				args = append(args, operand(a))
			}
		}
		b.emit(op, args...)
	}
	return p
}

// No structurally valid program makes the machine panic (an "internal
// error" is a recovered panic).
func TestRandomProgramsNoPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i := 0; i < n; i++ {
		k := 64
		if i%2 == 1 {
			k = 128
		}
		p := exRandomProgram(r, k)
		exCheckNoPanic(t, p)
	}
}

func exCheckNoPanic(t *testing.T, p *Program) {
	t.Helper()
	data := &Dataset{Ring: p.Ring, FracBits: p.FracBits, Rows: 3,
		Columns: []Column{{"x", TSint}, {"w", TSbits}},
		Values:  []Vec{VecOf(p.Ring, 1, -2, 3), {Lo: []uint64{1, 2, 3}}}}
	m := NewMachine(p, NewPlainEngine(p.Ring, p.FracBits, data), nil)
	m.MaxSteps = 300
	m.MaxLen = 1000
	_, err := m.Run(context.Background())
	if err != nil && strings.Contains(err.Error(), "internal error") {
		t.Fatalf("%v\nprogram: %+v", err, p.Code)
	}
}

func FuzzMachine(f *testing.F) {
	f.Add(uint64(1), false)
	f.Add(uint64(2), true)
	f.Fuzz(func(t *testing.T, seed uint64, wide bool) {
		k := 64
		if wide {
			k = 128
		}
		exCheckNoPanic(t, exRandomProgram(rand.New(rand.NewPCG(seed, 0)), k))
	})
}
