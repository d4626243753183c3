package compiler

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// The IR is a flat list of vector instructions over virtual registers, with
// label pseudo-instructions as jump targets. Instructions use the opcodes and
// operand pictures of the bytecode (vm.OpInfo); operands hold virtual
// register numbers, constant and string indexes, label numbers for jumps, and
// -1 for an absent optional register. Temporaries are defined once; only the
// registers of variables carried around loops and branches ("multi"
// registers) are written more than once.

// opLabel marks a jump target in the IR; it is not emitted.
const opLabel vm.Opcode = 255

type inst struct {
	op   vm.Opcode
	args []int
	pos  lang.Pos
}

// operands lists the picture of an instruction with its groups expanded.
func (in *inst) operands() []vm.Arg {
	info, ok := in.op.Info()
	if !ok {
		return nil // a label
	}
	out := append([]vm.Arg(nil), info.Fixed...)
	if len(info.Group) > 0 {
		n := (len(in.args) - len(info.Fixed)) / len(info.Group)
		for i := 0; i < n; i++ {
			out = append(out, info.Group...)
		}
	}
	return out
}

// isReg reports whether an operand kind names a register.
func isReg(k vm.OperandKind) bool {
	return k == vm.KP || k == vm.KA || k == vm.KB || k == vm.KR || k == vm.KOptP
}

// eachReg calls f for every register operand with whether it is written.
func (in *inst) eachReg(f func(reg int, def bool)) {
	if in.op == opLabel {
		return
	}
	for i, a := range in.operands() {
		if isReg(a.Kind) && in.args[i] >= 0 {
			f(in.args[i], a.Mode == vm.Def)
		}
	}
}

// effectful reports whether the instruction must stay even if its results are unused.
func (in *inst) effectful() bool {
	switch in.op {
	case opLabel, vm.JMP, vm.JZ, vm.JNZ, vm.ASSERT, vm.CHKLEN, vm.OUTPUT:
		return true
	}
	return false
}

func (in *inst) String() string {
	if in.op == opLabel {
		return fmt.Sprintf("L%d:", in.args[0])
	}
	parts := make([]string, len(in.args))
	for i, a := range in.args {
		parts[i] = fmt.Sprint(a)
	}
	return in.op.String() + " " + strings.Join(parts, ",")
}

// builder accumulates IR instructions and owns the virtual registers, the
// constant pool and the string table of one compilation.
type builder struct {
	code    *[]*inst
	class   []vm.Class // class of each virtual register
	multi   []bool     // register written more than once
	nlabels int
	pos     lang.Pos // position given to new instructions

	consts   []vm.Vec
	constIdx map[string]int
	ring     int
}

func newBuilder(ring int) *builder {
	code := []*inst{}
	return &builder{code: &code, constIdx: map[string]int{}, ring: ring}
}

func (b *builder) newReg(c vm.Class) int {
	b.class = append(b.class, c)
	b.multi = append(b.multi, false)
	return len(b.class) - 1
}

func (b *builder) newLabel() int {
	b.nlabels++
	return b.nlabels - 1
}

func (b *builder) emit(op vm.Opcode, args ...int) {
	*b.code = append(*b.code, &inst{op: op, args: args, pos: b.pos})
}

func (b *builder) label(l int) { b.emit(opLabel, l) }

// capture runs f with emission redirected to a fresh list and returns it.
func (b *builder) capture(f func()) []*inst {
	saved := b.code
	var out []*inst
	b.code = &out
	f()
	b.code = saved
	return out
}

// splice appends previously captured instructions.
func (b *builder) splice(insts []*inst) { *b.code = append(*b.code, insts...) }

// constant returns the pool index of a constant vector.
func (b *builder) constant(xs []*big.Int) int {
	v := vm.NewVec(b.ring, len(xs))
	var key strings.Builder
	for i, x := range xs {
		vm.SetElemBig(b.ring, v, i, x)
		fmt.Fprintf(&key, "%x,", v.Lo[i])
		if v.Hi != nil {
			fmt.Fprintf(&key, "%x,", v.Hi[i])
		}
	}
	if i, ok := b.constIdx[key.String()]; ok {
		return i
	}
	b.consts = append(b.consts, v)
	b.constIdx[key.String()] = len(b.consts) - 1
	return len(b.consts) - 1
}
