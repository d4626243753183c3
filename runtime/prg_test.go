package runtime

import (
	"crypto/cipher"
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
			ref := cipher.NewCTR(p.sub, iv[:])
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
