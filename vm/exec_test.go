package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ---- a tiny program builder ----

const exTFile = "t.mpcs"

type exProg struct {
	k int
	p *Program
}

func newExProg(k int) *exProg {
	f := 16
	if k == 128 {
		f = 24
	}
	p := &Program{Ring: k, FracBits: f, Strings: []string{exTFile}}
	for c := range p.NumRegs {
		p.NumRegs[c] = 16
	}
	return &exProg{k: k, p: p}
}

// emit appends an instruction exAt source line pc+1, column 5.
func (b *exProg) emit(op Opcode, args ...uint32) int {
	b.p.Code = append(b.p.Code, Instr{Op: op, Args: args})
	pc := len(b.p.Code) - 1
	b.p.Pos = append(b.p.Pos, SrcPos{File: 0, Line: uint32(pc + 1), Col: 5})
	return pc
}

func (b *exProg) konst(v Vec) uint32 {
	b.p.Consts = append(b.p.Consts, v)
	return uint32(len(b.p.Consts) - 1)
}

// ints loads a constant vector into register p<reg>.
func (b *exProg) ints(reg uint32, xs ...int64) int {
	return b.emit(CONST, reg, b.konst(VecOf(b.k, xs...)))
}

func (b *exProg) bigs(reg uint32, xs []*big.Int) int {
	return b.emit(CONST, reg, b.konst(exBigVec(b.k, xs)))
}

func (b *exProg) str(s string) uint32 {
	b.p.Strings = append(b.p.Strings, s)
	return uint32(len(b.p.Strings) - 1)
}

func (b *exProg) out(name string, t Type, vector bool, reg uint32) int {
	b.p.Outputs = append(b.p.Outputs, Output{Name: name, Type: t, Vector: vector})
	return b.emit(OUTPUT, uint32(len(b.p.Outputs)-1), reg)
}

func (b *exProg) input(name string, t Type) uint32 {
	b.p.Inputs = append(b.p.Inputs, Column{Name: name, Type: t})
	return uint32(len(b.p.Inputs) - 1)
}

func (b *exProg) param(name string, t Type, def int64) uint32 {
	b.p.Params = append(b.p.Params, Param{Name: name, Type: t, Default: b.konst(VecOf(b.k, def))})
	return uint32(len(b.p.Params) - 1)
}

func (b *exProg) run(data *Dataset, params map[string]string) (*Result, error) {
	return Emulate(context.Background(), b.p, data, params)
}

func (b *exProg) mustRun(t *testing.T) *Result {
	t.Helper()
	res, err := b.run(nil, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func xrA(i uint32) uint32 { return EncodeReg(Reg{ClassA, i}) }
func xrB(i uint32) uint32 { return EncodeReg(Reg{ClassB, i}) }
func xrP(i uint32) uint32 { return EncodeReg(Reg{ClassP, i}) }

// exAt returns the source position of instruction pc as the builder sets it.
func exAt(pc int) string { return fmt.Sprintf("%s:%d:5", exTFile, pc+1) }

// exOutInts returns an output's elements as signed decimal strings.
func exOutInts(t *testing.T, res *Result, name string) []string {
	t.Helper()
	o, ok := res.Output(name)
	if !ok {
		t.Fatalf("no output %q", name)
	}
	s := make([]string, o.Value.Len())
	for i := range s {
		s[i] = ElemBig(res.Ring, o.Value, i).String()
	}
	return s
}

func exWantInts(t *testing.T, res *Result, name string, want ...int64) {
	t.Helper()
	got := exOutInts(t, res, name)
	ws := make([]string, len(want))
	for i, w := range want {
		ws[i] = strconv.FormatInt(w, 10)
	}
	if strings.Join(got, " ") != strings.Join(ws, " ") {
		t.Fatalf("output %s = %v, want %v", name, got, ws)
	}
}

func exWantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var re *RuntimeError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *RuntimeError", err, err)
	}
	if err.Error() != want {
		t.Fatalf("error\n  %s\nwant\n  %s", err, want)
	}
}

// ---- every opcode against a math/big reference ----

// exEvalOpWith is exEvalOp over the engine mk makes (nil: the plaintext engine).
func exEvalOpWith(mk func(k, f int) Engine, k int, op Opcode, imm uint32, ins ...[]*big.Int) (Vec, Class, error) {
	info, _ := op.Info()
	pic := info.Fixed
	if len(pic) == 0 {
		pic = info.Group
	}
	b := newExProg(k)
	args := make([]uint32, len(pic))
	used := 0
	pn := uint32(0)
	dstClass := ClassP
	for j, a := range pic {
		if a.Mode == Def {
			switch a.Kind {
			case KA:
				dstClass = ClassA
			case KB:
				dstClass = ClassB
			}
			args[j] = 10
			continue
		}
		switch a.Kind {
		case KImm:
			args[j] = imm
			continue
		case KP:
			b.bigs(pn, ins[used])
			args[j] = pn
		case KA:
			b.bigs(pn, ins[used])
			b.emit(PTOA, pn, pn)
			args[j] = pn
		case KB:
			b.bigs(pn, ins[used])
			b.emit(PTOB, pn, pn)
			args[j] = pn
		}
		pn++
		used++
	}
	b.emit(op, args...)
	switch dstClass {
	case ClassA:
		b.emit(AOPEN, 11, 10)
	case ClassB:
		b.emit(BOPEN, 11, 10)
	default:
		b.emit(MOV, xrP(11), xrP(10))
	}
	b.out("r", TInt, true, 11)
	var res *Result
	var err error
	if mk == nil {
		res, err = b.run(nil, nil)
	} else {
		res, err = NewMachine(b.p, mk(k, b.p.FracBits), nil).Run(context.Background())
	}
	if err != nil {
		return Vec{}, 0, err
	}
	return res.Outputs[0].Value, dstClass, nil
}

func exLo64(x *big.Int) uint64 {
	return new(big.Int).And(x, new(big.Int).SetUint64(^uint64(0))).Uint64()
}

type exOpRef struct {
	op   Opcode
	ref  func(k, f int, x, y *big.Int, imm int) *big.Int
	skip func(x, y *big.Int) bool // pairs the op rejects (tested elsewhere)
	ys   func(k int) []*big.Int   // right operands other than the edge values
	imms func(k int) []int        // immediates to try
	word bool                     // result is a 64-bit word
}

func exSmallSet(xs ...int64) func(int) []*big.Int {
	return func(int) []*big.Int {
		r := make([]*big.Int, len(xs))
		for i, x := range xs {
			r[i] = big.NewInt(x)
		}
		return r
	}
}

func exShiftAmounts(k int) []*big.Int {
	r := exSmallSet(0, 1, 2, 5, 31, 32, 62, 63)(k)
	if k == 128 {
		r = append(r, exSmallSet(64, 65, 100, 126, 127)(k)...)
	}
	return r
}

func exImmRange(ms ...int) func(int) []int {
	return func(k int) []int {
		var r []int
		for _, m := range ms {
			if m < k {
				r = append(r, m)
			}
		}
		return r
	}
}

func exIsZero(_, y *big.Int) bool { return y.Sign() == 0 }

var (
	bAdd = func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Add(x, y) }
	bSub = func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Sub(x, y) }
	bMul = func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Mul(x, y) }
	bDiv = func(_, _ int, x, y *big.Int, _ int) *big.Int { q, _ := exRefFloorDiv(x, y); return q }
	bMod = func(_, _ int, x, y *big.Int, _ int) *big.Int { _, r := exRefFloorDiv(x, y); return r }
	bFix = func(_, f int, x, y *big.Int, _ int) *big.Int {
		if y.Sign() == 0 {
			return new(big.Int)
		}
		q, _ := exRefFloorDiv(new(big.Int).Lsh(x, uint(f)), y)
		return q
	}
	bShr = func(_, _ int, x, _ *big.Int, m int) *big.Int { return new(big.Int).Rsh(x, uint(m)) }
	bLtz = func(_, _ int, x, _ *big.Int, _ int) *big.Int { return exRefBool(x.Sign() < 0) }
	bEqz = func(_, _ int, x, _ *big.Int, _ int) *big.Int { return exRefBool(x.Sign() == 0) }
	bNeg = func(_, _ int, x, _ *big.Int, _ int) *big.Int { return new(big.Int).Neg(x) }
	bId  = func(_, _ int, x, _ *big.Int, _ int) *big.Int { return x }
	wXor = func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).SetUint64(exLo64(x) ^ exLo64(y)) }
	wAnd = func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).SetUint64(exLo64(x) & exLo64(y)) }
)

var exOpRefs = []exOpRef{
	{op: PADD, ref: bAdd},
	{op: PSUB, ref: bSub},
	{op: PMUL, ref: bMul},
	{op: PNEG, ref: bNeg},
	{op: PDIV, ref: bDiv, skip: exIsZero},
	{op: PMOD, ref: bMod, skip: exIsZero},
	{op: PFDIV, ref: bFix, skip: exIsZero},
	{op: PPOW, ref: func(k, _ int, x, y *big.Int, _ int) *big.Int {
		return new(big.Int).Exp(new(big.Int).Mod(x, exRefMod(k)), y, exRefMod(k))
	}, ys: exSmallSet(0, 1, 2, 3, 7, 63, 64, 127, 128, 1000, 1<<40)},
	{op: PSHL, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Lsh(x, uint(y.Int64())) }, ys: exShiftAmounts},
	{op: PSHR, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Rsh(x, uint(y.Int64())) }, ys: exShiftAmounts},
	{op: PAND, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).And(x, y) }},
	{op: POR, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Or(x, y) }},
	{op: PXOR, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return new(big.Int).Xor(x, y) }},
	{op: PNOT, ref: func(_, _ int, x, _ *big.Int, _ int) *big.Int { return new(big.Int).Not(x) }},
	{op: PLT, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return exRefBool(x.Cmp(y) < 0) }},
	{op: PLE, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return exRefBool(x.Cmp(y) <= 0) }},
	{op: PEQ, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return exRefBool(x.Cmp(y) == 0) }},
	{op: PNE, ref: func(_, _ int, x, y *big.Int, _ int) *big.Int { return exRefBool(x.Cmp(y) != 0) }},

	{op: PTOA, ref: bId},
	{op: AADD, ref: bAdd},
	{op: ASUB, ref: bSub},
	{op: ANEG, ref: bNeg},
	{op: AADDP, ref: bAdd},
	{op: ASUBP, ref: bSub},
	{op: APSUB, ref: bSub},
	{op: AMULP, ref: bMul},
	{op: AMUL, ref: bMul},
	{op: ATRUNC, ref: bShr, imms: exImmRange(0, 1, 16, 24, 63, 64, 100, 127)},
	{op: ASHR, ref: bShr, imms: exImmRange(0, 1, 2, 16, 24, 62, 63, 64, 126, 127)},
	{op: AIDIV, ref: bDiv, skip: exIsZero},
	{op: ALTZ, ref: bLtz},
	{op: AEQZ, ref: bEqz},
	{op: B2A, ref: func(_, _ int, x, _ *big.Int, _ int) *big.Int { return big.NewInt(int64(exLo64(x))) }},

	{op: PTOB, ref: func(_, _ int, x, _ *big.Int, _ int) *big.Int { return new(big.Int).SetUint64(exLo64(x)) }, word: true},
	{op: BXOR, ref: wXor, word: true},
	{op: BXORP, ref: wXor, word: true},
	{op: BAND, ref: wAnd, word: true},
	{op: BANDP, ref: wAnd, word: true},
	{op: BNOT, ref: func(_, _ int, x, _ *big.Int, _ int) *big.Int { return new(big.Int).SetUint64(^exLo64(x)) }, word: true},
	{op: BSHL, ref: func(_, _ int, x, _ *big.Int, m int) *big.Int { return new(big.Int).SetUint64(exLo64(x) << m) }, imms: exImmRange(0, 1, 7, 32, 63), word: true},
	{op: BSHR, ref: func(_, _ int, x, _ *big.Int, m int) *big.Int { return new(big.Int).SetUint64(exLo64(x) >> m) }, imms: exImmRange(0, 1, 7, 32, 63), word: true},
	{op: BROTL, ref: func(_, _ int, x, _ *big.Int, m int) *big.Int {
		u := exLo64(x)
		return new(big.Int).SetUint64(u<<m | u>>(64-m))
	}, imms: exImmRange(0, 1, 7, 32, 63), word: true},
	{op: A2B, ref: func(k, _ int, x, _ *big.Int, w int) *big.Int { return new(big.Int).SetUint64(exRefWord(k, x, w)) }, imms: exImmRange(0, 1), word: true},
}

func TestOpcodeSemantics(t *testing.T) { testOpcodeSemantics(t, nil) }

func testOpcodeSemantics(t *testing.T, mk func(k, f int) Engine) {
	for _, k := range []int{64, 128} {
		f := newExProg(k).p.FracBits
		for _, c := range exOpRefs {
			t.Run(fmt.Sprintf("%s/k%d", c.op, k), func(t *testing.T) {
				info, _ := c.op.Info()
				pic := info.Fixed
				if len(pic) == 0 {
					pic = info.Group
				}
				nuse := 0
				for _, a := range pic {
					if a.Mode == Use && a.Kind != KImm {
						nuse++
					}
				}
				ev := exEdgeValues(k)
				ys := ev
				if c.ys != nil {
					ys = c.ys(k)
				}
				var xs, rs []*big.Int
				for _, x := range ev {
					if nuse == 1 {
						xs = append(xs, x)
						continue
					}
					for _, y := range ys {
						if c.skip != nil && c.skip(x, y) {
							continue
						}
						xs, rs = append(xs, x), append(rs, y)
					}
				}
				imms := []int{0}
				if c.imms != nil {
					imms = c.imms(k)
				}
				for _, imm := range imms {
					ins := [][]*big.Int{xs}
					if nuse == 2 {
						ins = append(ins, rs)
					}
					got, _, err := exEvalOpWith(mk, k, c.op, uint32(imm), ins...)
					if err != nil {
						t.Fatalf("imm %d: %v", imm, err)
					}
					if got.Len() != len(xs) {
						t.Fatalf("length %d, want %d", got.Len(), len(xs))
					}
					for i, x := range xs {
						var y *big.Int
						if nuse == 2 {
							y = rs[i]
						}
						want := c.ref(k, f, x, y, imm)
						if c.word {
							if got.Lo[i] != want.Uint64() || (got.Hi != nil && got.Hi[i] != 0) {
								t.Fatalf("%s(%v, %v; %d) = %#x, want %#x", c.op, x, y, imm, got.Lo[i], want.Uint64())
							}
							continue
						}
						want = exRefWrap(k, want)
						if g := ElemBig(k, got, i); g.Cmp(want) != 0 {
							t.Fatalf("%s(%v, %v; %d) = %v, want %v", c.op, x, y, imm, g, want)
						}
					}
				}
			})
		}
	}
}

// Every opcode is exercised by some test of this package.
func TestEveryOpcodeCovered(t *testing.T) {
	covered := map[Opcode]bool{}
	for _, c := range exOpRefs {
		covered[c.op] = true
	}
	// exercised by the dedicated tests below
	for _, op := range []Opcode{NOP, MOV, LEN, SLICE, INDEX, SETIDX, CONCAT, FILL, RANGE, CONST,
		JMP, JZ, JNZ, ASSERT, CHKLEN, INPUT, PARAM, OUTPUT, PSEL, PSUM, ASUM, ADOT, AOPEN,
		ASORT, ASHUF, BOPEN} {
		covered[op] = true
	}
	for op := Opcode(0); op < Opcode(NumOpcodes); op++ {
		if !covered[op] {
			t.Errorf("opcode %s has no test", op)
		}
	}
}

// ---- reductions, selection, broadcasting ----

func TestReductionsAndSelect(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		b.ints(0, 1, 2, 3, 4)
		b.ints(1, 10)
		b.ints(2, 1, 0, 1, 0)
		b.emit(PSUM, 3, 0)
		b.emit(PSEL, 4, 2, 0, 1) // [1, 10, 3, 10]
		b.emit(PSEL, 5, 1, 0, 1) // c scalar true: a
		b.emit(PADD, 6, 0, 1)    // broadcast right
		b.emit(PSUB, 7, 1, 0)    // broadcast left
		b.emit(PTOA, 0, 0)       // a0 = [1 2 3 4]
		b.emit(PTOA, 1, 2)       // a1 = [1 0 1 0]
		b.emit(ASUM, 2, 0)       // 10
		b.emit(ADOT, 3, 0, 1)    // 4
		b.emit(AMULP, 4, 0, 1)   // broadcast p: [10 20 30 40]
		b.emit(AOPEN, 8, 2, 9, 3, 10, 4)
		b.ints(11) // empty
		b.emit(PSUM, 12, 11)
		b.emit(PTOA, 5, 11)
		b.emit(ASUM, 6, 5)
		b.emit(ADOT, 7, 5, 5)
		b.emit(AOPEN, 13, 6, 14, 7)
		b.out("psum", TInt, false, 3)
		b.out("sel", TInt, true, 4)
		b.out("sel1", TInt, true, 5)
		b.out("addb", TInt, true, 6)
		b.out("subb", TInt, true, 7)
		b.out("asum", TSint, false, 8)
		b.out("dot", TSint, false, 9)
		b.out("mulp", TSint, true, 10)
		b.out("esum", TInt, false, 12)
		b.out("easum", TSint, false, 13)
		b.out("edot", TSint, false, 14)
		res := b.mustRun(t)
		exWantInts(t, res, "psum", 10)
		exWantInts(t, res, "sel", 1, 10, 3, 10)
		exWantInts(t, res, "sel1", 1, 2, 3, 4)
		exWantInts(t, res, "addb", 11, 12, 13, 14)
		exWantInts(t, res, "subb", 9, 8, 7, 6)
		exWantInts(t, res, "asum", 10)
		exWantInts(t, res, "dot", 4)
		exWantInts(t, res, "mulp", 10, 20, 30, 40)
		exWantInts(t, res, "esum", 0)
		exWantInts(t, res, "easum", 0)
		exWantInts(t, res, "edot", 0)
		if res.Rounds != 4 { // ADOT, the 3-group AOPEN, ADOT, the 2-group AOPEN
			t.Fatalf("rounds = %d, want 4", res.Rounds)
		}
	}
}

func TestBroadcastErrors(t *testing.T) {
	for _, k := range []int{64, 128} {
		type tc struct {
			name  string
			build func(b *exProg) int // returns the failing pc
			msg   string
		}
		cases := []tc{
			{"padd", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1, 2, 3, 4, 5)
				return b.emit(PADD, 2, 0, 1)
			}, "vectors of different lengths 3 and 5"},
			{"psel", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1)
				b.ints(2, 1, 2)
				return b.emit(PSEL, 3, 0, 1, 2)
			}, "vectors of different lengths 3 and 2"},
			{"aadd", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1, 2, 3, 4, 5)
				b.emit(PTOA, 0, 0)
				b.emit(PTOA, 1, 1)
				return b.emit(AADD, 2, 1, 0)
			}, "vectors of different lengths 5 and 3"},
			{"amulp", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1, 2)
				b.emit(PTOA, 0, 0)
				return b.emit(AMULP, 2, 0, 1)
			}, "vectors of different lengths 3 and 2"},
			{"amul-group2", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1, 2)
				b.emit(PTOA, 0, 0)
				b.emit(PTOA, 1, 1)
				return b.emit(AMUL, 2, 0, 0, 3, 0, 1)
			}, "vectors of different lengths 3 and 2"},
			{"zero-vs-three", func(b *exProg) int {
				b.ints(0)
				b.ints(1, 1, 2, 3)
				return b.emit(PMUL, 2, 0, 1)
			}, "vectors of different lengths 0 and 3"},
			{"bxor", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1, 2)
				b.emit(PTOB, 0, 0)
				b.emit(PTOB, 1, 1)
				return b.emit(BXOR, 2, 0, 1)
			}, "vectors of different lengths 3 and 2"},
			{"chklen", func(b *exProg) int {
				b.ints(0, 1, 2, 3)
				b.ints(1, 1)
				return b.emit(CHKLEN, xrP(0), xrP(1))
			}, "vectors of different lengths 3 and 1"},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/k%d", c.name, k), func(t *testing.T) {
				b := newExProg(k)
				pc := c.build(b)
				_, err := b.run(nil, nil)
				exWantErr(t, err, exAt(pc)+": "+c.msg)
			})
		}
	}
}

// ---- run-time errors ----

func TestRuntimeErrors(t *testing.T) {
	type tc struct {
		name  string
		build func(b *exProg) int
		msg   string
	}
	cases := []tc{
		{"index", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 7)
			return b.emit(INDEX, xrP(2), xrP(0), 1)
		}, "index 7 out of range for length 3"},
		{"index-neg", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, -4)
			return b.emit(INDEX, xrP(2), xrP(0), 1)
		}, "index -4 out of range for length 3"},
		{"index-vector", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			return b.emit(INDEX, xrP(2), xrP(0), 0)
		}, "index must be a scalar, got a vector of length 3"},
		{"setidx", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 3)
			b.ints(2, 9)
			return b.emit(SETIDX, xrP(0), xrP(0), 1, xrP(2))
		}, "index 3 out of range for length 3"},
		{"setidx-vector", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 0)
			return b.emit(SETIDX, xrP(0), xrP(0), 1, xrP(0))
		}, "assigned value must be a scalar, got a vector of length 3"},
		{"pdiv", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 1, 0, 1)
			return b.emit(PDIV, 2, 0, 1)
		}, "division by zero"},
		{"pmod", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 0)
			return b.emit(PMOD, 2, 0, 1)
		}, "modulo by zero"},
		{"pfdiv", func(b *exProg) int {
			b.ints(0, 1)
			b.ints(1, 0)
			return b.emit(PFDIV, 2, 0, 1)
		}, "division by zero"},
		{"aidiv", func(b *exProg) int {
			b.ints(0, 5)
			b.ints(1, 0)
			b.emit(PTOA, 0, 0)
			return b.emit(AIDIV, 1, 0, 0, 2, 0, 1)
		}, "division by zero"},
		{"ppow", func(b *exProg) int {
			b.ints(0, 2)
			b.ints(1, -1)
			return b.emit(PPOW, 2, 0, 1)
		}, "negative exponent -1"},
		{"pshl", func(b *exProg) int {
			b.ints(0, 2)
			b.ints(1, int64(b.k))
			return b.emit(PSHL, 2, 0, 1)
		}, "shift amount %K out of range [0, %K)"},
		{"pshr-neg", func(b *exProg) int {
			b.ints(0, 2)
			b.ints(1, -1)
			return b.emit(PSHR, 2, 0, 1)
		}, "shift amount -1 out of range [0, %K)"},
		{"assert", func(b *exProg) int {
			b.ints(0, 0)
			return b.emit(ASSERT, 0, b.str("n must be positive"))
		}, "assertion failed: n must be positive"},
		{"range-step", func(b *exProg) int {
			b.ints(0, 0)
			b.ints(1, 10)
			b.ints(2, 0)
			return b.emit(RANGE, 3, 0, 1, 2)
		}, "range step must not be zero"},
		{"range-long", func(b *exProg) int {
			b.ints(0, 0)
			b.ints(1, 1<<40)
			b.ints(2, 1)
			return b.emit(RANGE, 3, 0, 1, 2)
		}, "range of 1099511627776 elements is too long (limit 2147483647)"},
		{"range-huge", func(b *exProg) int {
			b.ints(0, -1<<63)
			b.ints(1, 1<<63-1)
			b.ints(2, 1)
			return b.emit(RANGE, 3, 0, 1, 2)
		}, "range of 18446744073709551615 elements is too long (limit 2147483647)"},
		{"slice-step", func(b *exProg) int {
			b.ints(0, 1, 2, 3)
			b.ints(1, 0)
			return b.emit(SLICE, xrP(2), xrP(0), 0, 0, 2)
		}, "slice step must not be zero"},
		{"output-twice", func(b *exProg) int {
			b.ints(0, 1)
			b.out("x", TInt, false, 0)
			b.emit(OUTPUT, 0, 0)
			return len(b.p.Code) - 1
		}, `output "x" written twice`},
		{"output-scalar", func(b *exProg) int {
			b.ints(0, 1, 2)
			return b.out("x", TInt, false, 0)
		}, `output "x" must be a scalar, got a vector of length 2`},
		{"fill-neg", func(b *exProg) int {
			b.ints(0, -1)
			b.ints(1, 7)
			return b.emit(FILL, xrP(2), 0, xrP(1))
		}, "fill length -1 must not be negative"},
		{"fill-vector", func(b *exProg) int {
			b.ints(0, 2)
			b.ints(1, 7, 8)
			return b.emit(FILL, xrP(2), 0, xrP(1))
		}, "fill value must be a scalar, got a vector of length 2"},
		{"fill-long", func(b *exProg) int {
			b.ints(0, 1<<40)
			b.ints(1, 7)
			return b.emit(FILL, xrP(2), 0, xrP(1))
		}, "fill length 1099511627776 is too long (limit 2147483647)"},
		{"unset", func(b *exProg) int {
			return b.emit(PADD, 0, 1, 2)
		}, "register p1 is read before it is written"},
		{"unset-secret", func(b *exProg) int {
			return b.emit(AOPEN, 0, 3)
		}, "register a3 is read before it is written"},
		{"jz-vector", func(b *exProg) int {
			b.ints(0, 1, 2)
			return b.emit(JZ, 0, 0)
		}, "condition must be a scalar, got a vector of length 2"},
		{"asort-len", func(b *exProg) int {
			b.ints(0, 3, 1, 2)
			b.ints(1, 1, 2)
			b.emit(PTOA, 0, 0)
			b.emit(PTOA, 1, 1)
			return b.emit(ASORT, 2, 0, 3, 1)
		}, "vectors of different lengths 3 and 2"},
		{"ashuf-len", func(b *exProg) int {
			b.ints(0, 3, 1, 2)
			b.ints(1, 1, 2)
			b.emit(PTOA, 0, 0)
			b.emit(PTOA, 1, 1)
			return b.emit(ASHUF, 2, 0, 3, 1)
		}, "vectors of different lengths 3 and 2"},
		{"input-missing", func(b *exProg) int {
			return b.emit(INPUT, xrA(0), b.input("salary", TSint))
		}, `no dataset: cannot read input "salary"`},
		{"trunc-imm", func(b *exProg) int {
			b.ints(0, 1)
			b.emit(PTOA, 0, 0)
			return b.emit(ATRUNC, 1, 0, uint32(b.k))
		}, "shift amount %K out of range [0, %K)"},
		{"a2b-word", func(b *exProg) int {
			b.ints(0, 1)
			b.emit(PTOA, 0, 0)
			return b.emit(A2B, 1, 0, 2)
		}, "word 2 out of range [0, 2)"},
		{"bshl-imm", func(b *exProg) int {
			b.ints(0, 1)
			b.emit(PTOB, 0, 0)
			return b.emit(BROTL, 1, 0, 64)
		}, "shift amount 64 out of range [0, 64)"},
		{"malformed", func(b *exProg) int {
			b.ints(0, 1)
			return b.emit(PADD, 1, 0)
		}, "malformed instruction: PADD with 2 operands"},
		{"bad-register", func(b *exProg) int {
			return b.emit(PNEG, 99, 0)
		}, "malformed instruction: PNEG operand 0 (99) out of range"},
		{"class-mix", func(b *exProg) int {
			return b.emit(MOV, xrP(0), xrA(0))
		}, "malformed instruction: MOV mixes register classes"},
	}
	for _, k := range []int{64, 128} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/k%d", c.name, k), func(t *testing.T) {
				b := newExProg(k)
				pc := c.build(b)
				_, err := b.run(nil, nil)
				exWantErr(t, err, exAt(pc)+": "+strings.ReplaceAll(c.msg, "%K", strconv.Itoa(k)))
			})
		}
	}
}

func TestAssertPasses(t *testing.T) {
	b := newExProg(64)
	b.ints(0, -1)
	b.emit(ASSERT, 0, b.str("never"))
	b.out("x", TInt, false, 0)
	exWantInts(t, b.mustRun(t), "x", -1)
}

func TestStepLimitAndCancel(t *testing.T) {
	b := newExProg(64)
	b.emit(NOP)
	b.emit(JMP, 0)
	m := NewMachine(b.p, NewPlainEngine(64, 16, nil), nil)
	m.MaxSteps = 1000
	_, err := m.Run(context.Background())
	exWantErr(t, err, exAt(0)+": step limit of 1000 instructions exceeded")
	if m.Steps() != 1000 {
		t.Fatalf("steps = %d", m.Steps())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m = NewMachine(b.p, NewPlainEngine(64, 16, nil), nil)
	_, err = m.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	exWantErr(t, err, exAt(0)+": run stopped: context canceled")
}

// ---- control flow ----

func TestLoop(t *testing.T) {
	for _, k := range []int{64, 128} {
		// i = 0; acc = 0; s = sint 0
		// while i < 10: acc += i; s = s * 1 + i (one AMUL per iteration); i += 1
		b := newExProg(k)
		b.ints(0, 0)  // pc0 i
		b.ints(1, 10) // pc1 n
		b.ints(2, 0)  // pc2 acc
		b.ints(3, 1)  // pc3 one
		b.emit(PTOA, 0, 2)
		b.emit(PTOA, 1, 3)     // pc5
		b.emit(PLT, 4, 0, 1)   // pc6
		b.emit(JZ, 4, 13)      // pc7
		b.emit(PADD, 2, 2, 0)  // pc8
		b.emit(AMUL, 0, 0, 1)  // pc9
		b.emit(AADDP, 0, 0, 0) // pc10
		b.emit(PADD, 0, 0, 3)  // pc11
		b.emit(JMP, 6)         // pc12
		b.emit(AOPEN, 5, 0)    // pc13
		b.emit(PNE, 6, 2, 2)   // pc14: 0
		b.emit(JNZ, 6, 0)      // pc15: not taken
		b.emit(JNZ, 3, 18)     // pc16: taken
		b.emit(PADD, 2, 2, 2)  // pc17: skipped
		b.out("acc", TInt, false, 2)
		b.out("s", TSint, false, 5)
		res := b.mustRun(t)
		exWantInts(t, res, "acc", 45)
		exWantInts(t, res, "s", 45)
		if want := int64(10 + 1); res.Rounds != want { // ten AMUL, one AOPEN
			t.Fatalf("rounds = %d, want %d", res.Rounds, want)
		}
		if want := int64(6 + 10*7 + 2 + 4 + 2); res.Instructions != want {
			t.Fatalf("instructions = %d, want %d", res.Instructions, want)
		}
	}
}

func TestRoundsPerInstruction(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		b.ints(0, 1, -2, 3)
		b.emit(PTOA, 0, 0)
		b.emit(ALTZ, 1, 0, 2, 0, 3, 0) // three groups, one instruction
		b.emit(AEQZ, 4, 0)
		b.emit(AOPEN, 1, 1, 2, 2, 3, 3, 4, 4)
		b.out("l", TSbool, true, 1)
		b.out("e", TSbool, true, 4)
		res := b.mustRun(t)
		want := int64(ALTZ.RoundsFor(k) + AEQZ.RoundsFor(k) + AOPEN.RoundsFor(k))
		if res.Rounds != want {
			t.Fatalf("k=%d rounds = %d, want %d", k, res.Rounds, want)
		}
		if k == 128 && ALTZ.RoundsFor(k) != 7 {
			t.Fatalf("ALTZ rounds for k=128 = %d", ALTZ.RoundsFor(k))
		}
		exWantInts(t, res, "l", 0, 1, 0)
		exWantInts(t, res, "e", 0, 0, 0)
	}
}

// An instruction reads all operands before writing: group 2 reads the old a0
// although group 1 writes it.
func TestReadBeforeWrite(t *testing.T) {
	b := newExProg(128)
	b.ints(0, 3)
	b.ints(1, 5)
	b.emit(PTOA, 0, 0)
	b.emit(PTOA, 1, 1)
	b.emit(AMUL, 0, 1, 1, 2, 0, 0) // a0 = 25, a2 = 9 (old a0)
	b.emit(PADD, 0, 0, 0)          // p0 = 6
	b.emit(AOPEN, 3, 0, 4, 2)
	b.out("a0", TSint, false, 3)
	b.out("a2", TSint, false, 4)
	b.out("p0", TInt, false, 0)
	res := b.mustRun(t)
	exWantInts(t, res, "a0", 25)
	exWantInts(t, res, "a2", 9)
	exWantInts(t, res, "p0", 6)
}

// ---- structural operations ----

func TestStructural(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		b.ints(0, 10, 20, 30, 40)
		b.ints(1, -1)
		b.ints(2, 2)
		b.ints(3, 99)
		b.emit(INDEX, xrP(4), xrP(0), 1)       // 40
		b.emit(LEN, 5, xrP(0))                 // 4
		b.emit(CONCAT, xrP(6), xrP(0), xrP(3)) // 10 20 30 40 99
		b.emit(FILL, xrP(7), 2, xrP(3))        // 99 99
		b.emit(SLICE, xrP(8), xrP(0), 0, 0, 2) // step -1: reversed
		b.emit(MOV, xrP(9), xrP(0))
		b.emit(SETIDX, xrP(9), xrP(9), 1, xrP(3)) // p9 = 10 20 30 99; p0 unchanged
		// the same on secrets
		b.emit(PTOA, 0, 0)
		b.emit(PTOA, 1, 3)
		b.emit(INDEX, xrA(2), xrA(0), 2) // 30
		b.emit(CONCAT, xrA(3), xrA(0), xrA(1), xrA(2))
		b.emit(FILL, xrA(4), 2, xrA(1))
		b.emit(SLICE, xrA(5), xrA(0), 2, 0, 0) // [1:] -> index p1 = -1 ... start -1: [40]
		b.emit(MOV, xrA(6), xrA(0))
		b.emit(SETIDX, xrA(6), xrA(6), 2, xrA(1)) // a6[2] = 99
		b.emit(LEN, 10, xrA(3))
		b.emit(AOPEN, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6)
		b.out("idx", TInt, false, 4)
		b.out("len", TInt, false, 5)
		b.out("cat", TInt, true, 6)
		b.out("fill", TInt, true, 7)
		b.out("rev", TInt, true, 8)
		b.out("set", TInt, true, 9)
		b.out("orig", TInt, true, 0)
		b.out("aidx", TSint, false, 11)
		b.out("acat", TSint, true, 12)
		b.out("afill", TSint, true, 13)
		b.out("aslice", TSint, true, 14)
		b.out("aset", TSint, true, 15)
		b.out("alen", TInt, false, 10)
		res := b.mustRun(t)
		exWantInts(t, res, "idx", 40)
		exWantInts(t, res, "len", 4)
		exWantInts(t, res, "cat", 10, 20, 30, 40, 99)
		exWantInts(t, res, "fill", 99, 99)
		exWantInts(t, res, "rev", 40, 30, 20, 10)
		exWantInts(t, res, "set", 10, 20, 30, 99)
		exWantInts(t, res, "orig", 10, 20, 30, 40)
		exWantInts(t, res, "aidx", 30)
		exWantInts(t, res, "acat", 10, 20, 30, 40, 99, 30)
		exWantInts(t, res, "afill", 99, 99)
		exWantInts(t, res, "aslice", 40)
		exWantInts(t, res, "aset", 10, 20, 99, 40)
		exWantInts(t, res, "alen", 6)
	}
}

// SETIDX mutates only its register: not a MOV source, not the program's
// constants, not a value already output.
func TestNoAliasing(t *testing.T) {
	b := newExProg(64)
	b.ints(0, 1, 2, 3) // pc0
	b.ints(1, 0)
	b.ints(2, 7)
	b.out("before", TInt, true, 0)
	b.emit(SETIDX, xrP(0), xrP(0), 1, xrP(2))
	b.out("after", TInt, true, 0)
	res := b.mustRun(t)
	exWantInts(t, res, "before", 1, 2, 3)
	exWantInts(t, res, "after", 7, 2, 3)
	res = b.mustRun(t) // constants untouched: same again
	exWantInts(t, res, "before", 1, 2, 3)
	if got := b.p.Consts[0].Lo[0]; got != 1 {
		t.Fatalf("constant mutated: %d", got)
	}

	// SETIDX into another register copies; MOV copies.
	for _, c := range []Class{ClassP, ClassA} {
		b = newExProg(128)
		r := func(i uint32) uint32 { return EncodeReg(Reg{c, i}) }
		b.ints(0, 1, 2, 3)
		b.ints(1, -1)
		b.ints(2, 7)
		b.ints(5, 0)
		if c == ClassA {
			b.emit(PTOA, 0, 0)
			b.emit(PTOA, 2, 2)
		}
		b.emit(SETIDX, r(3), r(0), 1, r(2)) // r3 = r0 with [-1] = 7
		b.emit(MOV, r(4), r(3))
		b.emit(SETIDX, r(4), r(4), 5, r(2)) // r4[0] = 7 in place
		if c == ClassA {
			b.emit(AOPEN, 0, 0, 3, 3, 4, 4)
		}
		b.out("r0", TInt, true, 0)
		b.out("r3", TInt, true, 3)
		b.out("r4", TInt, true, 4)
		res := b.mustRun(t)
		exWantInts(t, res, "r0", 1, 2, 3)
		exWantInts(t, res, "r3", 1, 2, 7)
		exWantInts(t, res, "r4", 7, 2, 7)
	}
}

func TestParamsAndInputs(t *testing.T) {
	b := newExProg(128)
	n := b.param("n", TInt, 5)
	s := b.param("scale", TFix, 0)
	on := b.param("on", TBool, 0)
	b.emit(PARAM, 0, n)
	b.emit(PARAM, 1, s)
	b.emit(PARAM, 2, on)
	b.emit(INPUT, xrA(0), b.input("x", TSint))
	b.emit(INPUT, xrB(0), b.input("w", TSbits))
	b.emit(AMULP, 1, 0, 0)
	b.emit(AOPEN, 3, 1)
	b.emit(BOPEN, 4, 0)
	b.out("n", TInt, false, 0)
	b.out("scale", TFix, false, 1)
	b.out("on", TBool, false, 2)
	b.out("xn", TSint, true, 3)
	b.out("w", TSbits, true, 4)
	data, err := ReadCSV(strings.NewReader("x,w,extra\n1,0xff,a\n-2,18446744073709551615,b\n"), b.p)
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.run(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.JSON()); got != `{"outputs": {"n": 5, "scale": 0, "on": false, "xn": [5, -10], "w": ["0x00000000000000ff", "0xffffffffffffffff"]}}` {
		t.Fatalf("json = %s", got)
	}
	res, err = b.run(data, map[string]string{"n": "-3", "scale": "2.5", "on": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.JSON()); got != `{"outputs": {"n": -3, "scale": 2.5, "on": true, "xn": [-3, 6], "w": ["0x00000000000000ff", "0xffffffffffffffff"]}}` {
		t.Fatalf("json = %s", got)
	}
	if _, err := b.run(data, map[string]string{"m": "1"}); err == nil || !strings.Contains(err.Error(), `unknown parameter "m"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := b.run(data, map[string]string{"on": "maybe"}); err == nil || !strings.Contains(err.Error(), `parameter "on": bad boolean "maybe"`) {
		t.Fatalf("err = %v", err)
	}
}

// An output that control flow skips is absent from the result.
func TestSkippedOutput(t *testing.T) {
	b := newExProg(64)
	b.ints(0, 0)
	b.emit(JZ, 0, 3)
	b.out("skipped", TInt, false, 0)
	b.out("kept", TInt, false, 0)
	res := b.mustRun(t)
	if len(res.Outputs) != 1 || res.Outputs[0].Name != "kept" {
		t.Fatalf("outputs = %+v", res.Outputs)
	}
}

// ---- Python slice and range semantics (golden files from CPython) ----

func exReadGolden(t *testing.T, name string) [][2][]string {
	t.Helper()
	f, err := os.Open("testdata/exec/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		l, r, _ := strings.Cut(line, "->")
		out = append(out, [2][]string{strings.Fields(l), strings.Fields(r)})
	}
	return out
}

func TestSlicePython(t *testing.T) {
	cases := exReadGolden(t, "slices.txt")
	if len(cases) < 1000 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, k := range []int{64, 128} {
		for _, c := range cases {
			n, _ := strconv.Atoi(c[0][0])
			b := newExProg(k)
			xs := make([]int64, n)
			for i := range xs {
				xs[i] = int64(i)
			}
			b.ints(0, xs...)
			var opt [3]uint32
			for j := 0; j < 3; j++ {
				if s := c[0][1+j]; s != "_" {
					v, _ := strconv.ParseInt(s, 10, 64)
					b.ints(uint32(1+j), v)
					opt[j] = uint32(1+j) + 1
				}
			}
			b.emit(SLICE, xrP(4), xrP(0), opt[0], opt[1], opt[2])
			b.out("s", TInt, true, 4)
			res := b.mustRun(t)
			if got := strings.Join(exOutInts(t, res, "s"), " "); got != strings.Join(c[1], " ") {
				t.Fatalf("k=%d range(%d)[%s:%s:%s] = [%s], want [%s]", k, n, c[0][1], c[0][2], c[0][3], got, strings.Join(c[1], " "))
			}
		}
	}
}

func TestRangePython(t *testing.T) {
	for _, k := range []int{64, 128} {
		for _, c := range exReadGolden(t, "ranges.txt") {
			b := newExProg(k)
			for j := 0; j < 3; j++ {
				v, _ := strconv.ParseInt(c[0][j], 10, 64)
				b.ints(uint32(j), v)
			}
			b.emit(RANGE, 3, 0, 1, 2)
			b.out("r", TInt, true, 3)
			res := b.mustRun(t)
			if got := strings.Join(exOutInts(t, res, "r"), " "); got != strings.Join(c[1], " ") {
				t.Fatalf("k=%d range(%v) = [%s], want [%s]", k, c[0], got, strings.Join(c[1], " "))
			}
		}
	}
	// 128-bit bounds near the ring's ends
	b := newExProg(128)
	b.bigs(0, []*big.Int{new(big.Int).Sub(RingMax(128), big.NewInt(2))})
	b.bigs(1, []*big.Int{RingMax(128)})
	b.ints(2, 1)
	b.bigs(3, []*big.Int{RingMin(128)})
	b.ints(4, -3)
	b.emit(RANGE, 5, 0, 1, 2) // max-2, max-1
	b.emit(RANGE, 6, 1, 3, 4) // every third from max down to min: too long
	b.out("r", TInt, true, 5)
	_, err := b.run(nil, nil)
	exWantErr(t, err, exAt(6)+": range of 113427455640312821154458202477256070485 elements is too long (limit 2147483647)")
	b.p.Code = b.p.Code[:6]
	b.p.Pos = b.p.Pos[:6]
	b.p.Outputs = nil
	b.out("r", TInt, true, 5)
	res := b.mustRun(t)
	m := RingMax(128)
	if got := exOutInts(t, res, "r"); len(got) != 2 || got[0] != new(big.Int).Sub(m, big.NewInt(2)).String() || got[1] != new(big.Int).Sub(m, big.NewInt(1)).String() {
		t.Fatalf("range = %v", got)
	}
}

func TestRuntimeErrorFormat(t *testing.T) {
	p := &Program{Ring: 64, Strings: []string{"stats.mpcs"}, Pos: []SrcPos{{0, 12, 7}}}
	m := NewMachine(p, nil, nil)
	e := m.errAt(0, "index %d out of range for length %d", 7, 3)
	if e.Error() != "stats.mpcs:12:7: index 7 out of range for length 3" || e.PC != 0 {
		t.Fatalf("%q", e.Error())
	}
}
