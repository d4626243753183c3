package vm

// Pure-Go kernels: the reference every faster path is tested against, and
// the path of the purego build and of CPUs without AVX2. They favour
// clarity; every operand has length len(dst) (the reslices let the compiler
// drop bounds checks), and each element is read in full before it is
// written, so dst may alias an operand.

import "math/bits"

func add64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func sub64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func mul64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func mulAdd64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] += a[i] * b[i]
	}
}

func neg64Generic(dst, a []uint64) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = -a[i]
	}
}

func crossMul64Generic(dst, a0, a1, b0, b1 []uint64) {
	n := len(dst)
	a0, a1, b0, b1 = a0[:n], a1[:n], b0[:n], b1[:n]
	for i := range dst {
		dst[i] = a0[i]*b0[i] + a0[i]*b1[i] + a1[i]*b0[i]
	}
}

func xor64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}

func and64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] & b[i]
	}
}

func andXor64Generic(dst, a, b []uint64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] ^= a[i] & b[i]
	}
}

func crossAnd64Generic(dst, a0, a1, b0, b1 []uint64) {
	n := len(dst)
	a0, a1, b0, b1 = a0[:n], a1[:n], b0[:n], b1[:n]
	for i := range dst {
		dst[i] = a0[i]&b0[i] ^ a0[i]&b1[i] ^ a1[i]&b0[i]
	}
}

// ---- Z_2^128 ----

// add128 is (aHi:aLo) + (bHi:bLo) mod 2^128.
func add128(aLo, aHi, bLo, bHi uint64) (lo, hi uint64) {
	lo, c := bits.Add64(aLo, bLo, 0)
	hi, _ = bits.Add64(aHi, bHi, c)
	return lo, hi
}

// mul128 is (aHi:aLo) · (bHi:bLo) mod 2^128: the full product of the low
// words plus the low halves of the cross products (aHi·bHi only reaches bit
// 128 and above).
func mul128(aLo, aHi, bLo, bHi uint64) (lo, hi uint64) {
	hi, lo = bits.Mul64(aLo, bLo)
	return lo, hi + aLo*bHi + aHi*bLo
}

func add128Generic(dstLo, dstHi, aLo, aHi, bLo, bHi []uint64) {
	n := len(dstLo)
	dstHi, aLo, aHi, bLo, bHi = dstHi[:n], aLo[:n], aHi[:n], bLo[:n], bHi[:n]
	for i := range dstLo {
		dstLo[i], dstHi[i] = add128(aLo[i], aHi[i], bLo[i], bHi[i])
	}
}

func sub128Generic(dstLo, dstHi, aLo, aHi, bLo, bHi []uint64) {
	n := len(dstLo)
	dstHi, aLo, aHi, bLo, bHi = dstHi[:n], aLo[:n], aHi[:n], bLo[:n], bHi[:n]
	for i := range dstLo {
		lo, c := bits.Sub64(aLo[i], bLo[i], 0)
		hi, _ := bits.Sub64(aHi[i], bHi[i], c)
		dstLo[i], dstHi[i] = lo, hi
	}
}

func mul128Generic(dstLo, dstHi, aLo, aHi, bLo, bHi []uint64) {
	n := len(dstLo)
	dstHi, aLo, aHi, bLo, bHi = dstHi[:n], aLo[:n], aHi[:n], bLo[:n], bHi[:n]
	for i := range dstLo {
		dstLo[i], dstHi[i] = mul128(aLo[i], aHi[i], bLo[i], bHi[i])
	}
}

func mulAdd128Generic(dstLo, dstHi, aLo, aHi, bLo, bHi []uint64) {
	n := len(dstLo)
	dstHi, aLo, aHi, bLo, bHi = dstHi[:n], aLo[:n], aHi[:n], bLo[:n], bHi[:n]
	for i := range dstLo {
		lo, hi := mul128(aLo[i], aHi[i], bLo[i], bHi[i])
		dstLo[i], dstHi[i] = add128(dstLo[i], dstHi[i], lo, hi)
	}
}

func neg128Generic(dstLo, dstHi, aLo, aHi []uint64) {
	n := len(dstLo)
	dstHi, aLo, aHi = dstHi[:n], aLo[:n], aHi[:n]
	for i := range dstLo {
		lo, c := bits.Sub64(0, aLo[i], 0)
		hi, _ := bits.Sub64(0, aHi[i], c)
		dstLo[i], dstHi[i] = lo, hi
	}
}

func crossMul128Generic(dstLo, dstHi, a0Lo, a0Hi, a1Lo, a1Hi, b0Lo, b0Hi, b1Lo, b1Hi []uint64) {
	n := len(dstLo)
	dstHi = dstHi[:n]
	a0Lo, a0Hi, a1Lo, a1Hi = a0Lo[:n], a0Hi[:n], a1Lo[:n], a1Hi[:n]
	b0Lo, b0Hi, b1Lo, b1Hi = b0Lo[:n], b0Hi[:n], b1Lo[:n], b1Hi[:n]
	for i := range dstLo {
		pLo, pHi := mul128(a0Lo[i], a0Hi[i], b0Lo[i], b0Hi[i])
		qLo, qHi := mul128(a0Lo[i], a0Hi[i], b1Lo[i], b1Hi[i])
		rLo, rHi := mul128(a1Lo[i], a1Hi[i], b0Lo[i], b0Hi[i])
		pLo, pHi = add128(pLo, pHi, qLo, qHi)
		dstLo[i], dstHi[i] = add128(pLo, pHi, rLo, rHi)
	}
}
