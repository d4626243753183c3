package vm

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bcUpdate rewrites the golden files of the bytecode tests (testdata/bytecode,
// the opcode table of docs/bytecode.md).
var bcUpdate = flag.Bool("update-bytecode", false, "rewrite the bytecode golden files")

// bcNoErr fails the test at once if err is not nil.
func bcNoErr(t testing.TB, err error, context ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v %s", err, fmt.Sprint(context...))
	}
}

// bcErrContains fails the test unless err is an error whose text contains want.
func bcErrContains(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

// bcEqual fails the test unless got and want are deeply equal.
func bcEqual(t testing.TB, got, want any, context ...any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v\n%s", got, want, fmt.Sprint(context...))
	}
}

// bcSamePrograms fails the test unless p and q are the same program (up to
// nil versus empty slices and the hash).
func bcSamePrograms(t testing.TB, p, q *Program) {
	t.Helper()
	if !reflect.DeepEqual(bcNormalize(p), bcNormalize(q)) {
		t.Fatalf("programs differ:\n%s\n----\n%s", Disassemble(p), Disassemble(q))
	}
}

// bcSynthInstr returns a valid instruction of op for p, with the given number
// of groups (raised to the opcode's minimum). p needs at least one register
// of each of the classes P, A and B, one input, parameter, output, constant
// and string; ncode is the length the code will have (for jump targets).
func bcSynthInstr(r *rand.Rand, p *Program, op Opcode, groups, ncode int) Instr {
	info, _ := op.Info()
	if len(info.Group) == 0 {
		groups = 0
	} else {
		groups = max(groups, info.MinGroups)
	}
	reg := func(c Class) uint32 { return r.Uint32N(p.NumRegs[c]) }
	class := Class(r.IntN(3)) // for SameClass opcodes
	in := Instr{Op: op}
	if op == INPUT {
		col := r.IntN(len(p.Inputs))
		class = ClassA
		if p.Inputs[col].Type == TSbits {
			class = ClassB
		}
		in.Args = []uint32{EncodeReg(Reg{class, reg(class)}), uint32(col)}
		return in
	}
	n := len(info.Fixed) + groups*len(info.Group)
	for i := range n {
		arg, _ := bcArgAt(info, i)
		var x uint32
		switch arg.Kind {
		case KP:
			x = reg(ClassP)
		case KA:
			x = reg(ClassA)
		case KB:
			x = reg(ClassB)
		case KR:
			c := class
			if !info.SameClass {
				c = Class(r.IntN(3))
			}
			x = EncodeReg(Reg{c, reg(c)})
		case KOptP:
			if r.IntN(3) > 0 {
				x = reg(ClassP) + 1
			}
		case KConst:
			x = r.Uint32N(uint32(len(p.Consts)))
		case KString:
			x = r.Uint32N(uint32(len(p.Strings)))
		case KJump:
			x = r.Uint32N(uint32(ncode) + 1)
		case KImm:
			limit, _ := bcImmLimit(op, p.Ring)
			x = r.Uint32N(limit)
			if r.IntN(2) == 0 {
				x = limit - 1
			}
		case KInput:
			x = r.Uint32N(uint32(len(p.Inputs)))
		case KParam:
			x = r.Uint32N(uint32(len(p.Params)))
		case KOutput:
			x = r.Uint32N(uint32(len(p.Outputs)))
		}
		in.Args = append(in.Args, x)
	}
	return in
}

// bcRandomWord returns a ring value with a bias to small and extreme ones.
func bcRandomWord(r *rand.Rand) uint64 {
	switch r.IntN(4) {
	case 0:
		return uint64(r.IntN(200)) - 100
	case 1:
		return 1 << 63
	case 2:
		return 1<<63 - 1
	}
	return r.Uint64()
}

// bcRandomProgram returns a random valid program in ring k with n
// instructions (all opcodes when n < 0: one of each, in order).
func bcRandomProgram(r *rand.Rand, k, n int) *Program {
	p := &Program{Ring: k, FracBits: r.IntN(min(k/2, 63))}
	for c := range ClassI {
		p.NumRegs[c] = 1 + r.Uint32N(12)
	}
	if r.IntN(4) == 0 {
		p.NumRegs[ClassI] = r.Uint32N(3)
	}
	types := []Type{TSint, TSfix, TSbits}
	for i := range 1 + r.IntN(4) {
		p.Inputs = append(p.Inputs, Column{Name: "col" + string(rune('a'+i)), Type: types[r.IntN(3)]})
	}
	for i := range 1 + r.IntN(3) {
		p.Params = append(p.Params, Param{Name: "k_" + string(rune('A'+i)), Type: []Type{TInt, TFix, TBool}[r.IntN(3)]})
	}
	for i := range 1 + r.IntN(3) {
		p.Outputs = append(p.Outputs, Output{Name: "Out" + string(rune('0'+i)), Type: Type(1 + r.IntN(int(TSbits))), Vector: r.IntN(2) == 0})
	}
	p.Consts = append(p.Consts, Vec{Lo: []uint64{0}}) // one of length 1 for the defaults
	for range r.IntN(5) {
		p.Consts = append(p.Consts, Vec{Lo: make([]uint64, r.IntN(5))})
	}
	for i := range p.Consts {
		c := &p.Consts[i]
		if k == 128 {
			c.Hi = make([]uint64, len(c.Lo))
		}
		for j := range c.Lo {
			c.Lo[j] = bcRandomWord(r)
			if k == 128 {
				c.Hi[j] = -(c.Lo[j] >> 63) // sign extension
				if r.IntN(3) == 0 {
					c.Hi[j] = bcRandomWord(r)
				}
			}
		}
	}
	for i := range p.Params {
		for {
			p.Params[i].Default = r.Uint32N(uint32(len(p.Consts)))
			if p.Consts[p.Params[i].Default].Len() == 1 {
				break
			}
		}
	}
	strs := []string{"prog.mpcs", "lib/stats.mpcs", "n must be positive", "", "s1", "my file.mpcs", "prog.mpcs", "a:b@c # \"q\"\n", "\xff\xfe", "ünï.mpcs"}
	for range 1 + r.IntN(6) {
		p.Strings = append(p.Strings, strs[r.IntN(len(strs))])
	}
	all := n < 0
	if all {
		n = NumOpcodes
	}
	for pc := range n {
		op := Opcode(pc)
		if !all {
			op = Opcode(r.IntN(NumOpcodes))
		}
		p.Code = append(p.Code, bcSynthInstr(r, p, op, r.IntN(4), n))
		sp := SrcPos{File: r.Uint32N(uint32(len(p.Strings))), Line: r.Uint32N(500), Col: r.Uint32N(80)}
		switch r.IntN(8) {
		case 0:
			sp = SrcPos{}
		case 1:
			sp.Line = ^uint32(0)
		}
		p.Pos = append(p.Pos, sp)
	}
	return p
}

// bcAllOpcodes returns a valid program with one instruction of each opcode
// (pc = opcode), each with two groups where it has groups.
func bcAllOpcodes(k int) *Program {
	r := rand.New(rand.NewPCG(uint64(k), 1))
	p := bcRandomProgram(r, k, 0)
	for op := range Opcode(NumOpcodes) {
		p.Code = append(p.Code, bcSynthInstr(r, p, op, 2, NumOpcodes))
		p.Pos = append(p.Pos, SrcPos{File: 0, Line: uint32(op) + 1, Col: 5})
	}
	return p
}

// bcNormalize returns a copy of p with empty slices as nil and no hash, for
// comparing programs that went through different paths.
func bcNormalize(p *Program) *Program {
	q := *p
	q.Hash = [32]byte{}
	nilIfEmpty := func(n int) bool { return n == 0 }
	if nilIfEmpty(len(q.Inputs)) {
		q.Inputs = nil
	}
	if nilIfEmpty(len(q.Params)) {
		q.Params = nil
	}
	if nilIfEmpty(len(q.Outputs)) {
		q.Outputs = nil
	}
	if nilIfEmpty(len(q.Strings)) {
		q.Strings = nil
	}
	if nilIfEmpty(len(q.Pos)) {
		q.Pos = nil
	}
	q.Consts = nil
	for _, c := range p.Consts {
		if len(c.Lo) == 0 {
			c.Lo = nil
		}
		if len(c.Hi) == 0 {
			c.Hi = nil
		}
		q.Consts = append(q.Consts, c)
	}
	q.Code = nil
	for _, in := range p.Code {
		if len(in.Args) == 0 {
			in.Args = nil
		}
		q.Code = append(q.Code, in)
	}
	return &q
}

// bcCheckRoundTrips checks every path a valid program can take: Encode,
// Decode, Encode again; Disassemble, Assemble, Encode.
func bcCheckRoundTrips(t *testing.T, p *Program) {
	t.Helper()
	bcNoErr(t, Verify(p))
	b, err := Encode(p)
	bcNoErr(t, err)
	bcEqual(t, p.Hash, sha256.Sum256(b[:len(b)-32]))
	bcEqual(t, b[len(b)-32:], p.Hash[:])

	q, err := Decode(b)
	bcNoErr(t, err, Disassemble(p))
	bcEqual(t, q.Hash, p.Hash)
	bcSamePrograms(t, p, q)
	b2, err := Encode(q)
	bcNoErr(t, err)
	if !bytes.Equal(b, b2) {
		t.Fatalf("Encode(Decode(b)) != b for\n%s", Disassemble(p))
	}

	text := Disassemble(p)
	a, err := Assemble(text)
	bcNoErr(t, err, "assembling:\n", text)
	b3, err := Encode(a)
	bcNoErr(t, err)
	if !bytes.Equal(b, b3) {
		t.Fatalf("Disassemble/Assemble changed the program:\n%s\nreassembled:\n%s", text, Disassemble(a))
	}
	bcSamePrograms(t, p, a)
}

func TestEncodeRoundTripAllOpcodes(t *testing.T) {
	for _, k := range []int{64, 128} {
		p := bcAllOpcodes(k)
		bcEqual(t, len(p.Code), NumOpcodes)
		bcCheckRoundTrips(t, p)
	}
}

func TestEncodeRoundTripRandomPrograms(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		k := []int{64, 128}[i%2]
		p := bcRandomProgram(r, k, r.IntN(40))
		bcCheckRoundTrips(t, p)
	}
}

func TestEncodeEmptyProgram(t *testing.T) {
	for _, k := range []int{64, 128} {
		p := &Program{Ring: k}
		bcCheckRoundTrips(t, p)
		b, err := Encode(p)
		bcNoErr(t, err)
		bcEqual(t, len(b), bcMinFileLen)
	}
}

func TestEncodeZeroGroupSort(t *testing.T) {
	// ASORT may carry no value vectors.
	p, err := Assemble(".ring 64\n ASORT a0, a1\n ASORT a0, a1 ; a2, a3\n")
	bcNoErr(t, err)
	bcEqual(t, p.Code[0].Args, []uint32{0, 1})
	bcCheckRoundTrips(t, p)
}

func TestEncodeRefusesInvalidProgram(t *testing.T) {
	p := bcAllOpcodes(64)
	p.Code[AMUL].Args[0] = 999
	_, err := Encode(p)
	bcErrContains(t, err, "register a999 out of range")
	bcEqual(t, p.Hash, [32]byte{}, "Encode must not set the hash of a program it refuses")
	_, err = Encode(nil)
	bcErrContains(t, err, "nil")
}

func TestEncodeLayout(t *testing.T) {
	// A hand-computed encoding pins the layout described in encode.go.
	p := &Program{
		Ring: 128, FracBits: 24, NumRegs: [NumClasses]uint32{2, 1, 0, 0},
		Inputs:  []Column{{"x", TSfix}},
		Params:  []Param{{"k", TInt, 0}},
		Outputs: []Output{{"m", TSfix, true}},
		Consts:  []Vec{{Lo: []uint64{5}, Hi: []uint64{0}}},
		Strings: []string{"f"},
		Code: []Instr{
			{Op: INPUT, Args: []uint32{EncodeReg(Reg{ClassA, 0})}},
			{Op: AOPEN, Args: []uint32{1, 0}},
			{Op: OUTPUT, Args: []uint32{0, 1}},
		},
		Pos: []SrcPos{{0, 1, 2}, {0, 300, 1}, {0, 0, 0}},
	}
	p.Code[0].Args = append(p.Code[0].Args, 0)
	b, err := Encode(p)
	bcNoErr(t, err)
	want := []byte("MPCB")
	want = append(want, byte(FormatVersion), 0) // version
	want = append(want, 128, 24)
	want = append(want, 2, 1, 0, 0)             // registers
	want = append(want, 1, 1, 'x', byte(TSfix)) // inputs
	want = append(want, 1, 1, 'k', byte(TInt), 0)
	want = append(want, 1, 1, 'm', byte(TSfix), 1)
	want = append(want, 1, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // k0 = [5]: lo, hi
	want = append(want, 1, 1, 'f')
	want = append(want, 3)
	want = append(want, byte(INPUT), 1, 0)               // INPUT a0 (tagged 0<<2|1), in0
	want = append(want, byte(AOPEN), 1, 1, 0)            // one group: p1, a0
	want = append(want, byte(OUTPUT), 0, 1)              // out0, p1
	want = append(want, 0, 1, 2, 0, 0xac, 2, 1, 0, 0, 0) // positions; 300 = 0xac 0x02
	h := sha256.Sum256(want)
	want = append(want, h[:]...)
	bcEqual(t, b, want)
	bcEqual(t, p.Hash, h)
}

// TestEncodeGolden keeps testdata/bytecode/sample.s in the canonical
// disassembly form and pins its encoding: if the encoding changes, bump
// FormatVersion and rerun with -update-bytecode.
func TestEncodeGolden(t *testing.T) {
	src := filepath.Join("testdata", "bytecode", "sample.s")
	hexFile := filepath.Join("testdata", "bytecode", "sample.mpcb.hex")
	text, err := os.ReadFile(src)
	bcNoErr(t, err)
	p, err := Assemble(string(text))
	bcNoErr(t, err)
	b, err := Encode(p)
	bcNoErr(t, err)
	var dump strings.Builder
	for i := 0; i < len(b); i += 32 {
		dump.WriteString(hex.EncodeToString(b[i:min(i+32, len(b))]))
		dump.WriteByte('\n')
	}
	p.Hash = [32]byte{} // the golden text carries no hash comment
	dis := Disassemble(p)
	if *bcUpdate {
		bcNoErr(t, os.WriteFile(src, []byte(dis), 0o644))
		bcNoErr(t, os.WriteFile(hexFile, []byte(dump.String()), 0o644))
		return
	}
	if string(text) != dis {
		t.Fatalf("%s is not in canonical form (rerun with -update-bytecode); canonical:\n%s", src, dis)
	}
	golden, err := os.ReadFile(hexFile)
	bcNoErr(t, err)
	if string(golden) != dump.String() {
		t.Fatalf("the encoding of %s changed: bump FormatVersion if the format changed, then rerun with -update-bytecode", src)
	}
}
