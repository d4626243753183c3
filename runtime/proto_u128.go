package runtime

// Ring elements and packed bit streams, the raw material of the protocols.
//
// A ring element of Z_2^k is handled as an unsigned 128-bit word (u128);
// for k = 64 only lo matters and every result is stored truncated to 64
// bits, so one code path serves both ring sizes. Messages and PRG output are
// streams of little-endian 64-bit words holding fields packed without
// per-element framing (bitWriter, bitReader).

import (
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// u128 is an element of Z_2^128 (or of Z_2^64 in lo).
type u128 struct{ lo, hi uint64 }

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return u128{lo, a.hi + b.hi + c}
}

func (a u128) sub(b u128) u128 {
	lo, c := bits.Sub64(a.lo, b.lo, 0)
	return u128{lo, a.hi - b.hi - c}
}

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{lo, hi + a.lo*b.hi + a.hi*b.lo}
}

func (a u128) neg() u128 { return u128{}.sub(a) }

func (a u128) isZero() bool { return a.lo|a.hi == 0 }

// shl shifts left by s in [0, 128).
func (a u128) shl(s uint) u128 {
	if s >= 64 {
		return u128{0, a.lo << (s - 64)}
	}
	if s == 0 {
		return a
	}
	return u128{a.lo << s, a.hi<<s | a.lo>>(64-s)}
}

// lshr is the logical right shift by s in [0, 128).
func (a u128) lshr(s uint) u128 {
	if s >= 64 {
		return u128{a.hi >> (s - 64), 0}
	}
	if s == 0 {
		return a
	}
	return u128{a.lo>>s | a.hi<<(64-s), a.hi >> s}
}

// low returns a mod 2^w for w in [0, 128].
func (a u128) low(w uint) u128 {
	switch {
	case w >= 128:
		return a
	case w >= 64:
		return u128{a.lo, a.hi & (1<<(w-64) - 1)}
	default:
		return u128{a.lo & (1<<w - 1), 0}
	}
}

// bit returns bit i (0..127).
func (a u128) bit(i uint) uint64 {
	if i >= 64 {
		return a.hi >> (i - 64) & 1
	}
	return a.lo >> i & 1
}

// ult reports a < b as unsigned 128-bit integers.
func (a u128) ult(b u128) bool {
	if a.hi != b.hi {
		return a.hi < b.hi
	}
	return a.lo < b.lo
}

// udivmod is unsigned 128-bit division; b must not be zero.
func (a u128) udivmod(b u128) (q, r u128) {
	q.lo, q.hi, r.lo, r.hi = vm.DivMod128(a.lo, a.hi, b.lo, b.hi)
	return q, r
}

// ringElem loads element i of the ring vector v (broadcast if v has length
// 1); for k = 64 the high word is 0.
func ringElem(v vm.Vec, i int) u128 {
	if len(v.Lo) == 1 {
		i = 0
	}
	if v.Hi == nil {
		return u128{v.Lo[i], 0}
	}
	return u128{v.Lo[i], v.Hi[i]}
}

// setRingElem stores x mod 2^k into element i of v.
func setRingElem(v vm.Vec, i int, x u128) {
	v.Lo[i] = x.lo
	if v.Hi != nil {
		v.Hi[i] = x.hi
	}
}

// wordElem returns ring element j of interleaved words: kw = k/64 words per
// element, low word first (for kw = 1 the high word is 0).
func wordElem(w []uint64, kw, j int) u128 {
	if kw == 1 {
		return u128{w[j], 0}
	}
	return u128{w[2*j], w[2*j+1]}
}

// setWordElem stores x mod 2^(64·kw) as element j of interleaved words.
func setWordElem(w []uint64, kw, j int, x u128) {
	if kw == 1 {
		w[j] = x.lo
		return
	}
	w[2*j], w[2*j+1] = x.lo, x.hi
}

// signExt returns the k-bit element x read as signed, extended to 128 bits
// (the identity for k = 128).
func signExt(k int, x u128) u128 {
	if k == 64 {
		return u128{x.lo, uint64(int64(x.lo) >> 63)}
	}
	return x
}

// ringBytes is the encoded size of one element of Z_2^k.
func ringBytes(k int) int { return k / 8 }

// ---- packed bit streams ----

// bitWriter appends fields of up to 64 bits to a stream of words. Fields of a
// width that divides 64, written at offsets that are multiples of it, never
// straddle a word; other fields may.
type bitWriter struct {
	w []uint64
	n uint // bits written
}

// put appends the low width bits of v (width in [1, 64]).
func (b *bitWriter) put(v uint64, width uint) {
	if width < 64 {
		v &= 1<<width - 1
	}
	i, s := b.n/64, b.n%64
	b.w[i] |= v << s
	if s+width > 64 {
		b.w[i+1] |= v >> (64 - s)
	}
	b.n += width
}

// bitReader reads fields back from a stream of words.
type bitReader struct {
	w []uint64
	n uint
}

func (b *bitReader) get(width uint) uint64 {
	i, s := b.n/64, b.n%64
	v := b.w[i] >> s
	if s+width > 64 {
		v |= b.w[i+1] << (64 - s)
	}
	b.n += width
	if width < 64 {
		v &= 1<<width - 1
	}
	return v
}

// bytesFor returns the bytes needed for nbits bits.
func bytesFor(nbits int) int { return (nbits + 7) / 8 }

// wordsFor returns the 64-bit words needed for nbits bits.
func wordsFor(nbits int) int { return (nbits + 63) / 64 }
