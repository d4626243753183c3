package runtime

// Correlated randomness: pairwise AES-CTR pseudorandom generators.
//
// At session set-up party i draws a 128-bit key k_{i,i+1} with crypto/rand
// and sends it to party i+1 over the session (the transport is mutually
// authenticated TLS), so every party holds the key it shares with its next
// party and the key it shares with its previous one; the third key is
// unknown to it. From each key, streams for separate purposes are derived
// (one AES subkey per purpose, the AES encryption of a purpose label under
// the session key, and a zero counter), so a zero sharing, a mask and a
// random bit never reuse keystream:
//
//	prgZero  zero sharings (the re-randomisation of multiplications)
//	prgRand  masks of ring elements and random arithmetic sharings
//	prgBits  masks of boolean values and random boolean sharings
//
// Both holders of a key draw from its streams in the same order and amounts;
// every protocol is written so that this holds, which is what makes random
// sharings and zero sharings cost no communication.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// PRG purposes (domain separation).
const (
	prgZero = iota
	prgRand
	prgBits
	numPRGPurposes
)

// prgKeyLen is the length of a pairwise key in bytes (AES-128).
const prgKeyLen = 16

// prg is one AES-CTR keystream.
type prg struct {
	s       cipher.Stream
	scratch []byte
}

// prgChunk bounds the scratch buffer of a stream.
const prgChunk = 16 << 10

// newPRG returns the keystream of key for purpose.
func newPRG(key []byte, purpose byte) (*prg, error) {
	master, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	// Subkey for this purpose: AES_key("mpcs prg" ‖ 0… ‖ purpose).
	var label, sub [16]byte
	copy(label[:], "mpcs prg")
	label[15] = purpose
	master.Encrypt(sub[:], label[:])
	blk, err := aes.NewCipher(sub[:])
	if err != nil {
		return nil, err
	}
	var iv [16]byte
	return &prg{s: cipher.NewCTR(blk, iv[:])}, nil
}

// read fills dst with keystream.
func (g *prg) read(dst []byte) {
	clear(dst)
	g.s.XORKeyStream(dst, dst)
}

// words fills dst with keystream read as little-endian words.
func (g *prg) words(dst []uint64) {
	if g.scratch == nil {
		g.scratch = make([]byte, prgChunk)
	}
	for len(dst) > 0 {
		n := min(len(dst), prgChunk/8)
		b := g.scratch[:8*n]
		g.read(b)
		for i := range n {
			dst[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
		dst = dst[n:]
	}
}

// xor XORs keystream into b in place.
func (g *prg) xor(b []byte) { g.s.XORKeyStream(b, b) }

// bytesWords reads nbytes bytes of keystream and returns them as
// little-endian words (the last one zero-padded).
func (g *prg) bytesWords(nbytes int) []uint64 {
	w := make([]uint64, (nbytes+7)/8)
	full := nbytes / 8
	g.words(w[:full])
	if r := nbytes % 8; r != 0 {
		var t [8]byte
		g.read(t[:r])
		w[full] = binary.LittleEndian.Uint64(t[:])
	}
	return w
}

// wordSlice returns n fresh keystream words.
func (g *prg) wordSlice(n int) []uint64 {
	w := make([]uint64, n)
	g.words(w)
	return w
}

// pairPRG holds the streams of one pairwise key.
type pairPRG struct {
	g [numPRGPurposes]*prg
}

func newPairPRG(key []byte) (*pairPRG, error) {
	if len(key) != prgKeyLen {
		return nil, fmt.Errorf("pairwise key of %d bytes, want %d", len(key), prgKeyLen)
	}
	var p pairPRG
	for i := range p.g {
		g, err := newPRG(key, byte(i))
		if err != nil {
			return nil, err
		}
		p.g[i] = g
	}
	return &p, nil
}

// newPRGKey draws a fresh pairwise key.
func newPRGKey() ([]byte, error) {
	k := make([]byte, prgKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("drawing a PRG key: %w", err)
	}
	return k, nil
}
