package vm

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Assemble parses the text Disassemble writes (see there for the layout)
// back into a program, positions included, so that
// Encode(Assemble(Disassemble(p))) == Encode(p). Errors carry line numbers.
//
// It is also a way to state bytecode by hand in tests, so it is a little more
// lenient than Disassemble is strict: blank lines and # comments go anywhere;
// directives may come in any order (entries of one kind in index order);
// .frac defaults to 0; without .regs the register counts are the smallest
// that cover the registers used; the pc before a mnemonic may be left out
// (if present it must be right); a missing position is zero. In the comment
// of an instruction, rounds=N is ignored and a word starting with @ is the
// position. Assemble checks syntax only: call Verify for validity.
func Assemble(text string) (*Program, error) {
	a := asmParser{p: &Program{}}
	for i, line := range strings.Split(text, "\n") {
		a.line = i + 1
		if err := a.parseLine(strings.TrimSuffix(line, "\r")); err != nil {
			return nil, fmt.Errorf("line %d: %w", a.line, err)
		}
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	return a.p, nil
}

type asmParser struct {
	p    *Program
	line int

	ringLine, fracLine, regsLine int // where each was set; 0 = not yet
	consts                       []asmConst
	files                        []asmFile // positions naming a file by its text
}

// asmConst is a constant as parsed, before the ring size is known.
type asmConst struct {
	line   int
	lo, hi []uint64
}

// asmFile is a position whose file is to be resolved to a string index.
type asmFile struct {
	line, pc int
	name     string
}

// tokenize splits a line into words, Go-quoted strings (kept quoted), the
// punctuation , ; [ ] as one-byte tokens, and the text after a # outside a
// string, which it returns as comment.
func (a *asmParser) tokenize(line string) (toks []string, comment string, hasComment bool, err error) {
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '#':
			return toks, line[i+1:], true, nil
		case strings.IndexByte(",;[]", c) >= 0:
			toks = append(toks, line[i:i+1])
			i++
		case c == '"':
			j := i + 1
			for j < len(line) && line[j] != '"' {
				if line[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(line) {
				return nil, "", false, fmt.Errorf("unterminated string")
			}
			toks = append(toks, line[i:j+1])
			i = j + 1
		default:
			j := i
			for j < len(line) && strings.IndexByte(" \t#,;[]\"", line[j]) < 0 {
				j++
			}
			toks = append(toks, line[i:j])
			i = j
		}
	}
	return toks, "", false, nil
}

func (a *asmParser) parseLine(line string) error {
	toks, comment, _, err := a.tokenize(line)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		return nil
	}
	if strings.HasPrefix(toks[0], ".") {
		return a.directive(toks)
	}
	return a.instr(toks, comment)
}

// num parses a non-negative decimal number of at most 32 bits.
func (a *asmParser) num(s string) (uint32, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 32-bit number", s)
	}
	return uint32(n), nil
}

// ref parses prefix followed by a number, as in k4 or par2.
func (a *asmParser) ref(s, prefix, what string) (uint32, error) {
	if !strings.HasPrefix(s, prefix) {
		return 0, fmt.Errorf("%q is not %s like %s0", s, what, prefix)
	}
	n, err := a.num(s[len(prefix):])
	if err != nil {
		return 0, fmt.Errorf("%q is not %s like %s0", s, what, prefix)
	}
	return n, nil
}

func (a *asmParser) int(s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return int(n), nil
}

func (a *asmParser) quoted(s, what string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", fmt.Errorf("%s %s is not a quoted string", what, s)
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		return "", fmt.Errorf("%s %s: bad string literal", what, s)
	}
	return u, nil
}

func (a *asmParser) typ(s string) (Type, error) {
	for t := range Type(len(typeNames)) {
		if typeNames[t] != "" && typeNames[t] == s {
			return t, nil
		}
	}
	if inner, ok := strings.CutPrefix(s, "type("); ok {
		if inner, ok := strings.CutSuffix(inner, ")"); ok {
			if n, err := strconv.ParseUint(inner, 10, 8); err == nil {
				return Type(n), nil
			}
		}
	}
	return 0, fmt.Errorf("unknown type %q", s)
}

// entry checks the index of a numbered directive (in1, k3, ...).
func (a *asmParser) entry(tok, prefix string, next int) error {
	n, err := a.ref(tok, prefix, "an index")
	if err != nil {
		return err
	}
	if int64(n) != int64(next) {
		return fmt.Errorf("%s out of order: want %s%d", tok, prefix, next)
	}
	return nil
}

// schemaEntry parses what .input, .param and .output lines start with: the
// numbered entry (prefix and index next), the quoted name and the type.
func (a *asmParser) schemaEntry(toks []string, prefix string, next int) (string, Type, error) {
	if err := a.entry(toks[1], prefix, next); err != nil {
		return "", 0, err
	}
	name, err := a.quoted(toks[2], "name")
	if err != nil {
		return "", 0, err
	}
	t, err := a.typ(toks[3])
	if err != nil {
		return "", 0, err
	}
	return name, t, nil
}

func (a *asmParser) directive(toks []string) error {
	p := a.p
	d := toks[0]
	want := func(n int, form string) error {
		if len(toks) != n {
			return fmt.Errorf("want %s %s", d, form)
		}
		return nil
	}
	once := func(at *int) error {
		if *at != 0 {
			return fmt.Errorf("%s again (first on line %d)", d, *at)
		}
		*at = a.line
		return nil
	}
	switch d {
	case ".ring", ".frac":
		if err := want(2, "N"); err != nil {
			return err
		}
		n, err := a.int(toks[1])
		if err != nil {
			return err
		}
		if d == ".ring" {
			p.Ring = n
			return once(&a.ringLine)
		}
		p.FracBits = n
		return once(&a.fracLine)

	case ".regs":
		if err := once(&a.regsLine); err != nil {
			return err
		}
		for _, t := range toks[1:] {
			cls, n, ok := strings.Cut(t, "=")
			c := bcClassByName(cls)
			if !ok || c == NumClasses {
				return fmt.Errorf("%q: want p=N, a=N, b=N or i=N", t)
			}
			v, err := a.num(n)
			if err != nil {
				return err
			}
			p.NumRegs[c] = v
		}
		return nil

	case ".input":
		if err := want(4, `inN "name" type`); err != nil {
			return err
		}
		name, t, err := a.schemaEntry(toks, "in", len(p.Inputs))
		if err != nil {
			return err
		}
		p.Inputs = append(p.Inputs, Column{Name: name, Type: t})
		return nil

	case ".param":
		if err := want(5, `parN "name" type kN`); err != nil {
			return err
		}
		name, t, err := a.schemaEntry(toks, "par", len(p.Params))
		if err != nil {
			return err
		}
		k, err := a.ref(toks[4], "k", "a constant")
		if err != nil {
			return err
		}
		p.Params = append(p.Params, Param{Name: name, Type: t, Default: k})
		return nil

	case ".output":
		if err := want(5, `outN "name" type scalar|vector`); err != nil {
			return err
		}
		name, t, err := a.schemaEntry(toks, "out", len(p.Outputs))
		if err != nil {
			return err
		}
		o := Output{Name: name, Type: t}
		switch toks[4] {
		case "scalar":
		case "vector":
			o.Vector = true
		default:
			return fmt.Errorf("%q: want scalar or vector", toks[4])
		}
		p.Outputs = append(p.Outputs, o)
		return nil

	case ".const":
		if len(toks) < 4 || toks[2] != "[" || toks[len(toks)-1] != "]" {
			return fmt.Errorf("want .const kN [v, v, ...]")
		}
		if err := a.entry(toks[1], "k", len(a.consts)); err != nil {
			return err
		}
		c := asmConst{line: a.line}
		vals := toks[3 : len(toks)-1]
		for i, t := range vals {
			if i%2 == 1 {
				if t != "," {
					return fmt.Errorf("want , between constant elements, not %q", t)
				}
				continue
			}
			lo, hi, err := a.int128(t)
			if err != nil {
				return err
			}
			c.lo, c.hi = append(c.lo, lo), append(c.hi, hi)
		}
		if len(vals)%2 == 0 && len(vals) > 0 {
			return fmt.Errorf("constant ends with ,")
		}
		a.consts = append(a.consts, c)
		return nil

	case ".string":
		if err := want(3, `sN "text"`); err != nil {
			return err
		}
		if err := a.entry(toks[1], "s", len(p.Strings)); err != nil {
			return err
		}
		s, err := a.quoted(toks[2], "string")
		if err != nil {
			return err
		}
		p.Strings = append(p.Strings, s)
		return nil
	}
	return fmt.Errorf("unknown directive %s", d)
}

var (
	bcTwo127 = new(big.Int).Lsh(big.NewInt(1), 127)
	bcTwo128 = new(big.Int).Lsh(big.NewInt(1), 128)
)

// int128 parses a decimal integer in [-2^127, 2^128) as a 128-bit two's-
// complement value.
func (a *asmParser) int128(s string) (lo, hi uint64, err error) {
	if s == "" || s[0] == '+' {
		return 0, 0, fmt.Errorf("%q is not a decimal integer", s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return uint64(n), uint64(n >> 63), nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, 0, nil
	}
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a decimal integer", s)
	}
	if x.Cmp(new(big.Int).Neg(bcTwo127)) < 0 || x.Cmp(bcTwo128) >= 0 {
		return 0, 0, fmt.Errorf("%s is out of the 128-bit range", s)
	}
	if x.Sign() < 0 {
		x.Add(x, bcTwo128)
	}
	lo = new(big.Int).And(x, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	hi = new(big.Int).Rsh(x, 64).Uint64()
	return lo, hi, nil
}

func bcClassByName(s string) Class {
	for c := range NumClasses {
		if c.String() == s {
			return c
		}
	}
	return NumClasses
}

func (a *asmParser) instr(toks []string, comment string) error {
	p := a.p
	pc := len(p.Code)
	if c := toks[0][0]; '0' <= c && c <= '9' {
		n, err := a.num(toks[0])
		if err != nil {
			return err
		}
		if int64(n) != int64(pc) {
			return fmt.Errorf("pc %d, but this is instruction %d", n, pc)
		}
		toks = toks[1:]
		if len(toks) == 0 {
			return fmt.Errorf("missing mnemonic after the pc")
		}
	}
	op, ok := OpcodeByName(toks[0])
	if !ok {
		return fmt.Errorf("unknown opcode %q", toks[0])
	}
	info, _ := op.Info()

	// Operands: words separated by , within a segment and ; between them.
	var segs [][]string
	if rest := toks[1:]; len(rest) > 0 {
		seg := []string{}
		for i, t := range rest {
			isWord := t != "," && t != ";"
			if (i%2 == 0) != isWord {
				return fmt.Errorf("%s: unexpected %q in the operands", op, t)
			}
			switch {
			case isWord:
				seg = append(seg, t)
			case t == ";":
				segs = append(segs, seg)
				seg = []string{}
			}
		}
		if len(rest)%2 == 0 {
			return fmt.Errorf("%s: operands end with %q", op, rest[len(rest)-1])
		}
		segs = append(segs, seg)
	}

	nf, ng := len(info.Fixed), len(info.Group)
	var words []string
	switch {
	case ng == 0:
		if len(segs) > 1 {
			return fmt.Errorf("%s has no groups: want %d operands separated by commas", op, nf)
		}
		if len(segs) == 1 {
			words = segs[0]
		}
		if len(words) != nf {
			return fmt.Errorf("%s has %d operands, not %d", op, nf, len(words))
		}
	default:
		groups := segs
		if nf > 0 {
			if len(segs) == 0 || len(segs[0]) != nf {
				return fmt.Errorf("%s has %d fixed operands before its groups", op, nf)
			}
			words, groups = segs[0], segs[1:]
		}
		for i, g := range groups {
			if len(g) != ng {
				return fmt.Errorf("%s: group %d has %d operands, not %d", op, i+1, len(g), ng)
			}
			words = append(words, g...)
		}
	}

	in := Instr{Op: op}
	if len(words) > 0 {
		in.Args = make([]uint32, len(words))
	}
	for i, w := range words {
		arg, _ := bcArgAt(info, i)
		x, err := a.operand(arg.Kind, w)
		if err != nil {
			return fmt.Errorf("%s %s: %w", op, bcOperandName(info, i), err)
		}
		in.Args[i] = x
	}

	sp, err := a.position(comment, pc)
	if err != nil {
		return err
	}
	p.Code = append(p.Code, in)
	p.Pos = append(p.Pos, sp)
	return nil
}

func (a *asmParser) operand(kind OperandKind, w string) (uint32, error) {
	switch kind {
	case KP:
		return a.ref(w, "p", "a P register")
	case KA:
		return a.ref(w, "a", "an A register")
	case KB:
		return a.ref(w, "b", "a B register")
	case KR:
		c := NumClasses
		if w != "" {
			c = bcClassByName(w[:1])
		}
		if c == NumClasses {
			return 0, fmt.Errorf("%q is not a register like p0, a0, b0 or i0", w)
		}
		n, err := a.ref(w, w[:1], "a register")
		if err != nil {
			return 0, err
		}
		if n >= 1<<30 {
			return 0, fmt.Errorf("register %s: index too large to tag with its class", w)
		}
		return EncodeReg(Reg{Class: c, Index: n}), nil
	case KOptP:
		if w == "_" {
			return 0, nil
		}
		n, err := a.ref(w, "p", "a P register or _")
		if err != nil {
			return 0, err
		}
		if n == math.MaxUint32 {
			return 0, fmt.Errorf("register %s out of range", w)
		}
		return n + 1, nil
	case KConst:
		return a.ref(w, "k", "a constant")
	case KString:
		return a.ref(w, "s", "a string")
	case KInput:
		return a.ref(w, "in", "an input")
	case KParam:
		return a.ref(w, "par", "a parameter")
	case KOutput:
		return a.ref(w, "out", "an output")
	case KJump, KImm:
		return a.num(w)
	}
	return 0, fmt.Errorf("unknown operand kind %d", kind)
}

// position parses the @file:line:col of an instruction comment; a file given
// by name is resolved in finish.
func (a *asmParser) position(comment string, pc int) (SrcPos, error) {
	var at string
	for _, f := range strings.Fields(comment) {
		if strings.HasPrefix(f, "@") {
			at = f[1:]
		}
	}
	if at == "" {
		return SrcPos{}, nil
	}
	bad := fmt.Errorf("position @%s: want @file:line:col", at)
	rest, col, ok1 := bcCutLast(at, ":")
	file, line, ok2 := bcCutLast(rest, ":")
	if !ok1 || !ok2 || file == "" {
		return SrcPos{}, bad
	}
	var sp SrcPos
	var err error
	if sp.Line, err = a.num(line); err != nil {
		return SrcPos{}, bad
	}
	if sp.Col, err = a.num(col); err != nil {
		return SrcPos{}, bad
	}
	if bcIsStringRef(file) {
		if sp.File, err = a.num(file[1:]); err != nil {
			return SrcPos{}, bad
		}
	} else {
		a.files = append(a.files, asmFile{line: a.line, pc: pc, name: file})
	}
	return sp, nil
}

func bcCutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func (a *asmParser) finish() error {
	p := a.p
	if a.ringLine == 0 {
		return fmt.Errorf("missing .ring directive")
	}
	for i, c := range a.consts {
		v := Vec{Lo: c.lo}
		if v.Lo == nil {
			v.Lo = []uint64{}
		}
		if p.Ring == 128 {
			v.Hi = c.hi
			if v.Hi == nil {
				v.Hi = []uint64{}
			}
		} else {
			for j, hi := range c.hi {
				if hi != 0 && (hi != math.MaxUint64 || c.lo[j]>>63 == 0) {
					return fmt.Errorf("line %d: constant k%d element %d is out of the range of ring %d", c.line, i, j, p.Ring)
				}
			}
		}
		p.Consts = append(p.Consts, v)
	}
	if len(a.files) > 0 {
		first := bcFirstIndex(p.Strings)
		for _, f := range a.files {
			i, ok := first[f.name]
			if !ok {
				return fmt.Errorf("line %d: position file %q is not in the string table", f.line, f.name)
			}
			p.Pos[f.pc].File = uint32(i)
		}
	}
	if a.regsLine == 0 {
		for _, in := range p.Code {
			info, _ := in.Op.Info()
			for i, x := range in.Args {
				arg, _ := bcArgAt(info, i)
				var r Reg
				switch arg.Kind {
				case KP:
					r = Reg{ClassP, x}
				case KA:
					r = Reg{ClassA, x}
				case KB:
					r = Reg{ClassB, x}
				case KR:
					r = DecodeReg(x)
				case KOptP:
					if x == 0 {
						continue
					}
					r = Reg{ClassP, x - 1}
				default:
					continue
				}
				if r.Index < math.MaxUint32 && r.Index+1 > p.NumRegs[r.Class] {
					p.NumRegs[r.Class] = r.Index + 1
				}
			}
		}
	}
	return nil
}
