package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveTranspose is the reference: bit i of out[j] = bit j of in[i].
func naiveTranspose(in [64]uint64) (out [64]uint64) {
	for i := range 64 {
		for j := range 64 {
			out[j] |= (in[i] >> j & 1) << i
		}
	}
	return out
}

func TestTranspose64(t *testing.T) {
	rng := testRNG(11)
	for range 50 {
		var a [64]uint64
		for i := range a {
			a[i] = rng.Uint64()
		}
		want := naiveTranspose(a)
		got := a
		transpose64(&got)
		require.Equal(t, want, got)
		for L := 1; L <= 64; L++ {
			got := a
			transposeLow(&got, L)
			require.Equal(t, want[:L], got[:L], "L = %d", L)
		}
	}
}

func FuzzTransposeLow(f *testing.F) {
	f.Add(uint64(1), uint64(2), 5)
	f.Fuzz(func(t *testing.T, s1, s2 uint64, L int) {
		L = 1 + (L%64+64)%64
		rng := testRNG(s1 ^ s2<<1)
		var a [64]uint64
		for i := range a {
			a[i] = rng.Uint64() >> (s2 % 64)
		}
		want := naiveTranspose(a)
		got := a
		transposeLow(&got, L)
		if !equalPrefix(want[:], got[:], L) {
			t.Fatalf("L = %d: transposeLow differs", L)
		}
	})
}

func equalPrefix(a, b []uint64, n int) bool {
	for i := range n {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSegments(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 128, 191, 192, 193, 1000, 64 * 7} {
		s := segmentsOf(n)
		require.Equal(t, 0, s[0].lo)
		require.Equal(t, n, s[2].hi)
		for i := range 3 {
			require.LessOrEqual(t, s[i].lo, s[i].hi)
			if i > 0 {
				require.Equal(t, s[i-1].hi, s[i].lo)
				require.Equal(t, s[i-1].b1, s[i].b0)
			}
			require.Equal(t, s[i].lo, min(64*s[i].b0, n))
		}
		require.Equal(t, (n+63)/64, s[2].b1)
	}
}

func TestBlocksWire(t *testing.T) {
	rng := testRNG(12)
	for _, nb := range []int{1, 2, 5} {
		for _, per := range []int{1, 3, 15} {
			for _, r := range []int{1, 7, 63, 64} {
				w := make([]uint64, nb*per)
				for i := range w {
					w[i] = rng.Uint64()
				}
				b := make([]byte, blockBytes(nb, per, r))
				putBlocks(b, w, nb, per, r)
				got := make([]uint64, nb*per)
				getBlocks(got, b, nb, per, r)
				for i := range w {
					want := w[i]
					if i >= (nb-1)*per {
						want &= laneMask(r)
					}
					require.Equal(t, want, got[i])
				}
				// packedBlocks agrees with putBlocks
				o := newOutWords(nb * per)
				copy(o.w, w)
				require.Equal(t, b, packedBlocks(&o, nb, per, r))
			}
		}
	}
}

func TestBufPool(t *testing.T) {
	for _, n := range []int{1, 511, 512, 513, 4096, 5000, 1 << 20, 3<<20 + 7} {
		w := getBuf(n)
		require.Len(t, w, n)
		require.GreaterOrEqual(t, cap(w), n)
		if n >= poolMinWords {
			require.Equal(t, poolSize(n), cap(w), "n = %d", n)
			if n > 1<<12 {
				require.LessOrEqual(t, cap(w), n+n/8+1, "at most an eighth more")
			}
		}
		for i := range w {
			w[i] = uint64(i)
		}
		putBuf(w)
		v := getBuf(n) // contents arbitrary, length right
		require.Len(t, v, n)
		putBuf(v)
	}
	b := getMsgBuf(1001)
	require.Len(t, b, 1001)
	require.True(t, aligned8(b))
	releaseMsg(b)
	releaseMsg(make([]byte, 77)) // a foreign buffer is ignored or taken, never an error
}
