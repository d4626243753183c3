package commit_test

import (
	"crypto/sha3"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	. "github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// FIPS 202 / NIST example values of SHA3-256.
var fipsVectors = []struct {
	name string
	msg  []byte
	hex  string
}{
	{"empty", nil, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"},
	{"abc", []byte("abc"), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
	{"200xA3", repeat(0xa3, 200), "79f38adec5c20307a98ef76e8324afbfd46cfd81b22e3973c65fa1bd9de31787"},
}

func repeat(b byte, n int) []byte {
	m := make([]byte, n)
	for i := range m {
		m[i] = b
	}
	return m
}

func TestStdlibSHA3MatchesFIPS202(t *testing.T) {
	for _, v := range fipsVectors {
		d := sha3.Sum256(v.msg)
		assert.Equal(t, v.hex, hex.EncodeToString(d[:]), v.name)
	}
}

func TestValueBytes(t *testing.T) {
	cases := []struct {
		v    *big.Int
		want string
	}{
		{big.NewInt(0), "00000000000000000000000000000000"},
		{big.NewInt(1), "01000000000000000000000000000000"},
		{big.NewInt(-1), "ffffffffffffffffffffffffffffffff"},
		{big.NewInt(0x0102), "02010000000000000000000000000000"},
		{big.NewInt(-2), "feffffffffffffffffffffffffffffff"},
		// the 64-bit ring's extremes, sign-extended
		{vm.RingMin(64), "0000000000000080ffffffffffffffff"},
		{vm.RingMax(64), "ffffffffffffff7f0000000000000000"},
		{vm.RingMin(128), "00000000000000000000000000000080"},
		{vm.RingMax(128), "ffffffffffffffffffffffffffffff7f"},
	}
	for _, c := range cases {
		b := ValueBytes(c.v)
		assert.Equal(t, c.want, hex.EncodeToString(b[:]), c.v.String())
	}
	assert.Panics(t, func() { ValueBytes(new(big.Int).Lsh(big.NewInt(1), 127)) })
	assert.Panics(t, func() { ValueBytes(new(big.Int).Sub(vm.RingMin(128), big.NewInt(1))) })
}

func TestComputeLayout(t *testing.T) {
	var nonce [NonceSize]byte
	for i := range nonce {
		nonce[i] = byte(i + 1)
	}
	v := big.NewInt(-1234567)
	// built by hand: nonce, then 16 bytes little-endian two's complement
	msg := append([]byte(nil), nonce[:]...)
	u := uint64(1<<64 - 1234567)
	for i := range 8 {
		msg = append(msg, byte(u>>(8*i)))
	}
	msg = append(msg, repeat(0xff, 8)...)
	require.Len(t, msg, MessageSize)
	assert.Equal(t, sha3.Sum256(msg), Compute(v, nonce))
	m := Message(v, nonce)
	assert.Equal(t, msg, m[:])
	assert.True(t, Verify(v, nonce, Compute(v, nonce)))
	assert.False(t, Verify(big.NewInt(-1234566), nonce, Compute(v, nonce)))
	nonce[31] ^= 0x80
	assert.False(t, Verify(v, nonce, Compute(big.NewInt(-1234567), [NonceSize]byte(msg[:NonceSize]))))
}

func TestWords(t *testing.T) {
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	w := Words(b)
	assert.Equal(t, []uint64{0x0807060504030201, 0x0b0a09}, w)
	assert.Equal(t, b, Bytes(w, len(b)))
	assert.Empty(t, Words(nil))

	vw := ValueWords(big.NewInt(-2))
	assert.Equal(t, [2]uint64{0xfffffffffffffffe, 0xffffffffffffffff}, vw)
	vw = ValueWords(new(big.Int).Lsh(big.NewInt(3), 64))
	assert.Equal(t, [2]uint64{0, 3}, vw)

	r := rand.New(rand.NewPCG(1, 2))
	var d [Size]byte
	for i := range d {
		d[i] = byte(r.Uint32())
	}
	assert.Equal(t, d, DigestFromWords(DigestWords(d)))
	var n [NonceSize]byte
	copy(n[:], d[:])
	nw := NonceWords(n)
	assert.Equal(t, uint64(d[0])|uint64(d[1])<<8, nw[0]&0xffff)
	nc, cc := Cells(n, d)
	assert.Equal(t, WordCell(nw[0]), nc[0])
	assert.Equal(t, WordCell(DigestWords(d)[3]), cc[3])
	assert.Equal(t, "0x00000000000000ff", WordCell(0xff))
}

func TestInRing(t *testing.T) {
	for _, k := range []int{64, 128} {
		require.NoError(t, InRing(vm.RingMin(k), k))
		require.NoError(t, InRing(vm.RingMax(k), k))
		require.Error(t, InRing(new(big.Int).Add(vm.RingMax(k), big.NewInt(1)), k))
		require.Error(t, InRing(new(big.Int).Sub(vm.RingMin(k), big.NewInt(1)), k))
	}
	require.Error(t, InRing(big.NewInt(0), 32))
}

// The cells read back through the CSV parser as exactly the raw values.
func TestCellsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{64, 128} {
		for _, f := range []int{16, 24} {
			if 2*f >= k-8 {
				continue
			}
			vals := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), vm.RingMin(k), vm.RingMax(k)}
			for range 200 {
				x := new(big.Int).SetUint64(r.Uint64())
				if k == 128 {
					x.Lsh(x, 64).Or(x, new(big.Int).SetUint64(r.Uint64()))
				}
				vals = append(vals, x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(k-1))))
			}
			for _, v := range vals {
				got, err := vm.ParseValue(k, f, vm.TSfix, FixCell(v, f))
				require.NoError(t, err)
				require.Equal(t, v.String(), got.String(), "sfix cell %s", FixCell(v, f))
				got, err = vm.ParseValue(k, f, vm.TSint, IntCell(v))
				require.NoError(t, err)
				require.Equal(t, v.String(), got.String())
				raw, err := ParseFix(FixCell(v, f), f)
				require.NoError(t, err)
				require.Equal(t, v.String(), raw.String())
			}
		}
	}
	assert.Equal(t, "0.5", FixCell(big.NewInt(1<<23), 24))
	assert.Equal(t, "-1.25", FixCell(big.NewInt(-5<<22), 24))
	assert.Equal(t, "3", FixCell(big.NewInt(3<<16), 16))
	assert.Equal(t, "0.0000152587890625", FixCell(big.NewInt(1), 16))
}

// FixRaw rounds as the CSV reader does (halves away from zero).
func TestFixRawMatchesReader(t *testing.T) {
	for _, s := range []string{"0", "1.5", "-1.5", "0.00000762939453125", "-0.00000762939453125",
		"123.456", "-987654.321", "0.1", "1e-3", "2.5e6", "+7.25"} {
		for _, f := range []int{16, 24} {
			want, err := vm.ParseValue(128, f, vm.TSfix, s)
			require.NoError(t, err)
			got, err := ParseFix(s, f)
			require.NoError(t, err, s)
			assert.Equal(t, want.String(), got.String(), "%s at F = %d", s, f)
		}
	}
	_, err := ParseFix("1/3", 16)
	assert.Error(t, err)
	_, err = ParseFix("x", 16)
	assert.Error(t, err)
}

func TestNewNonce(t *testing.T) {
	a, err := NewNonce()
	require.NoError(t, err)
	b, err := NewNonce()
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
}
