package vm

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpcodeMetadata(t *testing.T) {
	seen := map[string]Opcode{}
	for op := range Opcode(NumOpcodes) {
		info, ok := op.Info()
		if !ok || info.Name == "" {
			t.Fatalf("opcode %d has no metadata", op)
		}
		if prev, dup := seen[info.Name]; dup {
			t.Errorf("opcodes %d and %d are both named %s", prev, op, info.Name)
		}
		seen[info.Name] = op
		if info.Name != strings.ToUpper(info.Name) || strings.ContainsAny(info.Name, " ,;#@") {
			t.Errorf("mnemonic %q does not read back in the assembler", info.Name)
		}
		if back, ok := OpcodeByName(info.Name); !ok || back != op {
			t.Errorf("OpcodeByName(%q) = %d, %v", info.Name, back, ok)
		}
		if op.String() != info.Name {
			t.Errorf("opcode %d prints as %q", op, op.String())
		}
		if len(info.Group) == 0 && info.MinGroups != 0 {
			t.Errorf("%s: MinGroups %d without a group", op, info.MinGroups)
		}
		if op.Interactive() && len(info.Group) == 0 {
			t.Errorf("%s is interactive but has no group to batch", op)
		}
		for _, a := range append(append([]Arg{}, info.Fixed...), info.Group...) {
			if a.Kind > KOutput || a.Mode > UseDef {
				t.Errorf("%s: bad operand %+v", op, a)
			}
			if a.Mode != Use && a.Kind != KP && a.Kind != KA && a.Kind != KB && a.Kind != KR {
				t.Errorf("%s writes an operand of kind %d, which is no register", op, a.Kind)
			}
		}
	}
	if _, ok := Opcode(NumOpcodes).Info(); ok {
		t.Errorf("the sentinel has metadata")
	}
	if NumOpcodes > 256 {
		t.Errorf("%d opcodes do not fit the opcode byte", NumOpcodes)
	}
}

func TestOpcodeDisassembles(t *testing.T) {
	p := bcAllOpcodes(128)
	lines := strings.Split(Disassemble(p), "\n")
	for op := range Opcode(NumOpcodes) {
		want := fmt.Sprintf("%4d  %-6s ", op, op)
		if !strings.HasPrefix(lines[bcHeaderLines(lines)+int(op)], want) {
			t.Errorf("no line %q for %s in the disassembly", want, op)
		}
	}
}

// bcHeaderLines returns the number of lines before the first instruction.
func bcHeaderLines(lines []string) int {
	for i, l := range lines {
		if l == "" {
			return i + 1
		}
	}
	return len(lines)
}

func TestOpcodeDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "bytecode.md"))
	bcNoErr(t, err)
	for op := range Opcode(NumOpcodes) {
		if !strings.Contains(string(doc), "`"+op.String()+"`") {
			t.Errorf("docs/bytecode.md does not document %s", op)
		}
	}
}

const (
	bcDocsBegin = "<!-- BEGIN OPCODES: generated from vm/opcodes.go by go test ./vm -run TestOpcodeDocs -update-bytecode -->\n"
	bcDocsEnd   = "<!-- END OPCODES -->\n"
)

// TestOpcodeDocs keeps the opcode reference in docs/bytecode.md equal to the
// metadata and the comments of opcodes.go.
func TestOpcodeDocs(t *testing.T) {
	path := filepath.Join("..", "docs", "bytecode.md")
	doc, err := os.ReadFile(path)
	bcNoErr(t, err)
	before, rest, ok1 := strings.Cut(string(doc), bcDocsBegin)
	current, after, ok2 := strings.Cut(rest, bcDocsEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the markers of the generated opcode table", path)
	}
	gen := bcOpcodeDocs(t)
	if *bcUpdate {
		bcNoErr(t, os.WriteFile(path, []byte(before+bcDocsBegin+gen+bcDocsEnd+after), 0o644))
		return
	}
	if current != gen {
		t.Fatalf("the opcode table of %s is stale: rerun with -update-bytecode", path)
	}
}

// bcDocMeanings completes opcode comments that give only a picture.
var bcDocMeanings = map[Opcode]string{
	PADD: "a + b", PSUB: "a − b", PMUL: "a · b", PNEG: "−a",
	PAND: "bitwise and", POR: "bitwise or", PXOR: "bitwise xor",
	PLE: "1 if a ≤ b (signed) else 0", PEQ: "1 if a = b else 0", PNE: "1 if a ≠ b else 0",
	AADD: "x + y", ASUB: "x − y", ANEG: "−x", AADDP: "x + p", AMULP: "x · p",
	BXOR: "x ⊕ y", BXORP: "x ⊕ p (the low 64 bits of p)", BANDP: "x ∧ p (the low 64 bits of p)",
	BNOT: "bitwise complement",
}

// bcPicture renders the operand picture of an opcode from its metadata.
func bcPicture(info *OpInfo) string {
	one := func(a Arg) string {
		s := [...]string{KP: "p", KA: "a", KB: "b", KR: "r", KOptP: "[p]", KConst: "k", KString: "s",
			KJump: "j", KImm: "m", KInput: "in", KParam: "par", KOutput: "out"}[a.Kind]
		switch a.Mode {
		case Def:
			s += "="
		case UseDef:
			s += "=+"
		}
		return s
	}
	var parts []string
	for _, a := range info.Fixed {
		parts = append(parts, one(a))
	}
	if len(info.Group) > 0 {
		var g []string
		for _, a := range info.Group {
			g = append(g, one(a))
		}
		rep := "+"
		if info.MinGroups == 0 {
			rep = "*"
		}
		parts = append(parts, "{"+strings.Join(g, " ")+"}"+rep)
	}
	return strings.Join(parts, " ")
}

// bcOpcodeDocs generates the opcode reference: one table per section of the
// const block in opcodes.go.
func bcOpcodeDocs(t *testing.T) string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "opcodes.go", nil, parser.ParseComments)
	bcNoErr(t, err)
	type row struct {
		op      Opcode
		comment string
	}
	type section struct {
		title string
		rows  []row
	}
	var sections []section
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST || len(gd.Specs) == 0 {
			continue
		}
		if vs := gd.Specs[0].(*ast.ValueSpec); vs.Names[0].Name != "NOP" {
			continue
		}
		sections = append(sections, section{title: "no operation"})
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			op, ok := OpcodeByName(vs.Names[0].Name)
			if !ok {
				continue // the sentinel
			}
			if vs.Doc != nil {
				title := strings.Trim(strings.TrimSpace(vs.Doc.Text()), "- ")
				sections = append(sections, section{title: title})
			}
			comment := ""
			if vs.Comment != nil {
				comment = strings.TrimSpace(vs.Comment.Text())
			}
			s := &sections[len(sections)-1]
			s.rows = append(s.rows, row{op, comment})
		}
	}
	var b strings.Builder
	for _, s := range sections {
		fmt.Fprintf(&b, "\n### %s\n\n", strings.ToUpper(s.title[:1])+s.title[1:])
		b.WriteString("| opcode | operands | rounds k=64 / k=128 | meaning |\n|---|---|---|---|\n")
		for _, r := range s.rows {
			info, _ := r.op.Info()
			// Strip the picture the comment starts with (as many words as
			// the opcode has operands in its picture).
			meaning := r.comment
			for range len(info.Fixed) + len(info.Group) {
				meaning = strings.TrimSpace(meaning)
				if i := strings.IndexAny(meaning, " \t"); i >= 0 {
					meaning = meaning[i:]
				} else {
					meaning = ""
				}
			}
			meaning = strings.TrimSpace(meaning)
			if m, ok := bcDocMeanings[r.op]; ok {
				meaning = m
			}
			if meaning == "" {
				t.Errorf("%s has no meaning to document: add it to bcDocMeanings", r.op)
			}
			rounds := "local"
			if r.op.Interactive() {
				r64, r128 := r.op.RoundsFor(64), r.op.RoundsFor(128)
				rounds = fmt.Sprintf("%d / %d", r64, r128)
				if r64 == r128 {
					rounds = fmt.Sprint(r64)
				}
			}
			picture := "—"
			if pic := bcPicture(info); pic != "" {
				picture = "`" + pic + "`"
			}
			if info.SameClass {
				picture += " one class"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.op, picture, rounds, strings.ReplaceAll(meaning, "|", `\|`))
		}
	}
	b.WriteString("\n")
	return b.String()
}

func TestDisasmLayout(t *testing.T) {
	p := &Program{
		Ring: 128, FracBits: 24, NumRegs: [NumClasses]uint32{3, 4, 1, 0},
		Inputs:  []Column{{"balance", TSfix}},
		Params:  []Param{{"k", TInt, 0}},
		Outputs: []Output{{"mean", TSfix, false}, {"all", TSint, true}},
		Consts:  []Vec{{Lo: []uint64{5}, Hi: []uint64{0}}, {Lo: []uint64{^uint64(0), 0}, Hi: []uint64{^uint64(0), 1}}},
		Strings: []string{"prog.mpcs", "lib/my stats.mpcs", "prog.mpcs"},
		Code: []Instr{
			{Op: INPUT, Args: []uint32{EncodeReg(Reg{ClassA, 0}), 0}},
			{Op: AMUL, Args: []uint32{1, 0, 0, 2, 0, 3}},
			{Op: SLICE, Args: []uint32{EncodeReg(Reg{ClassA, 3}), EncodeReg(Reg{ClassA, 1}), 0, 3, 0}},
			{Op: A2B, Args: []uint32{0, 2, 1}},
			{Op: JNZ, Args: []uint32{2, 6}},
			{Op: NOP},
		},
		Pos: []SrcPos{{0, 3, 11}, {1, 4, 1}, {2, 5, 2}, {}, {0, 7, 1}, {0, 8, 1}},
	}
	want := `.ring 128
.frac 24
.regs p=3 a=4 b=1 i=0
.input in0 "balance" sfix
.param par0 "k" int k0
.output out0 "mean" sfix scalar
.output out1 "all" sint vector
.const k0 [5]
.const k1 [-1, 18446744073709551616]
.string s0 "prog.mpcs"
.string s1 "lib/my stats.mpcs"
.string s2 "prog.mpcs"

   0  INPUT  a0, in0                          # @prog.mpcs:3:11
   1  AMUL   a1, a0, a0 ; a2, a0, a3          # rounds=1 @s1:4:1
   2  SLICE  a3, a1, _, p2, _                 # @s2:5:2
   3  A2B    b0, a2, 1                        # rounds=6
   4  JNZ    p2, 6                            # @prog.mpcs:7:1
   5  NOP                                     # @prog.mpcs:8:1
`
	bcEqual(t, Disassemble(p), want)
	b, err := Encode(p)
	bcNoErr(t, err)
	got := Disassemble(p)
	if !strings.HasPrefix(got, fmt.Sprintf("# hash %x\n.ring 128\n", p.Hash)) {
		t.Errorf("no hash comment in\n%s", got)
	}
	a, err := Assemble(got)
	bcNoErr(t, err)
	b2, err := Encode(a)
	bcNoErr(t, err)
	bcEqual(t, b2, b)
}

func TestDisasmConstants(t *testing.T) {
	p := &Program{Ring: 128, Consts: []Vec{{
		Lo: []uint64{0, 1, ^uint64(0), 0, ^uint64(0), 1 << 63, 0, 1<<63 - 1},
		Hi: []uint64{0, 0, ^uint64(0), 1 << 63, 1<<63 - 1, ^uint64(0), 1, 0},
	}}}
	want := ".const k0 [0, 1, -1, -170141183460469231731687303715884105728, 170141183460469231731687303715884105727, -9223372036854775808, 18446744073709551616, 9223372036854775807]\n"
	if got := Disassemble(p); !strings.Contains(got, want) {
		t.Fatalf("got\n%s\nwant the line\n%s", got, want)
	}
	bcCheckRoundTrips(t, p)

	q := &Program{Ring: 64, Consts: []Vec{{Lo: []uint64{0, 1, ^uint64(0), 1 << 63, 1<<63 - 1}}}}
	want = ".const k0 [0, 1, -1, -9223372036854775808, 9223372036854775807]\n"
	if got := Disassemble(q); !strings.Contains(got, want) {
		t.Fatalf("got\n%s\nwant the line\n%s", got, want)
	}
	bcCheckRoundTrips(t, q)
}

func TestDisasmPositionFiles(t *testing.T) {
	files := []string{"prog.mpcs", "s0", "", "a b.mpcs", "c:/x.mpcs", "x@y", "prog.mpcs", "ünï.mpcs", "\xff", "lib/std-lib_2+.mpcs"}
	p := &Program{Ring: 64, Strings: files}
	for i := range files {
		p.Code = append(p.Code, Instr{Op: NOP})
		p.Pos = append(p.Pos, SrcPos{uint32(i), uint32(i), 1})
	}
	text := Disassemble(p)
	for _, want := range []string{"@prog.mpcs:0:1", "@s1:1:1", "@s2:2:1", "@s3:3:1", "@s6:6:1", "@lib/std-lib_2+.mpcs:9:1"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %s in\n%s", want, text)
		}
	}
	bcCheckRoundTrips(t, p)
}

func TestDisasmInvalidPrograms(t *testing.T) {
	// The disassembler shows broken programs rather than panic on them.
	cases := []struct {
		p    *Program
		want string
	}{
		{nil, "# nil program"},
		{&Program{Ring: 64, Code: []Instr{{Op: 250, Args: []uint32{1, 2}}}}, "OP?    ?1, ?2"},
		{&Program{Ring: 64, Code: []Instr{{Op: PADD, Args: []uint32{1, 2, 3, 4}}}}, "PADD   p1, p2, p3, ?4"},
		{&Program{Ring: 64, Code: []Instr{{Op: AMUL, Args: []uint32{1, 2, 3, 4}}}}, "AMUL   a1, a2, a3 ; a4"},
		{&Program{Ring: 64, Code: []Instr{{Op: NOP}}, Pos: []SrcPos{{9, 1, 1}, {1, 1, 1}}}, "NOP                                     # @s9:1:1"},
		{&Program{Ring: 0, Consts: []Vec{{Lo: []uint64{1}, Hi: []uint64{2, 3}}}}, ".const k0 [1]"},
		{&Program{Ring: 64, Inputs: []Column{{"", 0}}, Outputs: []Output{{"x y", 99, true}}}, `.output out0 "x y" type(99) vector`},
		{&Program{Ring: 64, Code: []Instr{{Op: OUTPUT, Args: []uint32{1 << 31, 1<<32 - 1}}}}, "OUTPUT out2147483648, p4294967295"},
	}
	for _, c := range cases {
		if got := Disassemble(c.p); !strings.Contains(got, c.want) {
			t.Errorf("got\n%s\nwant it to contain %q", got, c.want)
		}
	}
}
