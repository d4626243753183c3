package vm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Decode parses a bytecode file (the format is described in encode.go) and
// verifies the program. It treats b as hostile: it never panics, allocates at
// most a small multiple of len(b), and accepts only the canonical encoding,
// so Encode(Decode(b)) == b. The returned program's Hash is H.
func Decode(b []byte) (*Program, error) {
	if len(b) < len(bcMagic) || string(b[:len(bcMagic)]) != bcMagic {
		return nil, fmt.Errorf("not mpcs bytecode (the file does not start with %q)", bcMagic)
	}
	if len(b) < bcHeaderLen {
		return nil, fmt.Errorf("bytecode truncated: %d bytes", len(b))
	}
	if v := binary.LittleEndian.Uint16(b[len(bcMagic):]); v != FormatVersion {
		return nil, fmt.Errorf("bytecode version %d, this build reads version %d", v, FormatVersion)
	}
	if len(b) < bcMinFileLen {
		return nil, fmt.Errorf("bytecode truncated: %d bytes, a file has at least %d", len(b), bcMinFileLen)
	}
	end := len(b) - bcHashLen
	if h := sha256.Sum256(b[:end]); !bytes.Equal(h[:], b[end:]) {
		return nil, fmt.Errorf("bytecode hash mismatch: the file is corrupt or truncated")
	}
	d := decoder{b: b[:end], off: bcHeaderLen}
	p := d.program()
	if d.err != nil {
		return nil, d.err
	}
	copy(p.Hash[:], b[end:])
	if err := Verify(p); err != nil {
		return nil, err
	}
	return p, nil
}

// decoder reads the sections after the header from b (which ends before the
// hash). The first error sticks: later reads return zero values, so counts
// read after an error are 0 and nothing large is allocated.
type decoder struct {
	b   []byte
	off int
	err error

	nargs int      // operands read so far
	arena []uint32 // backing store for Instr.Args
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("bytecode: offset %d: %s", d.off, fmt.Sprintf(format, a...))
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

func (d *decoder) u8(what string) uint8 {
	if d.err != nil {
		return 0
	}
	if d.left() < 1 {
		d.fail("truncated %s", what)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if d.left() < 8 {
		d.fail("truncated constant")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// uv reads a minimal unsigned varint of at most 32 bits.
func (d *decoder) uv(what string) uint32 {
	if d.err != nil {
		return 0
	}
	var x uint32
	for i := 0; ; i++ {
		if d.off >= len(d.b) {
			d.fail("truncated %s", what)
			return 0
		}
		c := d.b[d.off]
		if i == 4 && c > 0x0f {
			d.fail("%s does not fit in 32 bits", what)
			return 0
		}
		d.off++
		x |= uint32(c&0x7f) << (7 * i)
		if c < 0x80 {
			if c == 0 && i > 0 {
				d.fail("non-minimal varint in %s", what)
				return 0
			}
			return x
		}
	}
}

// count reads a count of items each taking at least minBytes bytes and
// checks it against limit and against the bytes left.
func (d *decoder) count(what string, limit, minBytes int) int {
	n := int(d.uv(what + " count"))
	if d.err != nil {
		return 0
	}
	if n > limit {
		d.fail("%d %ss, the limit is %d", n, what, limit)
		return 0
	}
	if n*minBytes > d.left() {
		d.fail("%d %ss do not fit in the %d bytes left", n, what, d.left())
		return 0
	}
	return n
}

func (d *decoder) str(what string) string {
	n := int(d.uv(what + " length"))
	if d.err != nil {
		return ""
	}
	if n > MaxStringLen {
		d.fail("%s of %d bytes, the limit is %d", what, n, MaxStringLen)
		return ""
	}
	if n > d.left() {
		d.fail("truncated %s", what)
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

// args returns n operands read from the input, carved from a shared arena.
func (d *decoder) args(n int) []uint32 {
	if n == 0 || d.err != nil {
		return nil
	}
	if len(d.arena)+n > cap(d.arena) {
		d.arena = make([]uint32, 0, max(n, min(d.left(), 1<<16)))
	}
	start := len(d.arena)
	for range n {
		d.arena = append(d.arena, d.uv("operand"))
	}
	return d.arena[start:len(d.arena):len(d.arena)]
}

func (d *decoder) program() *Program {
	p := &Program{}
	p.Ring = int(d.u8("ring size"))
	if p.Ring != 64 && p.Ring != 128 {
		d.fail("ring size %d, want 64 or 128", p.Ring)
	}
	p.FracBits = int(d.u8("fractional bits"))
	for c := range p.NumRegs {
		p.NumRegs[c] = d.uv("register count")
	}

	if n := d.count("input", MaxSchema, 2); n > 0 {
		p.Inputs = make([]Column, n)
		for i := range p.Inputs {
			p.Inputs[i] = Column{Name: d.str("input name"), Type: Type(d.u8("input type"))}
		}
	}
	if n := d.count("parameter", MaxSchema, 3); n > 0 {
		p.Params = make([]Param, n)
		for i := range p.Params {
			p.Params[i] = Param{Name: d.str("parameter name"), Type: Type(d.u8("parameter type")), Default: d.uv("parameter default")}
		}
	}
	if n := d.count("output", MaxSchema, 3); n > 0 {
		p.Outputs = make([]Output, n)
		for i := range p.Outputs {
			o := Output{Name: d.str("output name"), Type: Type(d.u8("output type"))}
			switch d.u8("output vector flag") {
			case 0:
			case 1:
				o.Vector = true
			default:
				d.fail("output %d: vector flag is neither 0 nor 1", i)
			}
			p.Outputs[i] = o
		}
	}

	if n := d.count("constant", MaxConsts, 1); n > 0 {
		p.Consts = make([]Vec, n)
		wordBytes := 8
		if p.Ring == 128 {
			wordBytes = 16
		}
		total := 0
		for i := range p.Consts {
			m := d.count("constant element", MaxConstElems, wordBytes)
			if total += m; total > MaxConstElems {
				d.fail("constants have more than %d elements", MaxConstElems)
			}
			if d.err != nil {
				break
			}
			v := Vec{Lo: make([]uint64, m)}
			for j := range v.Lo {
				v.Lo[j] = d.u64()
			}
			if p.Ring == 128 {
				v.Hi = make([]uint64, m)
				for j := range v.Hi {
					v.Hi[j] = d.u64()
				}
			}
			p.Consts[i] = v
		}
	}

	if n := d.count("string", MaxStrings, 1); n > 0 {
		p.Strings = make([]string, n)
		for i := range p.Strings {
			p.Strings[i] = d.str("string")
		}
	}

	// An instruction takes at least 1 byte and its position 3.
	if n := d.count("instruction", MaxInstrs, 4); n > 0 {
		p.Code = make([]Instr, n)
		for pc := range p.Code {
			p.Code[pc] = d.instr(pc)
			if d.err != nil {
				break
			}
		}
		p.Pos = make([]SrcPos, n)
		for pc := range p.Pos {
			p.Pos[pc] = SrcPos{File: d.uv("position"), Line: d.uv("position"), Col: d.uv("position")}
		}
	}
	if d.err == nil && d.left() != 0 {
		d.fail("%d unexpected bytes before the hash", d.left())
	}
	return p
}

func (d *decoder) instr(pc int) Instr {
	op := Opcode(d.u8("opcode"))
	info, ok := op.Info()
	if !ok {
		d.off--
		d.fail("pc %d: unknown opcode %d", pc, op)
		return Instr{}
	}
	n := len(info.Fixed)
	if len(info.Group) > 0 {
		g := int(d.uv("group count"))
		if g > d.left() { // each group has at least one operand byte
			d.fail("pc %d: %s: %d groups do not fit in the %d bytes left", pc, op, g, d.left())
			return Instr{}
		}
		n += g * len(info.Group)
	}
	if n > d.left() {
		d.fail("pc %d: %s: %d operands do not fit in the %d bytes left", pc, op, n, d.left())
		return Instr{}
	}
	if d.nargs += n; d.nargs > MaxOperands {
		d.fail("pc %d: more than %d operands in the program", pc, MaxOperands)
		return Instr{}
	}
	return Instr{Op: op, Args: d.args(n)}
}
