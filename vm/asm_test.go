package vm

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAssembleLenientForms(t *testing.T) {
	// No .regs (inferred), no .frac, no pcs, no positions, comments, blank
	// lines, CRLF line ends, directives after the code.
	p := bcMustAssemble(t, strings.ReplaceAll(`
# a test program
.ring 64

INPUT a2, in0            # reads the column
AMUL a1, a2, a2 ; a3, a1, a2   # rounds=99 is not checked
SLICE a0, a1, _, p4, _
AOPEN p0, a3             # @f.mpcs:2:3
CHKLEN b7, i0
.input in0 "x" sint
.string s0 "f.mpcs"
`, "\n", "\r\n"))
	bcEqual(t, p.Ring, 64)
	bcEqual(t, p.FracBits, 0)
	bcEqual(t, p.NumRegs, [NumClasses]uint32{5, 4, 8, 1})
	bcEqual(t, p.Pos, []SrcPos{{}, {}, {}, {0, 2, 3}, {}})
	bcEqual(t, p.Code[2].Args, []uint32{EncodeReg(Reg{ClassA, 0}), EncodeReg(Reg{ClassA, 1}), 0, 5, 0})
	bcEqual(t, p.Code[4].Args, []uint32{EncodeReg(Reg{ClassB, 7}), EncodeReg(Reg{ClassI, 0})})
}

func TestAssembleErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"", "missing .ring directive"},
		{".ring 64\n.ring 64", "line 2: .ring again (first on line 1)"},
		{".ring x", `line 1: "x" is not a number`},
		{".ring 64 128", "line 1: want .ring N"},
		{".ring 64\n.bogus 1", "line 2: unknown directive .bogus"},
		{".ring 64\n.regs q=1", `line 2: "q=1": want p=N, a=N, b=N or i=N`},
		{".ring 64\n.regs p=-1", `line 2: "-1" is not a number`},
		{".ring 64\n.input in1 \"x\" sint", "line 2: in1 out of order: want in0"},
		{".ring 64\n.input in0 x sint", "line 2: name x is not a quoted string"},
		{".ring 64\n.input in0 \"x\" float", `line 2: unknown type "float"`},
		{".ring 64\n.input in0 \"x", "line 2: unterminated string"},
		{".ring 64\n.string s0 \"\\q\"", `line 2: string "\q": bad string literal`},
		{".ring 64\n.param par0 \"k\" int 0", `line 2: "0" is not a constant like k0`},
		{".ring 64\n.output out0 \"m\" int matrix", `line 2: "matrix": want scalar or vector`},
		{".ring 64\n.const k0 5", "line 2: want .const kN [v, v, ...]"},
		{".ring 64\n.const k0 [1 2]", "line 2: want , between constant elements"},
		{".ring 64\n.const k0 [1,]", "line 2: constant ends with ,"},
		{".ring 64\n.const k0 [1.5]", `line 2: "1.5" is not a decimal integer`},
		{".ring 64\n.const k0 [+1]", `"+1" is not a decimal integer`},
		{".ring 128\n.const k0 [340282366920938463463374607431768211456]", "out of the 128-bit range"},
		{".ring 64\n.const k0 [18446744073709551616]", "line 2: constant k0 element 0 is out of the range of ring 64"},
		{".ring 64\n.const k0 [-9223372036854775809]", "constant k0 element 0 is out of the range of ring 64"},
		{".ring 64\nFOO p0", `line 2: unknown opcode "FOO"`},
		{".ring 64\n3 NOP", "line 2: pc 3, but this is instruction 0"},
		{".ring 64\n0", "line 2: missing mnemonic after the pc"},
		{".ring 64\nPADD p0, p1", "line 2: PADD has 3 operands, not 2"},
		{".ring 64\nPADD p0, p1, p2 ; p3", "line 2: PADD has no groups"},
		{".ring 64\nPADD p0, p1, a2", `line 2: PADD operand 3: "a2" is not a P register like p0`},
		{".ring 64\nPADD p0,, p1", `line 2: PADD: unexpected ","`},
		{".ring 64\nPADD p0, p1, p2,", `line 2: PADD: operands end with ","`},
		{".ring 64\nAMUL a0, a1, a2 ; a3, a4", "line 2: AMUL: group 2 has 2 operands, not 3"},
		{".ring 64\nASORT a0 ; a1, a2", "line 2: ASORT has 2 fixed operands before its groups"},
		{".ring 64\nMOV q0, p1", `line 2: MOV operand 1: "q0" is not a register like p0, a0, b0 or i0`},
		{".ring 64\nMOV p1073741824, p1", "index too large to tag with its class"},
		{".ring 64\nSLICE p0, p1, p4294967295, _, _", "register p4294967295 out of range"},
		{".ring 64\nJMP x", `line 2: JMP operand 1: "x" is not a number`},
		{".ring 64\nBSHL b0, b1, 4294967296", `"4294967296" is not a 32-bit number`},
		{".ring 64\nINPUT a0, 0", `"0" is not an input like in0`},
		{".ring 64\nNOP # @f.mpcs:1", "line 2: position @f.mpcs:1: want @file:line:col"},
		{".ring 64\nNOP # @f.mpcs:x:1", "position @f.mpcs:x:1: want @file:line:col"},
		{".ring 64\nNOP # @:1:1", "want @file:line:col"},
		{".ring 64\nNOP # @g.mpcs:1:1", `line 2: position file "g.mpcs" is not in the string table`},
	}
	for _, c := range cases {
		_, err := Assemble(c.text)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Assemble(%q) = %v, want an error containing %q", c.text, err, c.want)
		}
	}
}

func TestAssembleRoundTripAllOpcodes(t *testing.T) {
	for _, k := range []int{64, 128} {
		p := bcAllOpcodes(k)
		b, err := Encode(p)
		bcNoErr(t, err)
		a, err := Assemble(Disassemble(p))
		bcNoErr(t, err)
		b2, err := Encode(a)
		bcNoErr(t, err)
		if !bytes.Equal(b, b2) {
			t.Fatalf("ring %d: Encode(Assemble(Disassemble(p))) != Encode(p)", k)
		}
	}
}

func FuzzAssemble(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input, which is slow for
	// long texts.
	f.Add(bcVerifyBase)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 8 {
		f.Add(Disassemble(bcRandomProgram(r, []int{64, 128}[i%2], 2)))
	}
	f.Add(".ring 64\n.const k0 [1, -2]\n.string s0 \"a\\\"b\"\n 0 NOP # @s0:1:2\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Assemble(text)
		if err != nil {
			return
		}
		_ = Disassemble(p)
		if Verify(p) != nil {
			return
		}
		// A valid assembled program survives every path.
		b, err := Encode(p)
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		q, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(Encode(p)): %v", err)
		}
		a, err := Assemble(Disassemble(q))
		if err != nil {
			t.Fatalf("Assemble(Disassemble(p)): %v", err)
		}
		b2, err := Encode(a)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("the disassembly does not assemble to the same program (%v)", err)
		}
	})
}
