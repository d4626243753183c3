package vm

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Disassemble renders p as text that Assemble reads back into the same
// program (Encode(Assemble(Disassemble(p))) == Encode(p)). It never fails:
// an invalid program is shown as far as it can be, which is what a debugger
// needs. The layout:
//
//	# hash 9f86d0...                    (when p.Hash is set; a comment)
//	.ring 128
//	.frac 24
//	.regs p=3 a=4 b=0 i=0
//	.input in0 "balance" sfix           inputs, in order
//	.param par0 "k" int k0              name, type, default constant
//	.output out0 "mean" sfix scalar     scalar or vector
//	.const k0 [5]                       signed decimal ring values
//	.const k1 [1, -2, 3]
//	.string s0 "prog.mpcs"              Go-quoted
//
//	   0  INPUT  a0, in0                         # @prog.mpcs:3:11
//	   1  AMUL   a1, a0, a0 ; a2, a0, a3         # rounds=1 @prog.mpcs:4:1
//
// Each instruction line holds its pc, its mnemonic and its operands, then a
// comment with the round count of an interactive instruction and the source
// position. Operands are registers p3, a12, b0 (a class-tagged register shows
// its class; an absent optional register is _), constants k4, strings s2,
// inputs in0, parameters par1, outputs out0, and plain numbers for jump
// targets (a pc) and immediates. Fixed operands and each group are separated
// by " ; ". The position is @file:line:col, where file is the string itself
// when it is a plain path that first occurs at that index of the string
// table, and sN otherwise; it is left out when it is zero.
func Disassemble(p *Program) string {
	var b strings.Builder
	if p == nil {
		return "# nil program\n"
	}
	if p.Hash != [32]byte{} {
		fmt.Fprintf(&b, "# hash %x\n", p.Hash)
	}
	fmt.Fprintf(&b, ".ring %d\n.frac %d\n", p.Ring, p.FracBits)
	fmt.Fprintf(&b, ".regs p=%d a=%d b=%d i=%d\n", p.NumRegs[ClassP], p.NumRegs[ClassA], p.NumRegs[ClassB], p.NumRegs[ClassI])
	for i, c := range p.Inputs {
		fmt.Fprintf(&b, ".input in%d %s %s\n", i, strconv.Quote(c.Name), c.Type)
	}
	for i, par := range p.Params {
		fmt.Fprintf(&b, ".param par%d %s %s k%d\n", i, strconv.Quote(par.Name), par.Type, par.Default)
	}
	for i, o := range p.Outputs {
		shape := "scalar"
		if o.Vector {
			shape = "vector"
		}
		fmt.Fprintf(&b, ".output out%d %s %s %s\n", i, strconv.Quote(o.Name), o.Type, shape)
	}
	for i, c := range p.Consts {
		fmt.Fprintf(&b, ".const k%d %s\n", i, bcConstString(c))
	}
	for i, s := range p.Strings {
		fmt.Fprintf(&b, ".string s%d %s\n", i, strconv.Quote(s))
	}
	if len(p.Code) > 0 {
		b.WriteByte('\n')
	}
	width := max(4, len(strconv.Itoa(len(p.Code)-1)))
	first := bcFirstIndex(p.Strings)
	for pc, in := range p.Code {
		line := fmt.Sprintf("%*d  %-6s %s", width, pc, in.Op, bcOperandsString(in))
		var comment []string
		if in.Op.Interactive() {
			comment = append(comment, fmt.Sprintf("rounds=%d", in.Rounds(p.Ring)))
		}
		if pc < len(p.Pos) && p.Pos[pc] != (SrcPos{}) {
			comment = append(comment, "@"+bcPosString(p, first, p.Pos[pc]))
		}
		if len(comment) > 0 {
			line = fmt.Sprintf("%-*s  # %s", width+40, line, strings.Join(comment, " "))
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// bcOperandsString renders the operands of in, groups separated by " ; ".
// Operands beyond the opcode's picture (only in an invalid instruction) show
// as ?N.
func bcOperandsString(in Instr) string {
	info, ok := in.Op.Info()
	if !ok {
		info = &OpInfo{}
	}
	var b strings.Builder
	nf, ng := len(info.Fixed), len(info.Group)
	for i, x := range in.Args {
		switch {
		case i == 0:
		case i >= nf && ng > 0 && (i-nf)%ng == 0:
			b.WriteString(" ; ")
		default:
			b.WriteString(", ")
		}
		arg, ok := bcArgAt(info, i)
		if !ok {
			fmt.Fprintf(&b, "?%d", x)
			continue
		}
		b.WriteString(bcOperandString(arg.Kind, x))
	}
	return b.String()
}

func bcOperandString(kind OperandKind, x uint32) string {
	switch kind {
	case KP:
		return fmt.Sprintf("p%d", x)
	case KA:
		return fmt.Sprintf("a%d", x)
	case KB:
		return fmt.Sprintf("b%d", x)
	case KR:
		return bcRegString(DecodeReg(x))
	case KOptP:
		if x == 0 {
			return "_"
		}
		return fmt.Sprintf("p%d", x-1)
	case KConst:
		return fmt.Sprintf("k%d", x)
	case KString:
		return fmt.Sprintf("s%d", x)
	case KInput:
		return fmt.Sprintf("in%d", x)
	case KParam:
		return fmt.Sprintf("par%d", x)
	case KOutput:
		return fmt.Sprintf("out%d", x)
	}
	return strconv.FormatUint(uint64(x), 10) // KJump, KImm
}

// bcFirstIndex maps each string to the first index it occurs at.
func bcFirstIndex(strs []string) map[string]int {
	m := make(map[string]int, len(strs))
	for i, s := range strs {
		if _, ok := m[s]; !ok {
			m[s] = i
		}
	}
	return m
}

// bcPosString renders a position as file:line:col, file being a plain path
// when that reads back unambiguously and sN otherwise.
func bcPosString(p *Program, first map[string]int, sp SrcPos) string {
	file := fmt.Sprintf("s%d", sp.File)
	if int64(sp.File) < int64(len(p.Strings)) {
		if s := p.Strings[sp.File]; bcPlainPath(s) && first[s] == int(sp.File) {
			file = s
		}
	}
	return fmt.Sprintf("%s:%d:%d", file, sp.Line, sp.Col)
}

// bcPlainPath reports whether s can stand for itself as the file of a
// position: letters, digits and _ . / + - only, and not of the form sN.
func bcPlainPath(s string) bool {
	if s == "" || bcIsStringRef(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_./+-", c) >= 0) {
			return false
		}
	}
	return true
}

// bcIsStringRef reports whether s has the form s<digits>.
func bcIsStringRef(s string) bool {
	if len(s) < 2 || s[0] != 's' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// bcConstString renders a constant as [v, v, ...] in signed decimal: 128-bit
// values when it has high words, 64-bit ones otherwise.
func bcConstString(c Vec) string {
	var b strings.Builder
	b.WriteByte('[')
	wide := c.Hi != nil && len(c.Hi) == len(c.Lo)
	for i, lo := range c.Lo {
		if i > 0 {
			b.WriteString(", ")
		}
		if wide {
			b.WriteString(bcInt128String(lo, c.Hi[i]))
		} else {
			b.WriteString(strconv.FormatInt(int64(lo), 10))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// bcInt128String renders the two's-complement 128-bit value hi:lo in signed
// decimal.
func bcInt128String(lo, hi uint64) string {
	if hi == 0 && lo>>63 == 0 || hi == math.MaxUint64 && lo>>63 == 1 {
		return strconv.FormatInt(int64(lo), 10)
	}
	x := new(big.Int).SetUint64(hi)
	x.Lsh(x, 64)
	x.Or(x, new(big.Int).SetUint64(lo))
	if hi>>63 == 1 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	return x.String()
}
