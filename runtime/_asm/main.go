// Command _asm generates the AES-128-CTR keystream kernels of package
// runtime (the numbered PRG streams, prg.go): prg_amd64.s and its Go
// declarations prg_amd64.go. Run it from this directory (or `make generate`
// from the repository root):
//
//	go run . -out ../prg_amd64.s -stubs ../prg_amd64.go -pkg runtime
//
// Each kernel writes the AES-128 encryptions of consecutive counter blocks,
// the counter a 128-bit big-endian integer as in the standard library's
// cipher.NewCTR: VAES on ZMM registers (4 blocks per instruction, AVX-512)
// or on YMM registers (2 blocks, VEX-encoded, AVX2). The caller (prg_amd64.go's
// Go side) guarantees that the low 64 bits of the counter do not wrap
// within one call, so a 64-bit lane add increments it, and hands whole
// vectors only. The Xor variants write src ⊕ keystream instead.
//
// avo v0.5.0 knows only the 128-bit forms of VAESENC, so the wide forms
// are emitted as raw instructions (the Go assembler encodes them).
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is the number of vectors in flight per iteration of the main loop
// (enough independent AES chains to cover the instruction's latency).
const unroll = 8

// raw emits an instruction avo has no form for: op src, srcdst, dst (Go
// operand order).
func raw(op string, a, b, dst Op) {
	Instruction(&ir.Instruction{
		Opcode:   op,
		Operands: []Op{a, b, dst},
		Inputs:   []Op{a, b},
		Outputs:  []Op{dst},
	})
}

// width is one vector width.
type width struct {
	name  string
	bytes int // vector bytes: 32 or 64
	regs  func(i int) VecPhysical
	// round keys: in registers (ZMM: broadcast from the 16-byte schedule)
	// or memory operands (YMM: the schedule with every key twice)
	inRegs bool
}

var (
	zmm = width{name: "VAES512", bytes: 64, inRegs: true, regs: func(i int) VecPhysical {
		return []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
			Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}[i]
	}}
	ymm = width{name: "VAES256", bytes: 32, regs: func(i int) VecPhysical {
		return []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}[i]
	}}
)

var bswapMask, ctrInit, ctrInc Mem

func constants() {
	// bytes 15..0 in every 128-bit lane: the 16-byte reversal (VPSHUFB)
	bswapMask = GLOBL("ctrBswap", RODATA|NOPTR)
	for l := 0; l < 4; l++ {
		DATA(16*l, U64(0x08090a0b0c0d0e0f))
		DATA(16*l+8, U64(0x0001020304050607))
	}
	// the lanes' offsets from the first counter: 0, 1, 2, 3 (low words)
	ctrInit = GLOBL("ctrInit", RODATA|NOPTR)
	for l := 0; l < 4; l++ {
		DATA(16*l, U64(uint64(l)))
		DATA(16*l+8, U64(0))
	}
	// per-vector increments: 2 (YMM) at 0, 4 (ZMM) at 32
	ctrInc = GLOBL("ctrInc", RODATA|NOPTR)
	for l := 0; l < 2; l++ {
		DATA(16*l, U64(2))
		DATA(16*l+8, U64(0))
	}
	for l := 0; l < 4; l++ {
		DATA(32+16*l, U64(4))
		DATA(32+16*l+8, U64(0))
	}
}

func (w width) vmov(a, b Op) {
	if w.inRegs {
		VMOVDQU64(a, b)
	} else {
		VMOVDQU(a, b)
	}
}

func (w width) vxor(a, b, dst Op) {
	if w.inRegs {
		VPXORQ(a, b, dst)
	} else {
		VPXOR(a, b, dst)
	}
}

// emit generates ctr<name> (xor false) or ctrXor<name>.
func (w width) emit(xor bool) {
	lanes := w.bytes / 16
	name := "ctr" + w.name
	sig := "func(rk *byte, dst []byte, lo, hi uint64)"
	doc := fmt.Sprintf("%s sets dst to the AES-128 keystream of the counter blocks hi‖lo, hi‖lo+1, … (big-endian,\n"+
		"as cipher.NewCTR) with %s (%d blocks per instruction). rk is the expanded key schedule\n"+
		"(11 round keys%s). len(dst) must be a multiple of %d, and lo must not wrap.", name, w.name, lanes, w.rkNote(), w.bytes)
	if xor {
		name = "ctrXor" + w.name
		sig = "func(rk *byte, dst, src []byte, lo, hi uint64)"
		doc = fmt.Sprintf("%s sets dst = src ⊕ the keystream of ctr%s (same conditions;\n"+
			"src no shorter than dst, dst equal to src or not overlapping it).", name, w.name)
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(strings.Split(doc, "\n")...)
	rkp := Load(Param("rk"), RAX)
	dst := Load(Param("dst").Base(), RDI)
	n := Load(Param("dst").Len(), RCX)
	var src Register
	if xor {
		src = Load(Param("src").Base(), RSI)
	}
	lo := Load(Param("lo"), RBX)
	hi := Load(Param("hi"), RDX)

	// registers: data 0..unroll-1, then ctr, inc, bswap, round keys
	data := func(j int) VecPhysical { return w.regs(j) }
	ctr, inc, bsw := w.regs(unroll), w.regs(unroll+1), w.regs(unroll+2)
	rk := func(r int) Op {
		if w.inRegs {
			return w.regs(unroll + 3 + r)
		}
		return Mem{Base: rkp, Disp: 32 * r}
	}
	if w.inRegs {
		for r := 0; r <= 10; r++ {
			VBROADCASTI32X4(Mem{Base: rkp, Disp: 16 * r}, w.regs(unroll+3+r))
		}
	}
	x := ctr.(VecPhysical).AsX()
	VMOVQ(lo, x)
	VPINSRQ(U8(1), hi, x, x)
	if w.inRegs {
		VSHUFI64X2(U8(0), ctr, ctr, ctr)
		VPADDQ(ctrInit, ctr, ctr)
		VMOVDQU64(ctrInc.Offset(32), inc)
		VMOVDQU64(bswapMask, bsw)
	} else {
		VINSERTI128(U8(1), x, ctr, ctr)
		VPADDQ(ctrInit, ctr, ctr)
		VMOVDQU(ctrInc, inc)
		VMOVDQU(bswapMask, bsw)
	}

	// u vectors at dst (and src) offset 0, then advance
	block := func(u int, loop string) {
		for j := 0; j < u; j++ {
			VPSHUFB(bsw, ctr, data(j))
			VPADDQ(inc, ctr, ctr)
			w.vxor(rk(0), data(j), data(j))
		}
		for r := 1; r <= 9; r++ {
			for j := 0; j < u; j++ {
				raw("VAESENC", rk(r), data(j), data(j))
			}
		}
		for j := 0; j < u; j++ {
			raw("VAESENCLAST", rk(10), data(j), data(j))
		}
		for j := 0; j < u; j++ {
			if xor {
				w.vxor(Mem{Base: src, Disp: w.bytes * j}, data(j), data(j))
			}
			w.vmov(data(j), Mem{Base: dst, Disp: w.bytes * j})
		}
		ADDQ(U32(u*w.bytes), dst)
		if xor {
			ADDQ(U32(u*w.bytes), src)
		}
		SUBQ(U32(u*w.bytes), n)
	}
	Comment(fmt.Sprintf("Main loop: %d vectors of %d blocks.", unroll, lanes))
	JMP(LabelRef("mainTest"))
	Label("mainLoop")
	block(unroll, "mainLoop")
	Label("mainTest")
	CMPQ(n, U32(unroll*w.bytes))
	JAE(LabelRef("mainLoop"))
	Comment("Remaining whole vectors.")
	JMP(LabelRef("tailTest"))
	Label("tailLoop")
	block(1, "tailLoop")
	Label("tailTest")
	CMPQ(n, U32(w.bytes))
	JAE(LabelRef("tailLoop"))
	VZEROUPPER()
	RET()
}

func (w width) rkNote() string {
	if w.inRegs {
		return " of 16 bytes"
	}
	return " of 32 bytes, each 16-byte key twice"
}

func main() {
	ConstraintExpr("amd64,!purego")
	constants()
	for _, w := range []width{zmm, ymm} {
		w.emit(false)
		w.emit(true)
	}
	Generate()
}
