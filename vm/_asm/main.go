// Command _asm generates the AVX2 and AVX-512 ring kernels of package vm:
// ring_amd64.s and its Go declarations ring_amd64.go. Run it from this
// directory (or `make generate` from the repository root):
//
//	go run . -out ../ring_amd64.s -stubs ../ring_amd64.go -pkg vm
//
// Every kernel is one streaming loop over slices of uint64: load one vector
// from each operand, compute, store. The body of each kernel is written once
// against the small vector vocabulary of type gen, which emits AVX2 (YMM, 4
// lanes) or AVX-512 (ZMM, 8 lanes) instructions. The assembly handles
// len(first operand) elements, which must be a multiple of the lane count;
// the Go wrappers in kernels_amd64.go slice the operands to that and finish
// the tail with the generic code.
package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// constant names a vector constant a kernel keeps in a register.
type constant int

const (
	cZero  constant = iota // all lanes 0
	cOnes                  // all lanes 0xffff_ffff_ffff_ffff
	cSign                  // all lanes 1<<63 (AVX2 unsigned compares)
	cLow32                 // all lanes 0x0000_0000_ffff_ffff
	numConstants

	// cCarry stands for what 128-bit carries need: cSign on AVX2 (compares
	// are signed), cOnes on AVX-512 (a masked subtract of -1 adds the carry).
	cCarry = numConstants
)

// gen emits vector code for one instruction set.
type gen struct {
	avx512 bool
	lanes  int
	suffix string
	consts [numConstants]VecVirtual
}

var (
	avx2   = &gen{avx512: false, lanes: 4, suffix: "AVX2"}
	avx512 = &gen{avx512: true, lanes: 8, suffix: "AVX512"}
)

func (g *gen) vec() VecVirtual {
	if g.avx512 {
		return ZMM()
	}
	return YMM()
}

// setup materialises the constants a kernel needs before its loop.
func (g *gen) setup(need []constant) {
	g.consts = [numConstants]VecVirtual{}
	has := func(c constant) bool {
		for _, n := range need {
			if n == cCarry {
				n = cSign
				if g.avx512 {
					n = cOnes
				}
			}
			if n == c {
				return true
			}
		}
		return false
	}
	ones := func() VecVirtual {
		r := g.vec()
		if g.avx512 {
			VPTERNLOGQ(U8(0xff), r, r, r)
		} else {
			VPCMPEQQ(r, r, r)
		}
		return r
	}
	if has(cZero) {
		r := g.vec()
		g.xorInto(r, r, r)
		g.consts[cZero] = r
	}
	if has(cOnes) {
		g.consts[cOnes] = ones()
	}
	if has(cSign) {
		r := ones()
		VPSLLQ(U8(63), r, r)
		g.consts[cSign] = r
	}
	if has(cLow32) {
		r := ones()
		VPSRLQ(U8(32), r, r)
		g.consts[cLow32] = r
	}
}

func (g *gen) c(c constant) VecVirtual {
	if g.consts[c] == nil {
		panic(fmt.Sprintf("constant %d used but not listed in the kernel's needs", c))
	}
	return g.consts[c]
}

func (g *gen) load(m Mem) VecVirtual {
	r := g.vec()
	if g.avx512 {
		VMOVDQU64(m, r)
	} else {
		VMOVDQU(m, r)
	}
	return r
}

func (g *gen) store(x VecVirtual, m Mem) {
	if g.avx512 {
		VMOVDQU64(x, m)
	} else {
		VMOVDQU(x, m)
	}
}

// ---- 64-bit lanes ----

func (g *gen) add(a, b VecVirtual) VecVirtual { r := g.vec(); VPADDQ(b, a, r); return r }
func (g *gen) sub(a, b VecVirtual) VecVirtual { r := g.vec(); VPSUBQ(b, a, r); return r }
func (g *gen) shl(s uint8, a VecVirtual) VecVirtual {
	r := g.vec()
	VPSLLQ(U8(s), a, r)
	return r
}
func (g *gen) shr(s uint8, a VecVirtual) VecVirtual {
	r := g.vec()
	VPSRLQ(U8(s), a, r)
	return r
}

// mulu32 multiplies the low 32 bits of the lanes of a and b into 64 bits.
func (g *gen) mulu32(a, b VecVirtual) VecVirtual { r := g.vec(); VPMULUDQ(b, a, r); return r }

func (g *gen) xorInto(a, b, r VecVirtual) {
	if g.avx512 {
		VPXORQ(b, a, r)
	} else {
		VPXOR(b, a, r)
	}
}

func (g *gen) xor(a, b VecVirtual) VecVirtual { r := g.vec(); g.xorInto(a, b, r); return r }

func (g *gen) and(a, b VecVirtual) VecVirtual {
	r := g.vec()
	if g.avx512 {
		VPANDQ(b, a, r)
	} else {
		VPAND(b, a, r)
	}
	return r
}

func (g *gen) neg(a VecVirtual) VecVirtual { return g.sub(g.c(cZero), a) }

// mul is the low 64 bits of a·b. AVX-512DQ has VPMULLQ; AVX2 builds it from
// 32×32→64 products: aL·bL + ((aL·bH + aH·bL) << 32). ah and bh are a>>32
// and b>>32 when the caller already has them, else nil.
func (g *gen) mul(a, ah, b, bh VecVirtual) VecVirtual {
	if g.avx512 {
		r := g.vec()
		VPMULLQ(b, a, r)
		return r
	}
	if ah == nil {
		ah = g.shr(32, a)
	}
	if bh == nil {
		bh = g.shr(32, b)
	}
	cross := g.add(g.mulu32(ah, b), g.mulu32(a, bh))
	return g.add(g.mulu32(a, b), g.shl(32, cross))
}

// ---- 128-bit lanes as (lo, hi) pairs ----

// carry is the condition mask of an unsigned lo < x (the carry out of
// lo = x + y): all ones where set for AVX2, an opmask for AVX-512.
type carry struct {
	v VecVirtual
	k OpmaskVirtual
}

// ult computes x < y on unsigned lanes.
func (g *gen) ult(x, y VecVirtual) carry {
	if g.avx512 {
		k := K()
		VPCMPUQ(U8(1), y, x, k) // predicate 1: LT
		return carry{k: k}
	}
	s := g.c(cSign)
	m := g.vec()
	VPCMPGTQ(g.xor(x, s), g.xor(y, s), m) // m = (y^s) > (x^s) signed
	return carry{v: m}
}

// addCarry returns hi + c (c is 0 or 1 per lane).
func (g *gen) addCarry(hi VecVirtual, c carry) VecVirtual {
	if g.avx512 {
		VPSUBQ(g.c(cOnes), hi, c.k, hi) // hi -= -1 where c
		return hi
	}
	return g.sub(hi, c.v) // the mask is -1 where c
}

// subBorrow returns hi - c (c is 0 or 1 per lane).
func (g *gen) subBorrow(hi VecVirtual, c carry) VecVirtual {
	if g.avx512 {
		VPADDQ(g.c(cOnes), hi, c.k, hi) // hi += -1 where c
		return hi
	}
	return g.add(hi, c.v)
}

func (g *gen) add128(aLo, aHi, bLo, bHi VecVirtual) (lo, hi VecVirtual) {
	lo = g.add(aLo, bLo)
	return lo, g.addCarry(g.add(aHi, bHi), g.ult(lo, aLo))
}

func (g *gen) sub128(aLo, aHi, bLo, bHi VecVirtual) (lo, hi VecVirtual) {
	lo = g.sub(aLo, bLo)
	return lo, g.subBorrow(g.sub(aHi, bHi), g.ult(aLo, bLo))
}

// neg128 is 0 - a: the high word borrows unless the low word is zero.
func (g *gen) neg128(aLo, aHi VecVirtual) (lo, hi VecVirtual) {
	lo = g.neg(aLo)
	if g.avx512 {
		hi = g.neg(aHi)
		k := K()
		VPTESTMQ(aLo, aLo, k) // k = aLo != 0
		return lo, g.subBorrow(hi, carry{k: k})
	}
	// hi = -aHi - 1 + (aLo == 0) = ^aHi - z with z = -1 where aLo == 0.
	z := g.vec()
	VPCMPEQQ(g.c(cZero), aLo, z)
	return lo, g.sub(g.xor(aHi, g.c(cOnes)), z)
}

// mulWide returns the full 128-bit product of the 64-bit lanes a and b from
// four 32×32→64 products (no vector 64×64→128 multiply exists), summed as in
// Hacker's Delight mulhu so that no partial sum overflows. ah and bh are
// a>>32 and b>>32.
func (g *gen) mulWide(a, ah, b, bh VecVirtual) (lo, hi VecVirtual) {
	m := g.c(cLow32)
	p0 := g.mulu32(a, b)          // aL·bL
	p1 := g.mulu32(a, bh)         // aL·bH
	p2 := g.mulu32(ah, b)         // aH·bL
	p3 := g.mulu32(ah, bh)        // aH·bH
	t := g.add(p1, g.shr(32, p0)) // < 2^64
	u := g.add(p2, g.and(t, m))   // < 2^64
	hi = g.add(g.add(p3, g.shr(32, t)), g.shr(32, u))
	lo = g.add(g.shl(32, u), g.and(p0, m))
	return lo, hi
}

// mul128 is the low 128 bits of a·b: aLo·bLo in full plus the low 64 bits
// of the cross terms aLo·bHi + aHi·bLo in the high word.
func (g *gen) mul128(aLo, aHi, bLo, bHi VecVirtual) (lo, hi VecVirtual) {
	ah := g.shr(32, aLo)
	bh := g.shr(32, bLo)
	lo, hi = g.mulWide(aLo, ah, bLo, bh)
	cross := g.add(g.mul(aLo, ah, bHi, nil), g.mul(aHi, nil, bLo, bh))
	return lo, g.add(hi, cross)
}

// ---- kernels ----

// kernel is one streaming loop: the slice parameters args, of which it loads
// loads and stores stores (by name, in order) at every index.
type kernel struct {
	name   string
	doc    string
	args   []string
	loads  []string
	stores []string
	needs  []constant
	unroll [2]int // vectors per iteration of the main loop: AVX2, AVX-512
	body   func(g *gen, in operands) []VecVirtual
}

// operands loads the inputs of a kernel at the current index: in.v(j) emits
// a fresh load of input j, so a body loads what it needs when it needs it
// (AVX2 has only 16 vector registers).
type operands struct {
	g   *gen
	mem []Mem
}

func (o operands) v(j int) VecVirtual { return o.g.load(o.mem[j]) }

var (
	args2  = []string{"dst", "a"}
	args3  = []string{"dst", "a", "b"}
	args5  = []string{"dst", "a0", "a1", "b0", "b1"}
	args4w = []string{"dstLo", "dstHi", "aLo", "aHi"}
	args6w = []string{"dstLo", "dstHi", "aLo", "aHi", "bLo", "bHi"}
	args10 = []string{"dstLo", "dstHi", "a0Lo", "a0Hi", "a1Lo", "a1Hi", "b0Lo", "b0Hi", "b1Lo", "b1Hi"}
)

var kernels = []kernel{
	{
		name: "add64", doc: "dst = a + b", args: args3, loads: args3[1:], stores: args3[:1],
		unroll: [2]int{4, 4},
		body:   func(g *gen, in operands) []VecVirtual { return vs(g.add(in.v(0), in.v(1))) },
	},
	{
		name: "sub64", doc: "dst = a - b", args: args3, loads: args3[1:], stores: args3[:1],
		unroll: [2]int{4, 4},
		body:   func(g *gen, in operands) []VecVirtual { return vs(g.sub(in.v(0), in.v(1))) },
	},
	{
		name: "mul64", doc: "dst = a * b", args: args3, loads: args3[1:], stores: args3[:1],
		unroll: [2]int{4, 4},
		body:   func(g *gen, in operands) []VecVirtual { return vs(g.mul(in.v(0), nil, in.v(1), nil)) },
	},
	{
		name: "mulAdd64", doc: "dst += a * b", args: args3, loads: args3, stores: args3[:1],
		unroll: [2]int{4, 4},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.add(in.v(0), g.mul(in.v(1), nil, in.v(2), nil)))
		},
	},
	{
		name: "neg64", doc: "dst = -a", args: args2, loads: args2[1:], stores: args2[:1],
		needs: []constant{cZero}, unroll: [2]int{4, 4},
		body: func(g *gen, in operands) []VecVirtual { return vs(g.neg(in.v(0))) },
	},
	{
		name: "xor64", doc: "dst = a ^ b", args: args3, loads: args3[1:], stores: args3[:1],
		unroll: [2]int{4, 4},
		body:   func(g *gen, in operands) []VecVirtual { return vs(g.xor(in.v(0), in.v(1))) },
	},
	{
		name: "and64", doc: "dst = a & b", args: args3, loads: args3[1:], stores: args3[:1],
		unroll: [2]int{4, 4},
		body:   func(g *gen, in operands) []VecVirtual { return vs(g.and(in.v(0), in.v(1))) },
	},
	{
		name: "andXor64", doc: "dst ^= a & b", args: args3, loads: args3, stores: args3[:1],
		unroll: [2]int{4, 4},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.xor(in.v(0), g.and(in.v(1), in.v(2))))
		},
	},
	{
		name: "crossMul64", doc: "dst = a0*b0 + a0*b1 + a1*b0", args: args5, loads: args5[1:], stores: args5[:1],
		unroll: [2]int{2, 4},
		body: func(g *gen, in operands) []VecVirtual {
			b0 := in.v(2)
			q := g.mul(in.v(1), nil, b0, nil)
			return vs(g.add(q, g.mul(in.v(0), nil, g.add(b0, in.v(3)), nil)))
		},
	},
	{
		name: "crossAnd64", doc: "dst = a0&b0 ^ a0&b1 ^ a1&b0", args: args5, loads: args5[1:], stores: args5[:1],
		unroll: [2]int{4, 4},
		body: func(g *gen, in operands) []VecVirtual {
			b0 := in.v(2)
			q := g.and(in.v(1), b0)
			return vs(g.xor(q, g.and(in.v(0), g.xor(b0, in.v(3)))))
		},
	},
	{
		name: "add128", doc: "dst = a + b", args: args6w, loads: args6w[2:], stores: args6w[:2],
		needs: []constant{cCarry}, unroll: [2]int{2, 4},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.add128(in.v(0), in.v(1), in.v(2), in.v(3)))
		},
	},
	{
		name: "sub128", doc: "dst = a - b", args: args6w, loads: args6w[2:], stores: args6w[:2],
		needs: []constant{cCarry}, unroll: [2]int{2, 4},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.sub128(in.v(0), in.v(1), in.v(2), in.v(3)))
		},
	},
	{
		name: "neg128", doc: "dst = -a", args: args4w, loads: args4w[2:], stores: args4w[:2],
		needs: []constant{cZero, cOnes}, unroll: [2]int{2, 4},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.neg128(in.v(0), in.v(1)))
		},
	},
	{
		name: "mul128", doc: "dst = a * b", args: args6w, loads: args6w[2:], stores: args6w[:2],
		needs: []constant{cLow32}, unroll: [2]int{2, 2},
		body: func(g *gen, in operands) []VecVirtual {
			return vs(g.mul128(in.v(0), in.v(1), in.v(2), in.v(3)))
		},
	},
	{
		name: "mulAdd128", doc: "dst += a * b", args: args6w, loads: args6w, stores: args6w[:2],
		needs: []constant{cLow32, cCarry}, unroll: [2]int{2, 2},
		body: func(g *gen, in operands) []VecVirtual {
			lo, hi := g.mul128(in.v(2), in.v(3), in.v(4), in.v(5))
			return vs(g.add128(in.v(0), in.v(1), lo, hi))
		},
	},
	{
		name: "crossMul128", doc: "dst = a0*b0 + a0*b1 + a1*b0", args: args10, loads: args10[2:], stores: args10[:2],
		needs: []constant{cLow32, cCarry}, unroll: [2]int{1, 1},
		body: func(g *gen, in operands) []VecVirtual {
			// a1·b0 + a0·(b0 + b1), loading b0 twice to spare registers.
			qLo, qHi := g.mul128(in.v(2), in.v(3), in.v(4), in.v(5))
			sLo, sHi := g.add128(in.v(4), in.v(5), in.v(6), in.v(7))
			pLo, pHi := g.mul128(in.v(0), in.v(1), sLo, sHi)
			return vs(g.add128(qLo, qHi, pLo, pHi))
		},
	},
}

func vs(v ...VecVirtual) []VecVirtual { return v }

// emit writes kernel k for the instruction set of g.
func (g *gen) emit(k kernel) {
	name := k.name + g.suffix
	TEXT(name, NOSPLIT, "func("+strings.Join(k.args, ", ")+" []uint64)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets %s elementwise with %s.", name, k.doc, g.suffix),
		fmt.Sprintf("len(%s) must be a multiple of %d and no operand shorter.", k.args[0], g.lanes))

	ptr := map[string]Register{}
	for _, a := range k.args {
		ptr[a] = Load(Param(a).Base(), GP64())
	}
	n := Load(Param(k.args[0]).Len(), GP64())
	g.setup(k.needs)

	unroll := k.unroll[0]
	if g.avx512 {
		unroll = k.unroll[1]
	}
	step := g.lanes * unroll
	i := GP64()
	XORQ(i, i)
	end := GP64()
	MOVQ(n, end)
	ANDQ(I32(int32(-step)), end)

	// One vector at lane offset off from i in every operand.
	one := func(off int) {
		in := operands{g: g, mem: make([]Mem, len(k.loads))}
		for j, a := range k.loads {
			in.mem[j] = Mem{Base: ptr[a], Index: i, Scale: 8, Disp: 8 * off}
		}
		out := k.body(g, in)
		for j, a := range k.stores {
			g.store(out[j], Mem{Base: ptr[a], Index: i, Scale: 8, Disp: 8 * off})
		}
	}

	Comment(fmt.Sprintf("Main loop: %d vectors of %d lanes.", unroll, g.lanes))
	JMP(LabelRef("mainTest"))
	Label("mainLoop")
	for u := 0; u < unroll; u++ {
		one(u * g.lanes)
	}
	ADDQ(U32(step), i)
	Label("mainTest")
	CMPQ(i, end)
	JB(LabelRef("mainLoop"))

	if unroll > 1 {
		Comment("Remaining whole vectors.")
		JMP(LabelRef("tailTest"))
		Label("tailLoop")
		one(0)
		ADDQ(U32(g.lanes), i)
		Label("tailTest")
		CMPQ(i, n)
		JB(LabelRef("tailLoop"))
	}
	VZEROUPPER()
	RET()
}

func main() {
	ConstraintExpr("amd64,!purego")
	for _, g := range []*gen{avx2, avx512} {
		for _, k := range kernels {
			g.emit(k)
		}
	}
	Generate()
}
