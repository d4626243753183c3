package vm

import "fmt"

// Verify checks that p is structurally valid, so that an interpreter can
// rely on it without further checks:
//
//   - the ring k is 64 or 128, and the fractional bits F satisfy 0 <= F,
//     2F < k and F <= 62 (so F <= 31 for k = 64 and F <= 62 for k = 128: the
//     product of two fixed-point values fits the ring, and 2^F is a positive
//     int64);
//   - the register counts, schema, constants, strings and code are within the
//     limits (MaxRegs, MaxSchema, ...);
//   - input, parameter and output names are identifiers
//     ([A-Za-z_][A-Za-z0-9_]*), unique within their list; input types are
//     sint, sfix or sbits, parameter types int, fix or bool, output types any
//     valid type; a parameter's default is a constant of length 1;
//   - a constant has Hi == nil when k = 64 and len(Hi) == len(Lo) when k = 128;
//   - every instruction has a known opcode and the operands of its picture:
//     exactly the fixed operands when the opcode has no group, otherwise the
//     fixed operands and at least MinGroups whole groups;
//   - every operand is in range for its kind: registers below the count of
//     their class, class-tagged registers not of the reserved class I,
//     constant, string, input, parameter and output indexes in range, jump
//     targets in [0, len(Code)] (len(Code) halts), immediates: BSHL, BSHR,
//     BROTL amounts < 64, ATRUNC and ASHR amounts < k, the A2B word 0 or 1;
//   - the class-tagged registers of a SameClass opcode are all of one class,
//     and INPUT writes an A register for an sint or sfix column and a B
//     register for an sbits column;
//   - there is one position per instruction, and its file indexes the
//     strings unless the position is zero (SrcPos{}: no position known).
//
// The error names the first defect found; a defect in an instruction is
// reported with its pc and source position.
func Verify(p *Program) error {
	if p == nil {
		return fmt.Errorf("invalid program: nil")
	}
	v := verifier{p: p}
	return v.run()
}

type verifier struct {
	p *Program
}

func (v *verifier) errorf(format string, a ...any) error {
	return fmt.Errorf("invalid program: "+format, a...)
}

func (v *verifier) run() error {
	p := v.p
	if p.Ring != 64 && p.Ring != 128 {
		return v.errorf("ring size %d, want 64 or 128", p.Ring)
	}
	if p.FracBits < 0 || 2*p.FracBits >= p.Ring || p.FracBits > 62 {
		return v.errorf("%d fractional bits in ring %d: want 0 <= F <= %d", p.FracBits, p.Ring, min(p.Ring/2-1, 62))
	}
	for c, n := range p.NumRegs {
		if n > MaxRegs {
			return v.errorf("%d registers of class %s, the limit is %d", n, Class(c), MaxRegs)
		}
	}
	if err := v.schema(); err != nil {
		return err
	}
	if err := v.consts(); err != nil {
		return err
	}
	if len(p.Strings) > MaxStrings {
		return v.errorf("%d strings, the limit is %d", len(p.Strings), MaxStrings)
	}
	for i, s := range p.Strings {
		if len(s) > MaxStringLen {
			return v.errorf("string s%d has %d bytes, the limit is %d", i, len(s), MaxStringLen)
		}
	}
	if len(p.Code) > MaxInstrs {
		return v.errorf("%d instructions, the limit is %d", len(p.Code), MaxInstrs)
	}
	if len(p.Pos) != len(p.Code) {
		return v.errorf("%d positions for %d instructions", len(p.Pos), len(p.Code))
	}
	for pc, sp := range p.Pos {
		if sp != (SrcPos{}) && int64(sp.File) >= int64(len(p.Strings)) {
			return v.errorf("pc %d: position file s%d out of range (%d strings)", pc, sp.File, len(p.Strings))
		}
	}
	nargs := 0
	for pc, in := range p.Code {
		if err := v.instr(in); err != nil {
			return v.errorf("pc %d (%s): %s: %w", pc, p.Position(pc), in.Op, err)
		}
		if nargs += len(in.Args); nargs > MaxOperands {
			return v.errorf("pc %d (%s): more than %d operands in the program", pc, p.Position(pc), MaxOperands)
		}
	}
	return nil
}

func (v *verifier) schema() error {
	p := v.p
	if len(p.Inputs) > MaxSchema || len(p.Params) > MaxSchema || len(p.Outputs) > MaxSchema {
		return v.errorf("%d inputs, %d parameters, %d outputs: the limit is %d each", len(p.Inputs), len(p.Params), len(p.Outputs), MaxSchema)
	}
	seen := make(map[string]bool)
	name := func(what string, i int, s string) error {
		if !bcIsIdent(s) {
			return v.errorf("%s %d: name %q is not an identifier", what, i, s)
		}
		if seen[s] {
			return v.errorf("%s %d: duplicate name %q", what, i, s)
		}
		seen[s] = true
		return nil
	}
	for i, c := range p.Inputs {
		if err := name("input", i, c.Name); err != nil {
			return err
		}
		if c.Type != TSint && c.Type != TSfix && c.Type != TSbits {
			return v.errorf("input %d %q: type %s, want sint, sfix or sbits", i, c.Name, c.Type)
		}
	}
	clear(seen)
	for i, par := range p.Params {
		if err := name("parameter", i, par.Name); err != nil {
			return err
		}
		if par.Type != TInt && par.Type != TFix && par.Type != TBool {
			return v.errorf("parameter %d %q: type %s, want int, fix or bool", i, par.Name, par.Type)
		}
		if int64(par.Default) >= int64(len(p.Consts)) {
			return v.errorf("parameter %d %q: default k%d out of range (%d constants)", i, par.Name, par.Default, len(p.Consts))
		}
		if n := p.Consts[par.Default].Len(); n != 1 {
			return v.errorf("parameter %d %q: default k%d has length %d, want 1", i, par.Name, par.Default, n)
		}
	}
	clear(seen)
	for i, o := range p.Outputs {
		if err := name("output", i, o.Name); err != nil {
			return err
		}
		if !o.Type.Valid() {
			return v.errorf("output %d %q: invalid type %s", i, o.Name, o.Type)
		}
	}
	return nil
}

func (v *verifier) consts() error {
	p := v.p
	if len(p.Consts) > MaxConsts {
		return v.errorf("%d constants, the limit is %d", len(p.Consts), MaxConsts)
	}
	total := 0
	for i, c := range p.Consts {
		if total += len(c.Lo); total > MaxConstElems {
			return v.errorf("constants have more than %d elements", MaxConstElems)
		}
		if p.Ring == 64 && c.Hi != nil {
			return v.errorf("constant k%d has high words in ring 64", i)
		}
		if p.Ring == 128 && len(c.Hi) != len(c.Lo) {
			return v.errorf("constant k%d has %d low and %d high words", i, len(c.Lo), len(c.Hi))
		}
	}
	return nil
}

// bcIsIdent reports whether s is an identifier [A-Za-z_][A-Za-z0-9_]*.
func bcIsIdent(s string) bool {
	if s == "" || len(s) > MaxStringLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// bcArgAt returns the picture entry of operand i of an instruction with the
// given metadata, and whether there is one.
func bcArgAt(info *OpInfo, i int) (Arg, bool) {
	if i < len(info.Fixed) {
		return info.Fixed[i], true
	}
	if len(info.Group) == 0 {
		return Arg{}, false
	}
	return info.Group[(i-len(info.Fixed))%len(info.Group)], true
}

// bcOperandName names operand i for a message: "operand 2" for a fixed
// operand, "group 3 operand 1" in a group (all counting from 1).
func bcOperandName(info *OpInfo, i int) string {
	if i < len(info.Fixed) || len(info.Group) == 0 {
		return fmt.Sprintf("operand %d", i+1)
	}
	j := i - len(info.Fixed)
	return fmt.Sprintf("group %d operand %d", j/len(info.Group)+1, j%len(info.Group)+1)
}

func (v *verifier) instr(in Instr) error {
	p := v.p
	info, ok := in.Op.Info()
	if !ok {
		return fmt.Errorf("unknown opcode %d", uint8(in.Op))
	}
	nf, ng := len(info.Fixed), len(info.Group)
	switch {
	case ng == 0 && len(in.Args) != nf:
		return fmt.Errorf("%d operands, want %d", len(in.Args), nf)
	case ng > 0 && (len(in.Args) < nf || (len(in.Args)-nf)%ng != 0):
		return fmt.Errorf("%d operands, want %d and groups of %d", len(in.Args), nf, ng)
	case ng > 0 && (len(in.Args)-nf)/ng < info.MinGroups:
		return fmt.Errorf("%d groups, want at least %d", (len(in.Args)-nf)/ng, info.MinGroups)
	}
	var class Class // class of the first KR operand, once seen
	seen := false
	for i, x := range in.Args {
		arg, _ := bcArgAt(info, i)
		if err := v.operand(in.Op, arg.Kind, x); err != nil {
			return fmt.Errorf("%s: %w", bcOperandName(info, i), err)
		}
		if arg.Kind != KR || !info.SameClass {
			continue
		}
		if c := DecodeReg(x).Class; !seen {
			class, seen = c, true
		} else if c != class {
			return fmt.Errorf("%s: register %s, but the registers of %s must be of one class (%s)",
				bcOperandName(info, i), bcRegString(DecodeReg(x)), in.Op, class)
		}
	}
	if in.Op == INPUT {
		r, col := DecodeReg(in.Args[0]), p.Inputs[in.Args[1]]
		if want := inputClass(col.Type); r.Class != want {
			return fmt.Errorf("input %q of type %s needs a register of class %s, not %s", col.Name, col.Type, want, bcRegString(r))
		}
	}
	return nil
}

func (v *verifier) reg(r Reg) error {
	if r.Class == ClassI {
		return fmt.Errorf("register %s: class i is reserved", bcRegString(r))
	}
	if r.Index >= v.p.NumRegs[r.Class] {
		return fmt.Errorf("register %s out of range (%d %s registers)", bcRegString(r), v.p.NumRegs[r.Class], r.Class)
	}
	return nil
}

func (v *verifier) index(what, prefix string, x uint32, n int) error {
	if int64(x) >= int64(n) {
		return fmt.Errorf("%s %s%d out of range (%d %ss)", what, prefix, x, n, what)
	}
	return nil
}

func (v *verifier) operand(op Opcode, kind OperandKind, x uint32) error {
	p := v.p
	switch kind {
	case KP:
		return v.reg(Reg{ClassP, x})
	case KA:
		return v.reg(Reg{ClassA, x})
	case KB:
		return v.reg(Reg{ClassB, x})
	case KR:
		return v.reg(DecodeReg(x))
	case KOptP:
		if x == 0 {
			return nil
		}
		return v.reg(Reg{ClassP, x - 1})
	case KConst:
		return v.index("constant", "k", x, len(p.Consts))
	case KString:
		return v.index("string", "s", x, len(p.Strings))
	case KInput:
		return v.index("input", "in", x, len(p.Inputs))
	case KParam:
		return v.index("parameter", "par", x, len(p.Params))
	case KOutput:
		return v.index("output", "out", x, len(p.Outputs))
	case KJump:
		if int64(x) > int64(len(p.Code)) {
			return fmt.Errorf("jump target %d beyond the end of the code (%d instructions)", x, len(p.Code))
		}
		return nil
	case KImm:
		limit, what := bcImmLimit(op, p.Ring)
		if limit == 0 {
			return fmt.Errorf("the verifier has no rule for the immediate of %s", op)
		}
		if x >= limit {
			return fmt.Errorf("%s %d out of range [0, %d)", what, x, limit)
		}
		return nil
	}
	return fmt.Errorf("unknown operand kind %d", kind)
}

// bcImmLimit returns the exclusive upper bound of the immediate operand of
// op in ring k, and what it is; 0 for an opcode without an immediate rule.
func bcImmLimit(op Opcode, k int) (uint32, string) {
	switch op {
	case BSHL, BSHR, BROTL:
		return 64, "shift amount"
	case ATRUNC, ASHR:
		return uint32(k), "shift amount"
	case A2B:
		return 2, "word index"
	}
	return 0, ""
}

// bcRegString renders a register as p3, a12, b0, i1.
func bcRegString(r Reg) string { return fmt.Sprintf("%s%d", r.Class, r.Index) }
