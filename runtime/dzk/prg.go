package dzk

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
)

// Key is a 128-bit pairwise PRG key.
type Key [16]byte

// stream is AES-128-CTR keystream under a key, with a label as IV so that
// the purposes drawn from one key never share keystream.
type stream struct {
	s   cipher.Stream
	buf [16 << 10]byte
	n   int // unread bytes at the end of buf
}

func newStream(k Key, label string, batch uint64) *stream {
	blk, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // 16-byte keys cannot fail
	}
	// IV = label (4 bytes) ‖ batch (8 bytes) ‖ 32-bit block counter, so
	// one stream holds up to 2^32 blocks (64 GiB) and never overlaps another.
	var iv [16]byte
	copy(iv[:4], label)
	binary.LittleEndian.PutUint64(iv[4:12], batch)
	return &stream{s: cipher.NewCTR(blk, iv[:])}
}

// fill sets b to the next len(b) keystream bytes.
func (s *stream) fill(b []byte) {
	for len(b) > 0 {
		if s.n == 0 {
			clear(s.buf[:])
			s.s.XORKeyStream(s.buf[:], s.buf[:])
			s.n = len(s.buf)
		}
		c := copy(b, s.buf[len(s.buf)-s.n:])
		s.n -= c
		b = b[c:]
	}
}

func (s *stream) u64() uint64 {
	var b [8]byte
	s.fill(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

// words fills w with keystream words.
func (s *stream) words(w []uint64) {
	var b [8 * 256]byte
	for len(w) > 0 {
		n := min(len(w), 256)
		s.fill(b[:8*n])
		for i := range n {
			w[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
		w = w[n:]
	}
}

// elem returns a uniform element of GR(2^128, D).
func (s *stream) elem() Elem {
	var e Elem
	var w [2 * D]uint64
	s.words(w[:])
	for i := range D {
		e[i] = U128{w[2*i], w[2*i+1]}
	}
	return e
}

// challenge returns a uniform element of S \ {0, 1} as a bit mask.
func (s *stream) challenge() uint64 {
	for {
		if r := s.u64() & (1<<D - 1); r > 1 {
			return r
		}
	}
}
