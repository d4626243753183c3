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
//	prgSub   the numbered streams of the bulk protocols (below)
//
// The bulk protocols (comparisons, truncation, multiplication) read
// numbered streams instead of the sequential ones: stream (call, sub) is
// AES-CTR under the prgSub subkey with the initial counter block
// call ‖ sub ‖ 0 (64, 32 and 32 bits). call numbers the protocol
// invocations of the session (every party counts them alike), sub the
// purpose within one invocation, so the order in which a party draws from
// different streams does not matter, only the amount it draws from each.
// Streams never overlap: one stream holds at most 2^32 blocks (64 GiB).
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

// prgSub is the purpose label of the numbered streams (no sequential
// stream uses it).
const (
	prgSub = numPRGPurposes
)

// prgKeyLen is the length of a pairwise key in bytes (AES-128).
const prgKeyLen = 16

// pairPRG holds the streams of one pairwise key.
type pairPRG struct {
	g   [numPRGPurposes]*keyStream // the sequential streams
	sub cipher.Block               // the prgSub subkey's cipher, for numbered streams
}

func newPairPRG(key []byte) (*pairPRG, error) {
	if len(key) != prgKeyLen {
		return nil, fmt.Errorf("pairwise key of %d bytes, want %d", len(key), prgKeyLen)
	}
	master, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	var p pairPRG
	for i := range p.g {
		blk, err := subkey(master, byte(i))
		if err != nil {
			return nil, err
		}
		p.g[i] = newKeyStream(blk, 0, 0)
	}
	if p.sub, err = subkey(master, prgSub); err != nil {
		return nil, err
	}
	return &p, nil
}

// subkey returns the cipher of the subkey for purpose:
// AES_key("mpcs prg" ‖ 0… ‖ purpose).
func subkey(master cipher.Block, purpose byte) (cipher.Block, error) {
	var label, sub [16]byte
	copy(label[:], "mpcs prg")
	label[15] = purpose
	master.Encrypt(sub[:], label[:])
	return aes.NewCipher(sub[:])
}

// stream returns the numbered stream (call, sub) of this key: AES-CTR under
// the subkey with the IV (call, sub, 0).
func (p *pairPRG) stream(call uint64, sub uint32) *keyStream {
	return newKeyStream(p.sub, call, sub)
}

// keyStream is a stream being read: a numbered one, or a sequential one
// (the IV (0, 0, 0) under its purpose's subkey). It is the standard
// library's AES-CTR, which uses the CPU's AES instructions.
type keyStream struct {
	s       cipher.Stream
	scratch []byte // big-endian machines only
}

func newKeyStream(blk cipher.Block, call uint64, sub uint32) *keyStream {
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[:8], call)
	binary.BigEndian.PutUint32(iv[8:12], sub)
	return &keyStream{s: cipher.NewCTR(blk, iv[:])}
}

// zeroBytes is what keystream is XORed into to read it plainly.
var zeroBytes [16 << 10]byte

// fill sets b to the next len(b) bytes of keystream.
func (k *keyStream) fill(b []byte) {
	for len(b) > 0 {
		n := min(len(b), len(zeroBytes))
		k.s.XORKeyStream(b[:n], zeroBytes[:n])
		b = b[n:]
	}
}

// words sets w to the next len(w) keystream words (little-endian).
func (k *keyStream) words(w []uint64) {
	if b := byteView(w); b != nil {
		k.fill(b)
		return
	}
	for len(w) > 0 {
		n := min(len(w), 2048)
		if k.scratch == nil {
			k.scratch = make([]byte, 8*2048)
		}
		b := k.scratch[:8*n]
		k.fill(b)
		getWords(w[:n], b)
		w = w[n:]
	}
}

// wordSlice returns n fresh keystream words.
func (k *keyStream) wordSlice(n int) []uint64 {
	w := make([]uint64, n)
	k.words(w)
	return w
}

// xorWords sets dst = src ⊕ keystream, as words.
func (k *keyStream) xorWords(dst, src []uint64) {
	if b := byteView(dst); b != nil {
		k.s.XORKeyStream(b, byteView(src))
		return
	}
	t := make([]uint64, len(src))
	k.words(t)
	for i := range t {
		dst[i] = src[i] ^ t[i]
	}
}

// newPRGKey draws a fresh pairwise key.
func newPRGKey() ([]byte, error) {
	k := make([]byte, prgKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("drawing a PRG key: %w", err)
	}
	return k, nil
}
