package vm

// Generic ring kernels: elementwise arithmetic on Vec in Z_2^k for k = 64 and
// k = 128, in pure Go. They are the reference that faster (SIMD) paths are
// fuzzed against, so they favour clarity: every element is loaded into a
// 128-bit word (sign-extended when k = 64), computed on, and stored back
// truncated to k bits. Arithmetic modulo 2^64 of a sign-extended value agrees
// with arithmetic modulo 2^64 of the value itself, so one 128-bit code path
// serves both ring sizes; only the hot add/sub/mul loops have k = 64 variants.
// Without broadcasting, add, sub, mul, neg, and and xor run on the slice
// kernels of kernels.go (which may be SIMD); the loops here stay the
// reference for them and serve the broadcasting cases.
//
// Conventions shared by every kernel:
//
//   - k is 64 or 128. A ring Vec has Hi == nil when k = 64 and len(Hi) ==
//     len(Lo) when k = 128. Boolean-share words (the B class) are Vecs with Lo
//     only and are handled by the *Words kernels or by the k = 64 kernels.
//   - dst must already have the result length n (NewVec). Every operand has
//     length n or length 1; a length-1 operand is broadcast. BroadcastLen
//     computes n and tells whether the lengths are compatible; checking it is
//     the caller's job (the kernels assume it).
//   - dst may be the same Vec as an operand (every element is read before it
//     is written) but must not partially overlap one.
//   - Signed operations read elements as two's complement.

import (
	"math/big"
	"math/bits"
)

// rgU128 is an unsigned 128-bit word; signed operations read it as two's
// complement.
type rgU128 struct{ lo, hi uint64 }

func rgLoad(k int, v Vec, i int) rgU128 {
	x := v.Lo[i]
	if k == 64 || v.Hi == nil {
		if k == 64 {
			return rgU128{x, uint64(int64(x) >> 63)}
		}
		return rgU128{x, 0}
	}
	return rgU128{x, v.Hi[i]}
}

func rgStore(k int, v Vec, i int, x rgU128) {
	v.Lo[i] = x.lo
	if k != 64 {
		v.Hi[i] = x.hi
	}
}

func rgFrom64(x int64) rgU128 { return rgU128{uint64(x), uint64(x >> 63)} }

func (a rgU128) add(b rgU128) rgU128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return rgU128{lo, hi}
}

func (a rgU128) sub(b rgU128) rgU128 {
	lo, c := bits.Sub64(a.lo, b.lo, 0)
	hi, _ := bits.Sub64(a.hi, b.hi, c)
	return rgU128{lo, hi}
}

func (a rgU128) mul(b rgU128) rgU128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	hi += a.lo*b.hi + a.hi*b.lo
	return rgU128{lo, hi}
}

func (a rgU128) neg() rgU128 { return rgU128{}.sub(a) }

func (a rgU128) isZero() bool { return a.lo == 0 && a.hi == 0 }

func (a rgU128) isNeg() bool { return int64(a.hi) < 0 }

// slt reports a < b as signed 128-bit integers.
func (a rgU128) slt(b rgU128) bool {
	if a.hi != b.hi {
		return int64(a.hi) < int64(b.hi)
	}
	return a.lo < b.lo
}

// ult reports a < b as unsigned 128-bit integers.
func (a rgU128) ult(b rgU128) bool {
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	return a.lo < b.lo
}

// shl shifts left by s in [0, 128). Go defines shifts by >= 64 of a uint64
// as 0, which the formulas below rely on.
func (a rgU128) shl(s uint) rgU128 {
	if s >= 64 {
		return rgU128{0, a.lo << (s - 64)}
	}
	return rgU128{a.lo << s, a.hi<<s | a.lo>>(64-s)}
}

// lshr is the logical right shift by s in [0, 128).
func (a rgU128) lshr(s uint) rgU128 {
	if s >= 64 {
		return rgU128{a.hi >> (s - 64), 0}
	}
	return rgU128{a.lo>>s | a.hi<<(64-s), a.hi >> s}
}

// ashr is the arithmetic right shift by s in [0, 128): floor(a / 2^s).
func (a rgU128) ashr(s uint) rgU128 {
	if s >= 64 {
		return rgU128{uint64(int64(a.hi) >> (s - 64)), uint64(int64(a.hi) >> 63)}
	}
	return rgU128{a.lo>>s | a.hi<<(64-s), uint64(int64(a.hi) >> s)}
}

func rgBool(b bool) rgU128 {
	if b {
		return rgU128{1, 0}
	}
	return rgU128{}
}

// DivMod128 is unsigned 128-bit division of a = aHi·2^64 + aLo by
// b = bHi·2^64 + bLo (b must not be zero): the quotient and the remainder.
func DivMod128(aLo, aHi, bLo, bHi uint64) (qLo, qHi, rLo, rHi uint64) {
	q, r := rgU128{aLo, aHi}.udivmod(rgU128{bLo, bHi})
	return q.lo, q.hi, r.lo, r.hi
}

// udivmod is unsigned 128-bit division; b must not be zero.
func (a rgU128) udivmod(b rgU128) (q, r rgU128) {
	if b.hi == 0 {
		var r64 uint64
		if a.hi < b.lo {
			q.lo, r64 = bits.Div64(a.hi, a.lo, b.lo)
		} else {
			q.hi, r64 = bits.Div64(0, a.hi, b.lo)
			q.lo, r64 = bits.Div64(r64, a.lo, b.lo)
		}
		return q, rgU128{r64, 0}
	}
	// A trial quotient from the top 64 bits of the normalised divisor is
	// within one of the true quotient (Knuth, TAOCP 4.3.1).
	n := uint(bits.LeadingZeros64(b.hi))
	b1 := b.shl(n)
	a1 := a.lshr(1)
	tq, _ := bits.Div64(a1.hi, a1.lo, b1.hi)
	tq >>= 63 - n
	if tq != 0 {
		tq--
	}
	q = rgU128{tq, 0}
	r = a.sub(b.mul(q))
	if !r.ult(b) {
		q = q.add(rgU128{1, 0})
		r = r.sub(b)
	}
	return q, r
}

// floorDivMod is signed floor division with the remainder taking the sign of
// the divisor (Python's // and %); b must not be zero. The quotient wraps
// modulo 2^128 (min / -1 = min).
func (a rgU128) floorDivMod(b rgU128) (q, r rgU128) {
	ua, ub := a, b
	if a.isNeg() {
		ua = a.neg()
	}
	if b.isNeg() {
		ub = b.neg()
	}
	q, r = ua.udivmod(ub)
	if a.isNeg() != b.isNeg() {
		q = q.neg()
	}
	if a.isNeg() {
		r = r.neg()
	}
	if !r.isZero() && a.isNeg() != b.isNeg() {
		q = q.sub(rgU128{1, 0})
		r = r.add(b)
	}
	return q, r
}

// pow computes a**e modulo 2^128 for e read as unsigned.
func (a rgU128) pow(e rgU128) rgU128 {
	res := rgU128{1, 0}
	for !e.isZero() {
		if e.lo&1 == 1 {
			res = res.mul(a)
		}
		a = a.mul(a)
		e = e.lshr(1)
	}
	return res
}

// rgStride is 0 for a broadcast (length-1) operand and 1 otherwise.
func rgStride(v Vec) int {
	if len(v.Lo) == 1 {
		return 0
	}
	return 1
}

func rgMap1(k int, dst, a Vec, f func(x rgU128) rgU128) {
	sa := rgStride(a)
	for i := range dst.Lo {
		rgStore(k, dst, i, f(rgLoad(k, a, i*sa)))
	}
}

func rgMap2(k int, dst, a, b Vec, f func(x, y rgU128) rgU128) {
	sa, sb := rgStride(a), rgStride(b)
	for i := range dst.Lo {
		rgStore(k, dst, i, f(rgLoad(k, a, i*sa), rgLoad(k, b, i*sb)))
	}
}

// NewVec returns a zero vector of n ring elements (Hi allocated when k = 128).
func NewVec(k, n int) Vec {
	v := Vec{Lo: make([]uint64, n)}
	if k != 64 {
		v.Hi = make([]uint64, n)
	}
	return v
}

// NewWords returns a zero vector of n 64-bit words (Lo only).
func NewWords(n int) Vec { return Vec{Lo: make([]uint64, n)} }

// CloneVec returns a deep copy of v (Hi stays nil if it is nil).
func CloneVec(v Vec) Vec {
	c := Vec{Lo: append(make([]uint64, 0, len(v.Lo)), v.Lo...)}
	if v.Hi != nil {
		c.Hi = append(make([]uint64, 0, len(v.Hi)), v.Hi...)
	}
	return c
}

// rgCopy returns a copy of v in fresh storage laid out for ring k: without
// high words when k = 64, with zero ones when k = 128 and v has none.
func rgCopy(k int, v Vec) Vec {
	r := NewVec(k, v.Len())
	copy(r.Lo, v.Lo)
	if r.Hi != nil {
		copy(r.Hi, v.Hi)
	}
	return r
}

// VecOf returns the ring vector of the given signed values.
func VecOf(k int, xs ...int64) Vec {
	v := NewVec(k, len(xs))
	for i, x := range xs {
		rgStore(k, v, i, rgFrom64(x))
	}
	return v
}

// BroadcastLen returns the length of an elementwise result over operands of
// the given lengths: all lengths must be equal except for operands of length
// 1, which are broadcast. ok is false for any other combination.
func BroadcastLen(lens ...int) (n int, ok bool) {
	n = 1
	for _, l := range lens {
		switch {
		case l == 1:
		case n == 1:
			n = l
		case l != n:
			return 0, false
		}
	}
	if len(lens) == 0 {
		return 0, true
	}
	return n, true
}

// ---- conversions to and from math/big ----

var rgBig1 = big.NewInt(1)

// ElemBig returns element i of the ring vector v as a signed integer.
func ElemBig(k int, v Vec, i int) *big.Int {
	x := rgLoad(k, v, i)
	if k == 64 {
		return big.NewInt(int64(x.lo))
	}
	b := new(big.Int).SetUint64(x.hi)
	b.Lsh(b, 64)
	b.Or(b, new(big.Int).SetUint64(x.lo))
	if x.isNeg() {
		b.Sub(b, new(big.Int).Lsh(rgBig1, 128))
	}
	return b
}

// SetElemBig stores x modulo 2^k into element i of the ring vector v.
func SetElemBig(k int, v Vec, i int, x *big.Int) {
	m := new(big.Int).Lsh(rgBig1, uint(k))
	r := new(big.Int).Mod(x, m) // in [0, 2^k)
	lo := new(big.Int).And(r, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(r, 64).Uint64()
	rgStore(k, v, i, rgU128{lo, hi})
}

// RingMin and RingMax return the smallest and largest signed element of the
// ring Z_2^k.
func RingMin(k int) *big.Int { return new(big.Int).Neg(new(big.Int).Lsh(rgBig1, uint(k-1))) }

// RingMax returns 2^(k-1) - 1.
func RingMax(k int) *big.Int {
	return new(big.Int).Sub(new(big.Int).Lsh(rgBig1, uint(k-1)), rgBig1)
}

// rgInt64Sat returns element i as an int64, saturated to [MinInt64, MaxInt64].
func rgInt64Sat(k int, v Vec, i int) int64 {
	x := rgLoad(k, v, i)
	sign := uint64(int64(x.lo) >> 63)
	if x.hi == sign {
		return int64(x.lo)
	}
	if x.isNeg() {
		return -1 << 63
	}
	return 1<<63 - 1
}

// ---- elementwise kernels on ring vectors ----

// AddVec sets dst = a + b mod 2^k.
func AddVec(k int, dst, a, b Vec) {
	if rgKernel2(k, dst, a, b, Add64, Add128) {
		return
	}
	sa, sb := rgStride(a), rgStride(b)
	if k == 64 {
		for i := range dst.Lo {
			dst.Lo[i] = a.Lo[i*sa] + b.Lo[i*sb]
		}
		return
	}
	rgMap2(k, dst, a, b, rgU128.add)
}

// SubVec sets dst = a - b mod 2^k.
func SubVec(k int, dst, a, b Vec) {
	if rgKernel2(k, dst, a, b, Sub64, Sub128) {
		return
	}
	sa, sb := rgStride(a), rgStride(b)
	if k == 64 {
		for i := range dst.Lo {
			dst.Lo[i] = a.Lo[i*sa] - b.Lo[i*sb]
		}
		return
	}
	rgMap2(k, dst, a, b, rgU128.sub)
}

// MulVec sets dst = a · b mod 2^k.
func MulVec(k int, dst, a, b Vec) {
	if rgKernel2(k, dst, a, b, Mul64, Mul128) {
		return
	}
	sa, sb := rgStride(a), rgStride(b)
	if k == 64 {
		for i := range dst.Lo {
			dst.Lo[i] = a.Lo[i*sa] * b.Lo[i*sb]
		}
		return
	}
	rgMap2(k, dst, a, b, rgU128.mul)
}

// NegVec sets dst = -a mod 2^k.
func NegVec(k int, dst, a Vec) {
	if rgKernel1(k, dst, a, Neg64, Neg128) {
		return
	}
	rgMap1(k, dst, a, rgU128.neg)
}

// AndVec sets dst = a & b (bitwise).
func AndVec(k int, dst, a, b Vec) {
	if rgKernel2(k, dst, a, b, And64, And128) {
		return
	}
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgU128{x.lo & y.lo, x.hi & y.hi} })
}

// OrVec sets dst = a | b (bitwise).
func OrVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgU128{x.lo | y.lo, x.hi | y.hi} })
}

// XorVec sets dst = a ^ b (bitwise).
func XorVec(k int, dst, a, b Vec) {
	if rgKernel2(k, dst, a, b, Xor64, Xor128) {
		return
	}
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgU128{x.lo ^ y.lo, x.hi ^ y.hi} })
}

// NotVec sets dst = ^a (bitwise complement, = -1 - a).
func NotVec(k int, dst, a Vec) {
	rgMap1(k, dst, a, func(x rgU128) rgU128 { return rgU128{^x.lo, ^x.hi} })
}

// ShlVec sets dst = a << s elementwise; every amount must be in [0, k).
func ShlVec(k int, dst, a, s Vec) {
	rgMap2(k, dst, a, s, func(x, y rgU128) rgU128 { return x.shl(uint(y.lo)) })
}

// SarVec sets dst = a >> s (arithmetic: floor(a / 2^s)) elementwise; every
// amount must be in [0, k).
func SarVec(k int, dst, a, s Vec) {
	rgMap2(k, dst, a, s, func(x, y rgU128) rgU128 { return x.ashr(uint(y.lo)) })
}

// SarConst sets dst = floor(a / 2^m) (arithmetic shift) for m in [0, k).
func SarConst(k int, dst, a Vec, m uint) {
	rgMap1(k, dst, a, func(x rgU128) rgU128 { return x.ashr(m) })
}

// LtVec sets dst = 1 where a < b (signed), else 0.
func LtVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgBool(x.slt(y)) })
}

// LeVec sets dst = 1 where a <= b (signed), else 0.
func LeVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgBool(!y.slt(x)) })
}

// EqVec sets dst = 1 where a == b, else 0.
func EqVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgBool(x == y) })
}

// NeVec sets dst = 1 where a != b, else 0.
func NeVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 { return rgBool(x != y) })
}

// LtzVec sets dst = 1 where a < 0 (signed), else 0.
func LtzVec(k int, dst, a Vec) {
	rgMap1(k, dst, a, func(x rgU128) rgU128 { return rgBool(x.isNeg()) })
}

// EqzVec sets dst = 1 where a == 0, else 0.
func EqzVec(k int, dst, a Vec) {
	rgMap1(k, dst, a, func(x rgU128) rgU128 { return rgBool(x.isZero()) })
}

// SelVec sets dst = a where c != 0 and b where c == 0, elementwise with
// broadcasting of all three operands.
func SelVec(k int, dst, c, a, b Vec) {
	sc, sa, sb := rgStride(c), rgStride(a), rgStride(b)
	for i := range dst.Lo {
		if rgLoad(k, c, i*sc).isZero() {
			rgStore(k, dst, i, rgLoad(k, b, i*sb))
		} else {
			rgStore(k, dst, i, rgLoad(k, a, i*sa))
		}
	}
}

// SumVec sets the single element of dst to the sum of a mod 2^k (0 for an
// empty a).
func SumVec(k int, dst, a Vec) {
	var s rgU128
	for i := range a.Lo {
		s = s.add(rgLoad(k, a, i))
	}
	rgStore(k, dst, 0, s)
}

// DotVec sets the single element of dst to Σ a_i·b_i mod 2^k, broadcasting a
// length-1 operand.
func DotVec(k int, dst, a, b Vec) {
	n, _ := BroadcastLen(a.Len(), b.Len())
	if a.Len() == 0 || b.Len() == 0 {
		n = 0
	}
	sa, sb := rgStride(a), rgStride(b)
	var s rgU128
	for i := 0; i < n; i++ {
		s = s.add(rgLoad(k, a, i*sa).mul(rgLoad(k, b, i*sb)))
	}
	rgStore(k, dst, 0, s)
}

// FloorDivVec sets dst = floor(a / b) (signed, Python //). A zero divisor
// gives 0: callers that must report it check first. The quotient wraps
// modulo 2^k (min // -1 = min).
func FloorDivVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 {
		if y.isZero() {
			return rgU128{}
		}
		q, _ := x.floorDivMod(y)
		return q
	})
}

// FloorModVec sets dst = a - b·floor(a / b) (Python %: the sign of the
// divisor). A zero divisor gives 0.
func FloorModVec(k int, dst, a, b Vec) {
	rgMap2(k, dst, a, b, func(x, y rgU128) rgU128 {
		if y.isZero() {
			return rgU128{}
		}
		_, r := x.floorDivMod(y)
		return r
	})
}

// PowVec sets dst = a**e mod 2^k, reading the exponent as unsigned (callers
// reject negative exponents first).
func PowVec(k int, dst, a, e Vec) {
	rgMap2(k, dst, a, e, func(x, y rgU128) rgU128 {
		if k == 64 {
			y.hi = 0
		}
		return x.pow(y)
	})
}

// FixDivVec sets dst = floor(a·2^f / b) mod 2^k (signed, computed exactly);
// a zero divisor gives 0.
func FixDivVec(k, f int, dst, a, b Vec) {
	sa, sb := rgStride(a), rgStride(b)
	for i := range dst.Lo {
		x, y := rgLoad(k, a, i*sa), rgLoad(k, b, i*sb)
		if y.isZero() {
			rgStore(k, dst, i, rgU128{})
			continue
		}
		num := ElemBig(k, a, i*sa)
		num.Lsh(num, uint(f))
		den := ElemBig(k, b, i*sb)
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		if r.Sign() != 0 && x.isNeg() != y.isNeg() {
			q.Sub(q, rgBig1)
		}
		SetElemBig(k, dst, i, q)
	}
}

// ExtractWordVec sets the 64-bit words dst to word w of every element of the
// ring vector a: w = 0 is the low 64 bits; w = 1 is bits 64..127 when k = 128
// and the sign extension (all ones for a negative element, else 0) when
// k = 64.
func ExtractWordVec(k int, dst, a Vec, w int) {
	sa := rgStride(a)
	for i := range dst.Lo {
		x := rgLoad(k, a, i*sa)
		if w == 0 {
			dst.Lo[i] = x.lo
		} else {
			dst.Lo[i] = x.hi
		}
	}
}

// WordToRingVec sets the ring vector dst to the 64-bit words a read as
// signed (sign-extended into the ring).
func WordToRingVec(k int, dst, a Vec) {
	sa := rgStride(a)
	for i := range dst.Lo {
		rgStore(k, dst, i, rgFrom64(int64(a.Lo[i*sa])))
	}
}

// ---- kernels on 64-bit words (boolean shares) ----

// ShlWords sets dst = a << m (logical) on 64-bit words, m in [0, 64).
func ShlWords(dst, a Vec, m uint) {
	sa := rgStride(a)
	for i := range dst.Lo {
		dst.Lo[i] = a.Lo[i*sa] << m
	}
}

// ShrWords sets dst = a >> m (logical) on 64-bit words, m in [0, 64).
func ShrWords(dst, a Vec, m uint) {
	sa := rgStride(a)
	for i := range dst.Lo {
		dst.Lo[i] = a.Lo[i*sa] >> m
	}
}

// RotlWords sets dst = a rotated left by m on 64-bit words.
func RotlWords(dst, a Vec, m uint) {
	sa := rgStride(a)
	for i := range dst.Lo {
		dst.Lo[i] = bits.RotateLeft64(a.Lo[i*sa], int(m%64))
	}
}
