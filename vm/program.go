package vm

import "fmt"

// Type is the type of a column, parameter or output.
type Type uint8

// Value types (LANGUAGE.md §3).
const (
	TInt Type = iota + 1
	TFix
	TBool
	TSint
	TSfix
	TSbool
	TSbits
)

var typeNames = [...]string{TInt: "int", TFix: "fix", TBool: "bool", TSint: "sint", TSfix: "sfix", TSbool: "sbool", TSbits: "sbits"}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// Valid reports whether t is a defined type.
func (t Type) Valid() bool { return t >= TInt && t <= TSbits }

// Secret reports whether t is a secret type.
func (t Type) Secret() bool { return t >= TSint }

// Public returns the public type a revealed value of t has (sbits reveals as int words).
func (t Type) Public() Type {
	switch t {
	case TSint:
		return TInt
	case TSfix:
		return TFix
	case TSbool:
		return TBool
	}
	return t
}

// Column is one secret input column of the dataset a program reads.
type Column struct {
	Name string
	Type Type // TSint, TSfix or TSbits
}

// Param is a public parameter supplied with a query.
type Param struct {
	Name    string
	Type    Type   // TInt, TFix or TBool
	Default uint32 // constant index of the default value
}

// Output is a named result the program publishes.
type Output struct {
	Name   string
	Type   Type // the type of the value before it was revealed
	Vector bool
}

// Vec is a vector of ring elements in structure-of-arrays layout: Lo holds
// the low 64 bits of each element, Hi the high 64 bits (nil when k = 64).
// Boolean-share words use Lo only.
type Vec struct {
	Lo []uint64
	Hi []uint64
}

// Len returns the number of elements.
func (v Vec) Len() int { return len(v.Lo) }

// Instr is one instruction: an opcode and its operands, laid out as the
// opcode's picture says (fixed operands, then the groups). Register operands
// of kind KR are class-tagged (EncodeReg); optional registers are 0 for
// absent and index+1 otherwise.
type Instr struct {
	Op   Opcode
	Args []uint32
}

// inputClass returns the register class an input column of type t is loaded
// into: B for sbits, A otherwise.
func inputClass(t Type) Class {
	if t == TSbits {
		return ClassB
	}
	return ClassA
}

// EncodeReg packs a class-tagged register operand; indexes stay below 2^30
// (Verify bounds them far lower).
func EncodeReg(r Reg) uint32 { return r.Index<<2 | uint32(r.Class&3) }

// DecodeReg unpacks a class-tagged register operand.
func DecodeReg(x uint32) Reg { return Reg{Class: Class(x & 3), Index: x >> 2} }

// SrcPos is a source position of an instruction: File indexes Strings.
type SrcPos struct {
	File, Line, Col uint32
}

// Program is a compiled .mpcs program (ARCHITECTURE.md §3).
type Program struct {
	Ring     int // k: 64 or 128
	FracBits int // F

	NumRegs [NumClasses]uint32 // registers per class

	Inputs  []Column
	Params  []Param
	Outputs []Output
	Consts  []Vec    // constant vectors (ring elements)
	Strings []string // messages and file names
	Code    []Instr
	Pos     []SrcPos // one per instruction

	Hash [32]byte // SHA-256 of the canonical encoding; set by Encode and Decode
}

// Position renders the source position of instruction pc as file:line:col.
func (p *Program) Position(pc int) string {
	if pc < 0 || pc >= len(p.Pos) {
		return "?"
	}
	sp := p.Pos[pc]
	file := "?"
	if int(sp.File) < len(p.Strings) {
		file = p.Strings[sp.File]
	}
	return fmt.Sprintf("%s:%d:%d", file, sp.Line, sp.Col)
}

// Rounds returns the network rounds of one execution of instruction pc.
func (p *Program) Rounds(pc int) int { return p.Code[pc].Rounds(p.Ring) }

// Rounds returns the network rounds of one execution of the instruction in
// ring k: its opcode's cost for its largest immediate operand.
func (in Instr) Rounds(k int) int {
	info, ok := in.Op.Info()
	if !ok || info.Rounds == nil {
		return 0
	}
	m := 0
	for i, x := range in.Args {
		if a, ok := bcArgAt(info, i); ok && a.Kind == KImm {
			m = max(m, int(x))
		}
	}
	return info.Rounds(k, m)
}
