package compiler

import (
	"fmt"

	"github.com/mpcs/mpcs/vm"
)

// emit allocates registers and encodes the IR as a vm.Program.
func (c *compiler) emit(code []*inst) (*vm.Program, error) {
	assign, counts := allocate(code, len(c.b.class), c.b.class)
	// drop moves that became no-ops
	kept := code[:0:0]
	for _, in := range code {
		if in.op == vm.MOV && assign[in.args[0]] == assign[in.args[1]] {
			continue
		}
		kept = append(kept, in)
	}
	code = kept
	// drop jumps to the next instruction
	kept = code[:0:0]
	for i, in := range code {
		if in.op == vm.JMP {
			next := i + 1
			target := false
			for ; next < len(code) && code[next].op == opLabel; next++ {
				target = target || code[next].args[0] == in.args[0]
			}
			if target {
				continue
			}
		}
		kept = append(kept, in)
	}
	code = kept
	pcs := map[int]int{}
	pc := 0
	for _, in := range code {
		if in.op == opLabel {
			pcs[in.args[0]] = pc
		} else {
			pc++
		}
	}
	p := &vm.Program{
		Ring: c.ring, FracBits: c.frac, NumRegs: counts,
		Inputs: c.inputs, Params: c.params, Outputs: c.outputs,
	}
	for _, in := range code {
		if in.op == opLabel {
			continue
		}
		ops := in.operands()
		args := make([]uint32, len(in.args))
		for i, a := range ops {
			x := in.args[i]
			switch a.Kind {
			case vm.KP, vm.KA, vm.KB:
				args[i] = uint32(assign[x])
			case vm.KR:
				args[i] = vm.EncodeReg(vm.Reg{Class: c.b.class[x], Index: uint32(assign[x])})
			case vm.KOptP:
				if x >= 0 {
					args[i] = uint32(assign[x]) + 1
				}
			case vm.KJump:
				t, ok := pcs[x]
				if !ok {
					return nil, fmt.Errorf("jump to undefined label L%d", x)
				}
				args[i] = uint32(t)
			default:
				args[i] = uint32(x)
			}
		}
		p.Code = append(p.Code, vm.Instr{Op: in.op, Args: args})
		p.Pos = append(p.Pos, vm.SrcPos{File: uint32(c.str(in.pos.File)), Line: uint32(in.pos.Line), Col: uint32(in.pos.Col)})
	}
	p.Consts = c.b.consts
	p.Strings = c.strs
	if err := vm.Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}
