package vm

import (
	"strings"
	"testing"
)

// bcVerifyBase is a small valid program; each rejection test breaks one rule.
const bcVerifyBase = `
.ring 128
.frac 24
.regs p=4 a=4 b=2 i=0
.input in0 "balance" sfix
.input in1 "words" sbits
.param par0 "k" int k0
.output out0 "mean" sfix scalar
.const k0 [5]
.const k1 [1, 2, 3]
.string s0 "prog.mpcs"
.string s1 "k must be positive"

   0  INPUT  a0, in0                    # @prog.mpcs:3:11
   1  INPUT  b0, in1                    # @prog.mpcs:4:1
   2  PARAM  p0, par0                   # @prog.mpcs:5:1
   3  ASSERT p0, s1                     # @prog.mpcs:6:1
   4  AMUL   a1, a0, a0 ; a2, a0, a1    # @prog.mpcs:7:5
   5  ATRUNC a1, a1, 24                 # @prog.mpcs:7:5
   6  AOPEN  p1, a1                     # @prog.mpcs:8:1
   7  OUTPUT out0, p1                   # @prog.mpcs:8:1
   8  MOV    a3, a2                     # @prog.mpcs:9:1
   9  SLICE  p2, p1, _, p0, _           # @prog.mpcs:10:1
  10  BSHL   b1, b0, 3                  # @prog.mpcs:11:1
  11  A2B    b1, a0, 1                  # @prog.mpcs:12:1
  12  CONST  p3, k1                     # @prog.mpcs:13:1
  13  JNZ    p3, 14                     # @prog.mpcs:14:1
`

func bcMustAssemble(t testing.TB, text string) *Program {
	t.Helper()
	p, err := Assemble(text)
	bcNoErr(t, err)
	return p
}

func TestVerifyAcceptsBase(t *testing.T) {
	p := bcMustAssemble(t, bcVerifyBase)
	bcNoErr(t, Verify(p))
	for _, k := range []int{64, 128} {
		bcNoErr(t, Verify(bcAllOpcodes(k)))
	}
	// The limits of the fractional bits.
	p.FracBits = 62
	bcNoErr(t, Verify(p))
	p = bcMustAssemble(t, strings.Replace(bcVerifyBase, ".ring 128", ".ring 64", 1))
	p.FracBits = 31
	bcNoErr(t, Verify(p))
}

func TestVerifyRejects(t *testing.T) {
	reg := func(c Class, i uint32) uint32 { return EncodeReg(Reg{c, i}) }
	cases := []struct {
		name   string
		mutate func(p *Program)
		want   string
	}{
		{"nil", nil, "invalid program: nil"},
		{"ring", func(p *Program) { p.Ring = 96 }, "ring size 96, want 64 or 128"},
		{"frac negative", func(p *Program) { p.FracBits = -1 }, "-1 fractional bits in ring 128: want 0 <= F <= 62"},
		{"frac 128", func(p *Program) { p.FracBits = 63 }, "63 fractional bits in ring 128: want 0 <= F <= 62"},
		{"frac 64", func(p *Program) {
			p.Ring = 64
			for i := range p.Consts {
				p.Consts[i].Hi = nil
			}
			p.FracBits = 32
		}, "32 fractional bits in ring 64: want 0 <= F <= 31"},
		{"register limit", func(p *Program) { p.NumRegs[ClassB] = MaxRegs + 1 }, "1048577 registers of class b, the limit is 1048576"},

		{"input name", func(p *Program) { p.Inputs[0].Name = "1x" }, `input 0: name "1x" is not an identifier`},
		{"empty name", func(p *Program) { p.Outputs[0].Name = "" }, `output 0: name "" is not an identifier`},
		{"param name", func(p *Program) { p.Params[0].Name = "a-b" }, `parameter 0: name "a-b" is not an identifier`},
		{"duplicate input", func(p *Program) { p.Inputs[1].Name = "balance" }, `input 1: duplicate name "balance"`},
		{"duplicate param", func(p *Program) { p.Params = append(p.Params, p.Params[0]) }, `parameter 1: duplicate name "k"`},
		{"duplicate output", func(p *Program) { p.Outputs = append(p.Outputs, p.Outputs[0]) }, `output 1: duplicate name "mean"`},
		{"input type", func(p *Program) { p.Inputs[0].Type = TInt }, `input 0 "balance": type int, want sint, sfix or sbits`},
		{"input sbool", func(p *Program) { p.Inputs[0].Type = TSbool }, `type sbool, want sint, sfix or sbits`},
		{"param type", func(p *Program) { p.Params[0].Type = TSint }, `parameter 0 "k": type sint, want int, fix or bool`},
		{"output type", func(p *Program) { p.Outputs[0].Type = 0 }, `output 0 "mean": invalid type type(0)`},
		{"output type high", func(p *Program) { p.Outputs[0].Type = TSbits + 1 }, `invalid type type(8)`},
		{"param default range", func(p *Program) { p.Params[0].Default = 2 }, `parameter 0 "k": default k2 out of range (2 constants)`},
		{"param default length", func(p *Program) { p.Params[0].Default = 1 }, `parameter 0 "k": default k1 has length 3, want 1`},
		{"schema limit", func(p *Program) { p.Outputs = make([]Output, MaxSchema+1) }, "the limit is 65536 each"},

		{"hi in ring 64", func(p *Program) { p.Ring = 64 }, "constant k0 has high words in ring 64"},
		{"hi missing", func(p *Program) { p.Consts[1].Hi = nil }, "constant k1 has 3 low and 0 high words"},
		{"hi short", func(p *Program) { p.Consts[1].Hi = p.Consts[1].Hi[:2] }, "constant k1 has 3 low and 2 high words"},
		{"string limit", func(p *Program) { p.Strings = append(p.Strings, strings.Repeat("x", MaxStringLen+1)) }, "string s2 has 65537 bytes"},

		{"positions", func(p *Program) { p.Pos = p.Pos[:3] }, "3 positions for 14 instructions"},
		{"position file", func(p *Program) { p.Pos[2].File = 2 }, "pc 2: position file s2 out of range (2 strings)"},

		{"unknown opcode", func(p *Program) { p.Code[3].Op = Opcode(NumOpcodes) }, "pc 3 (prog.mpcs:6:1): OP?: unknown opcode"},
		{"too few operands", func(p *Program) { p.Code[6].Op = PNEG; p.Code[6].Args = p.Code[6].Args[:1] }, "pc 6 (prog.mpcs:8:1): PNEG: 1 operands, want 2"},
		{"operands beyond the picture", func(p *Program) { p.Code[3].Args = append(p.Code[3].Args, 0) }, "ASSERT: 3 operands, want 2"},
		{"partial group", func(p *Program) { p.Code[4].Args = p.Code[4].Args[:5] }, "pc 4 (prog.mpcs:7:5): AMUL: 5 operands, want 0 and groups of 3"},
		{"no groups", func(p *Program) { p.Code[4].Args = nil }, "pc 4 (prog.mpcs:7:5): AMUL: 0 groups, want at least 1"},

		{"P register", func(p *Program) { p.Code[2].Args[0] = 4 }, "pc 2 (prog.mpcs:5:1): PARAM: operand 1: register p4 out of range (4 p registers)"},
		{"A register in a group", func(p *Program) { p.Code[4].Args[5] = 9 }, "AMUL: group 2 operand 3: register a9 out of range (4 a registers)"},
		{"B register", func(p *Program) { p.Code[10].Args[1] = 2 }, "BSHL: operand 2: register b2 out of range (2 b registers)"},
		{"tagged register", func(p *Program) { p.Code[8].Args[1] = reg(ClassA, 4) }, "MOV: operand 2: register a4 out of range"},
		{"class I", func(p *Program) {
			p.NumRegs[ClassI] = 1
			p.Code[8].Args = []uint32{reg(ClassI, 0), reg(ClassI, 0)}
		}, "MOV: operand 1: register i0: class i is reserved"},
		{"optional register", func(p *Program) { p.Code[9].Args[3] = 5 }, "SLICE: operand 4: register p4 out of range"},
		{"constant", func(p *Program) { p.Code[12].Args[1] = 2 }, "CONST: operand 2: constant k2 out of range (2 constants)"},
		{"string", func(p *Program) { p.Code[3].Args[1] = 7 }, "ASSERT: operand 2: string s7 out of range (2 strings)"},
		{"input", func(p *Program) { p.Code[0].Args[1] = 2 }, "INPUT: operand 2: input in2 out of range (2 inputs)"},
		{"param", func(p *Program) { p.Code[2].Args[1] = 1 }, "PARAM: operand 2: parameter par1 out of range (1 parameters)"},
		{"output", func(p *Program) { p.Code[7].Args[0] = 1 }, "OUTPUT: operand 1: output out1 out of range (1 outputs)"},
		{"jump to the end", func(p *Program) { p.Code[13].Args[1] = 15 }, "pc 13 (prog.mpcs:14:1): JNZ: operand 2: jump target 15 beyond the end of the code (14 instructions)"},
		{"BSHL amount", func(p *Program) { p.Code[10].Args[2] = 64 }, "BSHL: operand 3: shift amount 64 out of range [0, 64)"},
		{"BSHR amount", func(p *Program) { p.Code[10].Op = BSHR; p.Code[10].Args[2] = 64 }, "BSHR: operand 3: shift amount 64 out of range [0, 64)"},
		{"BROTL amount", func(p *Program) { p.Code[10].Op = BROTL; p.Code[10].Args[2] = 99 }, "BROTL: operand 3: shift amount 99 out of range [0, 64)"},
		{"ATRUNC amount", func(p *Program) { p.Code[5].Args[2] = 128 }, "ATRUNC: group 1 operand 3: shift amount 128 out of range [0, 128)"},
		{"ASHR amount", func(p *Program) { p.Code[5].Op = ASHR; p.Code[5].Args[2] = 200 }, "ASHR: group 1 operand 3: shift amount 200 out of range [0, 128)"},
		{"A2B word", func(p *Program) { p.Code[11].Args[2] = 2 }, "A2B: group 1 operand 3: word index 2 out of range [0, 2)"},
		{"same class", func(p *Program) { p.Code[8].Args[1] = reg(ClassP, 0) }, "pc 8 (prog.mpcs:9:1): MOV: operand 2: register p0, but the registers of MOV must be of one class (a)"},
		{"input class sfix", func(p *Program) { p.Code[0].Args[0] = reg(ClassB, 0) }, `pc 0 (prog.mpcs:3:11): INPUT: input "balance" of type sfix needs a register of class a, not b0`},
		{"input class sbits", func(p *Program) { p.Code[1].Args[0] = reg(ClassA, 0) }, `INPUT: input "words" of type sbits needs a register of class b, not a0`},
		{"input class P", func(p *Program) { p.Code[1].Args[0] = reg(ClassP, 0) }, `needs a register of class b, not p0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p *Program
			if c.mutate != nil {
				p = bcMustAssemble(t, bcVerifyBase)
				c.mutate(p)
			}
			err := Verify(p)
			bcErrContains(t, err, c.want)
			if !strings.HasPrefix(err.Error(), "invalid program: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
			if p != nil {
				_, encErr := Encode(p)
				bcEqual(t, encErr, err, "Encode must refuse what Verify rejects")
			}
		})
	}
}

func TestVerifyZeroPositionWithoutStrings(t *testing.T) {
	p := bcMustAssemble(t, ".ring 64\n NOP\n")
	bcNoErr(t, Verify(p))
	p.Pos[0].Line = 1
	bcErrContains(t, Verify(p), "pc 0: position file s0 out of range (0 strings)")
}

func TestVerifyImmediateRules(t *testing.T) {
	// Every opcode with an immediate needs a rule in the verifier.
	for op := range Opcode(NumOpcodes) {
		info, _ := op.Info()
		for _, a := range append(append([]Arg{}, info.Fixed...), info.Group...) {
			if a.Kind == KImm {
				if limit, _ := bcImmLimit(op, 128); limit == 0 {
					t.Errorf("%s has an immediate but no rule in bcImmLimit", op)
				}
			}
		}
	}
}
