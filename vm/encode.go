package vm

// The bytecode file (.mpcb), format version 1.
//
// A file is a byte string in one canonical form: Encode produces it, Decode
// accepts exactly the strings Encode can produce (Encode(Decode(b)) == b), so
// the program hash H names one program and one file. docs/bytecode.md has the
// same layout as a table, and the instruction set.
//
// Notation: u8 is one byte; u16 and u64 are little-endian fixed width; uv is
// an unsigned LEB128 varint (encoding/binary's Uvarint) of at most 32 bits in
// its minimal form (no trailing 0x80 00 padding, at most 5 bytes); str is a
// uv byte length followed by that many bytes (not necessarily UTF-8).
//
//	magic     4 bytes     "MPCB"
//	version   u16         FormatVersion (1); bumped on any change of layout or meaning
//	ring      u8          k, the ring size in bits: 64 or 128
//	frac      u8          F, the fractional bits of fix/sfix
//	regs      4 × uv      register counts of the classes P, A, B, I
//	inputs    uv n, n × (str name, u8 type)                  the input schema
//	params    uv n, n × (str name, u8 type, uv default)      default: a constant index
//	outputs   uv n, n × (str name, u8 type, u8 vector)       vector: 0 scalar, 1 vector
//	consts    uv n, n × (uv len, len × u64 lo [, len × u64 hi when k = 128])
//	strings   uv n, n × str                                  messages and file names
//	code      uv n, n × instruction
//	positions n × (uv file, uv line, uv col)                 one per instruction; file indexes strings
//	hash      32 bytes    H = SHA-256 of every byte before it
//
// An instruction is its opcode byte; then, if the opcode's picture has a
// repeated group, the number of groups as uv; then every operand as uv, the
// fixed operands first and the groups after, as Instr.Args holds them (class-
// tagged registers of kind KR as EncodeReg packs them, optional registers as
// 0 for absent and index+1 otherwise). Types are the Type values as bytes.
// Constants are ring elements: the low 64-bit words of all elements, then,
// for k = 128, the high words.
//
// Decode checks, in this order: the magic, the version (a file of another
// version is refused with both version numbers), the hash (any corruption or
// truncation is a "bytecode hash mismatch"), then the sections, treating the
// bytes as hostile — every count is checked against the limits below and
// against the bytes left before any allocation — and finally Verify. Encode
// runs Verify first, so everything it produces decodes.

import (
	"crypto/sha256"
	"encoding/binary"
)

// FormatVersion is the bytecode format version Encode writes and Decode
// reads. Bump it on any change to the layout or to the meaning of an opcode
// or operand.
const FormatVersion uint16 = 2

// Limits of a program, enforced by Verify (and so by Encode and Decode). They
// bound what a hostile file can make a party allocate.
const (
	MaxInstrs     = 1 << 20 // instructions
	MaxOperands   = 1 << 24 // operands of all instructions together
	MaxRegs       = 1 << 20 // registers of one class
	MaxSchema     = 1 << 16 // inputs, parameters, outputs (each)
	MaxStrings    = 1 << 16 // entries of the string table
	MaxStringLen  = 1 << 16 // bytes of one string or name
	MaxConsts     = 1 << 20 // constant vectors
	MaxConstElems = 1 << 24 // elements of all constant vectors together
)

const (
	bcMagic      = "MPCB"
	bcHashLen    = sha256.Size
	bcHeaderLen  = len(bcMagic) + 2 // magic and version
	bcMinFileLen = bcHeaderLen + 2 + 4 + 6 + bcHashLen
)

// Encode returns the canonical encoding of p and sets p.Hash to its hash H.
// It refuses a program that fails Verify.
func Encode(p *Program) ([]byte, error) {
	if err := Verify(p); err != nil {
		return nil, err
	}
	e := encoder{buf: make([]byte, 0, 64+16*len(p.Code))}
	e.program(p)
	p.Hash = e.finish()
	return e.buf, nil
}

// encoder appends the sections of a program to buf. It trusts its input:
// Encode verifies first.
type encoder struct {
	buf []byte
}

func (e *encoder) u8(v uint8)   { e.buf = append(e.buf, v) }
func (e *encoder) u16(v uint16) { e.buf = binary.LittleEndian.AppendUint16(e.buf, v) }
func (e *encoder) u64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *encoder) uv(v uint32)  { e.buf = binary.AppendUvarint(e.buf, uint64(v)) }
func (e *encoder) count(n int)  { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }
func (e *encoder) str(s string) { e.count(len(s)); e.buf = append(e.buf, s...) }
func (e *encoder) typ(t Type)   { e.u8(uint8(t)) }

func (e *encoder) flag(b bool) {
	if b {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *encoder) words(w []uint64) {
	for _, x := range w {
		e.u64(x)
	}
}

// program writes everything but the hash.
func (e *encoder) program(p *Program) {
	e.buf = append(e.buf, bcMagic...)
	e.u16(FormatVersion)
	e.u8(uint8(p.Ring))
	e.u8(uint8(p.FracBits))
	for _, n := range p.NumRegs {
		e.uv(n)
	}

	e.count(len(p.Inputs))
	for _, c := range p.Inputs {
		e.str(c.Name)
		e.typ(c.Type)
	}
	e.count(len(p.Params))
	for _, par := range p.Params {
		e.str(par.Name)
		e.typ(par.Type)
		e.uv(par.Default)
	}
	e.count(len(p.Outputs))
	for _, o := range p.Outputs {
		e.str(o.Name)
		e.typ(o.Type)
		e.flag(o.Vector)
	}

	e.count(len(p.Consts))
	for _, c := range p.Consts {
		e.count(len(c.Lo))
		e.words(c.Lo)
		if p.Ring == 128 {
			e.words(c.Hi)
		}
	}

	e.count(len(p.Strings))
	for _, s := range p.Strings {
		e.str(s)
	}

	e.count(len(p.Code))
	for _, in := range p.Code {
		e.u8(uint8(in.Op))
		if info, ok := in.Op.Info(); ok && len(info.Group) > 0 {
			e.count((len(in.Args) - len(info.Fixed)) / len(info.Group))
		}
		for _, a := range in.Args {
			e.uv(a)
		}
	}
	for _, sp := range p.Pos {
		e.uv(sp.File)
		e.uv(sp.Line)
		e.uv(sp.Col)
	}
}

// finish appends the hash of everything written so far and returns it.
func (e *encoder) finish() [32]byte {
	h := sha256.Sum256(e.buf)
	e.buf = append(e.buf, h[:]...)
	return h
}
