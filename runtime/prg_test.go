package runtime

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/vm"
)

// TestNumberedStreams holds the numbered streams, on every kernel path,
// equal to the standard library's AES-CTR with the documented initial
// counter block, whatever the sizes of the reads.
func TestNumberedStreams(t *testing.T) {
	rng := testRNG(31)
	for _, path := range vm.AvailableKernels() {
		restore, err := vm.UseKernels(path)
		require.NoError(t, err)
		for trial := range 20 {
			var key [16]byte
			binary.LittleEndian.PutUint64(key[:], rng.Uint64())
			binary.LittleEndian.PutUint64(key[8:], rng.Uint64())
			p, err := newPairPRG(key[:])
			require.NoError(t, err)
			call, sub := rng.Uint64(), uint32(rng.IntN(1<<20))
			ks := p.stream(call, sub)
			var iv [16]byte
			binary.BigEndian.PutUint64(iv[:8], call)
			binary.BigEndian.PutUint32(iv[8:12], sub)
			ref := cipher.NewCTR(p.sub.blk, iv[:])
			for range 12 {
				n := rng.IntN(3000)
				if trial%3 == 0 {
					n = 8 * rng.IntN(100) // word reads
				}
				got := make([]byte, n)
				want := make([]byte, n)
				if n%8 == 0 && rng.IntN(2) == 0 {
					w := make([]uint64, n/8)
					ks.words(w)
					putWords(got, w)
				} else {
					ks.fill(got)
				}
				ref.XORKeyStream(want, want)
				require.Equal(t, want, got, "path %s, read of %d", path, n)
			}
			// xorWords
			src := make([]uint64, 300)
			for i := range src {
				src[i] = rng.Uint64()
			}
			dst := make([]uint64, len(src))
			ks.xorWords(dst, src)
			want := make([]byte, 8*len(src))
			putWords(want, src)
			ref.XORKeyStream(want, want)
			got := make([]byte, 8*len(dst))
			putWords(got, dst)
			require.Equal(t, want, got, "xorWords on %s", path)
		}
		restore()
	}
}

// BenchmarkNumberedStream measures the keystream rate of each kernel path.
func BenchmarkNumberedStream(b *testing.B) {
	for _, path := range vm.AvailableKernels() {
		b.Run(path, func(b *testing.B) {
			restore, err := vm.UseKernels(path)
			if err != nil {
				b.Fatal(err)
			}
			defer restore()
			p, _ := newPairPRG(make([]byte, 16))
			ks := p.stream(1, 2)
			w := make([]uint64, 2048)
			b.SetBytes(8 * int64(len(w)))
			for b.Loop() {
				ks.words(w)
			}
		})
	}
}

// ctrPaths are the keystream implementations to test: the standard
// library's (nil) and every VAES kernel of this build and CPU.
func ctrPaths() []*ctrKernel { return append([]*ctrKernel{nil}, ctrKernels()...) }

func ctrPathName(c *ctrKernel) string {
	if c == nil {
		return "stdlib"
	}
	return c.name
}

// streamAt returns a stream of key on kernel kern (nil: the standard
// library) from the counter block iv.
func streamAt(t testing.TB, key []byte, kern *ctrKernel, iv [16]byte) *keyStream {
	ck, err := newCTRKey(key)
	require.NoError(t, err)
	if kern == nil {
		return &keyStream{s: cipher.NewCTR(ck.blk, iv[:])}
	}
	return &keyStream{key: ck, kern: kern, hi: binary.BigEndian.Uint64(iv[:8]), lo: binary.BigEndian.Uint64(iv[8:])}
}

// checkCTR reads the stream of (key, iv) on every path in reads of the
// given sizes (fill, words, xorWords, in place or not) and holds it equal
// to cipher.NewCTR's.
func checkCTR(t *testing.T, key []byte, iv [16]byte, sizes []int, how []int) {
	t.Helper()
	blk, err := aes.NewCipher(key)
	require.NoError(t, err)
	total := 0
	for _, n := range sizes {
		total += n
	}
	want := make([]byte, total)
	cipher.NewCTR(blk, iv[:]).XORKeyStream(want, want)
	for _, kern := range ctrPaths() {
		ks := streamAt(t, key, kern, iv)
		off := 0
		for j, n := range sizes {
			got := make([]byte, n)
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(3*i + j)
			}
			exp := make([]byte, n)
			switch how[j] % 4 {
			case 0:
				ks.fill(got)
				copy(exp, want[off:off+n])
			case 1: // xor into a copy
				if kern == nil {
					ks.s.XORKeyStream(got, src)
				} else {
					ks.xorBytes(got, src)
				}
				subtle.XORBytes(exp, want[off:off+n], src)
			case 2: // xor in place
				copy(got, src)
				if kern == nil {
					ks.s.XORKeyStream(got, got)
				} else {
					ks.xorBytes(got, got)
				}
				subtle.XORBytes(exp, want[off:off+n], src)
			default: // words
				w := make([]uint64, n/8)
				ks.words(w)
				putWords(got, w)
				ks.fill(got[8*len(w):])
				copy(exp, want[off:off+n])
			}
			require.Equal(t, exp, got, "path %s, iv %x, read %d of %d bytes (mode %d)", ctrPathName(kern), iv, j, n, how[j]%4)
			off += n
		}
	}
}

// TestCTRKernels holds every keystream kernel equal to crypto/cipher's
// AES-CTR on random keys, IVs and read lengths, with counters that carry
// across the 32-bit and 64-bit boundaries (and wrap 2^128).
func TestCTRKernels(t *testing.T) {
	rng := testRNG(77)
	t.Logf("kernels: %d (besides the standard library)", len(ctrKernels()))
	for trial := range 300 {
		key := make([]byte, 16)
		for i := range key {
			key[i] = byte(rng.Uint64())
		}
		var iv [16]byte
		hi, lo := rng.Uint64(), rng.Uint64()
		switch trial % 6 {
		case 1: // carry across 32 bits
			lo = lo&^0xffffffff | uint64(0xffffffff-rng.IntN(70))
		case 2: // carry across 64 bits
			lo = ^uint64(rng.IntN(70))
		case 3: // wrap of the whole counter
			hi, lo = ^uint64(0), ^uint64(rng.IntN(70))
		case 4: // the numbered streams' IVs
			lo = uint64(rng.Uint32()) << 32
		case 5: // a block or three before the wrap
			lo = ^uint64(rng.IntN(4))
		}
		binary.BigEndian.PutUint64(iv[:8], hi)
		binary.BigEndian.PutUint64(iv[8:], lo)
		var sizes, how []int
		for range 1 + rng.IntN(8) {
			n := rng.IntN(600)
			switch rng.IntN(4) {
			case 0:
				n = 16 * rng.IntN(100)
			case 1:
				n = 64 * rng.IntN(300)
			}
			sizes = append(sizes, n)
			how = append(how, rng.IntN(4))
		}
		checkCTR(t, key, iv, sizes, how)
	}
}

// TestExpandKey128 holds the key schedule to FIPS 197's example (Appendix
// A.1) and the S-box to its first and last entries.
func TestExpandKey128(t *testing.T) {
	key := []byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	rk := expandKey128(key)
	require.Equal(t, []byte{0xd0, 0x14, 0xf9, 0xa8, 0xc9, 0xee, 0x25, 0x89, 0xe1, 0x3f, 0x0c, 0xc8, 0xb6, 0x63, 0x0c, 0xa6}, rk[160:])
	require.Equal(t, byte(0x63), sbox[0])
	require.Equal(t, byte(0x7c), sbox[1])
	require.Equal(t, byte(0x16), sbox[255])
}

// FuzzCTRKernels: any key, IV and reads, every path equal to crypto/cipher.
func FuzzCTRKernels(f *testing.F) {
	f.Add(make([]byte, 16), uint64(0), uint64(0), []byte{64, 3, 200})
	f.Add([]byte("0123456789abcdef"), uint64(1), ^uint64(2), []byte{255, 1, 17, 128})
	f.Add([]byte("fedcba9876543210"), ^uint64(0), uint64(0xfffffff0), []byte{7, 250, 250})
	f.Fuzz(func(t *testing.T, key []byte, hi, lo uint64, reads []byte) {
		if len(key) != 16 || len(reads) > 32 {
			t.Skip()
		}
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:8], hi)
		binary.BigEndian.PutUint64(iv[8:], lo)
		var sizes, how []int
		for _, r := range reads {
			sizes = append(sizes, 4*int(r>>2)+int(r&3)*int(r>>6))
			how = append(how, int(r))
		}
		checkCTR(t, key, iv, sizes, how)
	})
}

// BenchmarkCTR measures the keystream rate of each implementation (fill of
// 32 KiB, the size the protocols read at a time).
func BenchmarkCTR(b *testing.B) {
	for _, kern := range ctrPaths() {
		b.Run(ctrPathName(kern), func(b *testing.B) {
			ks := streamAt(b, make([]byte, 16), kern, [16]byte{})
			buf := make([]byte, 32<<10)
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				ks.fill(buf)
			}
		})
	}
}
