// Package commit is the clear-text side of the input-authenticity check
// (ARCHITECTURE.md §5): the commitment a notary attests, computed the way the
// `commit` module of the .mpcs standard library (stdlib/commit.mpcs)
// recomputes it on secret shares. The notary, the provider client and the
// tests all use this package, so they agree with the MPC side on the bytes by
// construction.
//
// # Layout
//
//	commitment = SHA3-256(nonce ‖ value)                      (FIPS 202, 32 bytes)
//	nonce      = 32 random bytes chosen by the provider
//	value      = 16 bytes: the provider's number at the column's scale as a
//	             little-endian two's-complement integer
//
// "At the column's scale" means the raw ring integer the parties hold: x for
// an sint column, round(x·2^F) (halves away from zero, as the CSV reader and
// the compiler round) for an sfix column with F fractional bits. The value is
// always encoded in 16 bytes; in the 64-bit ring it is sign-extended (a
// negative value has eight 0xff bytes on top), so a commitment does not depend
// on the ring as long as the value fits both.
//
// The hashed message is 48 bytes: one SHA3-256 block (rate 136 bytes).
//
// # Words
//
// Inside MPC every quantity is a tuple of 64-bit words under XOR sharing
// (sbits), little-endian: byte i of a byte string is bits 8·(i mod 8) to
// 8·(i mod 8)+7 of word i/8. The nonce is four words (NonceWords), the value
// two (ValueWords: the low and high 64 bits of the 128-bit two's complement,
// which is what sbits(x) and sbits(x, 1) give in the .mpcs program), the
// digest and commitment four (DigestWords). In a CSV dataset a word is a cell
// "0x" followed by 16 hex digits (WordCell), the value a decimal cell
// (IntCell for sint, FixCell for sfix, both exact).
package commit

import (
	"crypto/rand"
	"crypto/sha3"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Sizes of the parts, in bytes.
const (
	NonceSize   = 32                    // the provider's random nonce
	ValueSize   = 16                    // the value, two's complement
	MessageSize = NonceSize + ValueSize // the hashed message
	Size        = 32                    // the commitment (SHA3-256 digest)
	ValueBits   = 8 * ValueSize         // 128
)

var (
	two128 = new(big.Int).Lsh(big.NewInt(1), ValueBits)
	min128 = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), ValueBits-1))
	max128 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), ValueBits-1), big.NewInt(1))
)

// ValueBytes returns the 16-byte little-endian two's-complement encoding of
// value, which must lie in [−2^127, 2^127) (checked by InRing); outside it
// ValueBytes panics. A value of the 64-bit ring comes out sign-extended.
func ValueBytes(value *big.Int) [ValueSize]byte {
	if value.Cmp(min128) < 0 || value.Cmp(max128) > 0 {
		panic(fmt.Sprintf("commit: value %s does not fit in 16 bytes of two's complement", value))
	}
	u := new(big.Int).Set(value)
	if u.Sign() < 0 {
		u.Add(u, two128)
	}
	var be [ValueSize]byte
	u.FillBytes(be[:])
	var le [ValueSize]byte
	for i := range be {
		le[i] = be[ValueSize-1-i]
	}
	return le
}

// InRing reports an error unless value is an element of the signed ring
// Z_2^k (k = 64 or 128): −2^(k−1) ≤ value < 2^(k−1).
func InRing(value *big.Int, k int) error {
	if k != 64 && k != 128 {
		return fmt.Errorf("commit: ring size must be 64 or 128, not %d", k)
	}
	lim := new(big.Int).Lsh(big.NewInt(1), uint(k-1))
	if value.Cmp(new(big.Int).Neg(lim)) < 0 || value.Cmp(lim) >= 0 {
		return fmt.Errorf("commit: value %s is outside the %d-bit ring", value, k)
	}
	return nil
}

// Message returns the hashed bytes, nonce ‖ value.
func Message(value *big.Int, nonce [NonceSize]byte) [MessageSize]byte {
	var m [MessageSize]byte
	copy(m[:NonceSize], nonce[:])
	v := ValueBytes(value)
	copy(m[NonceSize:], v[:])
	return m
}

// Compute returns the commitment SHA3-256(nonce ‖ value) for the raw value
// (the ring integer at the column's scale; see the package comment).
func Compute(value *big.Int, nonce [NonceSize]byte) [Size]byte {
	m := Message(value, nonce)
	return sha3.Sum256(m[:])
}

// Verify reports whether commitment is the commitment of value and nonce
// (in constant time in the commitment).
func Verify(value *big.Int, nonce [NonceSize]byte, commitment [Size]byte) bool {
	c := Compute(value, nonce)
	return subtle.ConstantTimeCompare(c[:], commitment[:]) == 1
}

// NewNonce draws a fresh nonce from crypto/rand.
func NewNonce() ([NonceSize]byte, error) {
	var n [NonceSize]byte
	_, err := rand.Read(n[:])
	return n, err
}

// Words splits b into little-endian 64-bit words, the last one padded with
// zero bytes: the form in which sha3_256 of the .mpcs module takes a message
// of len(b) bytes.
func Words(b []byte) []uint64 {
	w := make([]uint64, (len(b)+7)/8)
	for i := range w {
		var buf [8]byte
		copy(buf[:], b[8*i:])
		w[i] = binary.LittleEndian.Uint64(buf[:])
	}
	return w
}

// Bytes is the inverse of Words: the first n bytes of the little-endian words.
func Bytes(w []uint64, n int) []byte {
	b := make([]byte, 8*len(w))
	for i, x := range w {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
	return b[:n]
}

// NonceWords returns the nonce as the four words of the nonce columns.
func NonceWords(nonce [NonceSize]byte) [4]uint64 {
	return [4]uint64(Words(nonce[:]))
}

// ValueWords returns the value as two words: the low and the high 64 bits of
// its 128-bit two's complement (what sbits(x) and sbits(x, 1) give inside
// MPC, in either ring).
func ValueWords(value *big.Int) [2]uint64 {
	v := ValueBytes(value)
	return [2]uint64(Words(v[:]))
}

// DigestWords returns a digest or commitment as the four words of the
// commitment columns (and of the tuple sha3_256 returns).
func DigestWords(d [Size]byte) [4]uint64 {
	return [4]uint64(Words(d[:]))
}

// DigestFromWords is the inverse of DigestWords.
func DigestFromWords(w [4]uint64) [Size]byte {
	return [Size]byte(Bytes(w[:], Size))
}

// WordCell formats a word as a CSV cell of an sbits column: "0x" and 16 hex
// digits.
func WordCell(w uint64) string { return fmt.Sprintf("0x%016x", w) }

// IntCell formats a raw value as a CSV cell of an sint column (decimal).
func IntCell(raw *big.Int) string { return raw.String() }

// FixCell formats a raw value as a CSV cell of an sfix column with frac
// fractional bits: the exact decimal raw/2^frac, which the CSV reader turns
// back into raw without rounding.
func FixCell(raw *big.Int, frac int) string {
	if frac < 0 {
		panic("commit: negative fractional bits")
	}
	// raw / 2^f = raw·5^f / 10^f
	a := new(big.Int).Abs(raw)
	a.Mul(a, new(big.Int).Exp(big.NewInt(5), big.NewInt(int64(frac)), nil))
	s := a.String()
	if len(s) <= frac {
		s = strings.Repeat("0", frac-len(s)+1) + s
	}
	intPart, fracPart := s[:len(s)-frac], strings.TrimRight(s[len(s)-frac:], "0")
	out := intPart
	if fracPart != "" {
		out += "." + fracPart
	}
	if raw.Sign() < 0 {
		out = "-" + out
	}
	return out
}

// FixRaw returns the raw value of x in a column with frac fractional bits:
// round(x·2^frac), halves away from zero — the rounding of the CSV reader and
// of the compiler, so the notary commits to the same integer the parties
// hold.
func FixRaw(x *big.Rat, frac int) *big.Int {
	num := new(big.Int).Lsh(new(big.Int).Abs(x.Num()), uint(frac))
	q, rem := new(big.Int).QuoRem(num, x.Denom(), new(big.Int))
	if rem.Lsh(rem, 1).Cmp(x.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if x.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// ParseFix parses a decimal number (as in an sfix CSV cell) and returns its
// raw value with frac fractional bits (FixRaw).
func ParseFix(s string, frac int) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	if !ok || strings.ContainsAny(s, "/") {
		return nil, errors.New("commit: bad decimal number " + fmt.Sprintf("%q", s))
	}
	return FixRaw(r, frac), nil
}

// Cells returns the CSV cells of one row of a checked dataset: the four
// nonce words and the four commitment words (value's own cell is IntCell or
// FixCell, by the column's type).
func Cells(nonce [NonceSize]byte, commitment [Size]byte) (nonceCells, commitCells [4]string) {
	nw, cw := NonceWords(nonce), DigestWords(commitment)
	for i := range 4 {
		nonceCells[i] = WordCell(nw[i])
		commitCells[i] = WordCell(cw[i])
	}
	return nonceCells, commitCells
}
