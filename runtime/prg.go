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
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/mpcs/mpcs/vm"
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
	sub *ctrKey                    // the prgSub subkey, for numbered streams
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
		ck, err := subkey(master, byte(i))
		if err != nil {
			return nil, err
		}
		p.g[i] = ck.stream(0, 0)
	}
	if p.sub, err = subkey(master, prgSub); err != nil {
		return nil, err
	}
	return &p, nil
}

// subkey returns the subkey for purpose: AES_key("mpcs prg" ‖ 0… ‖ purpose).
func subkey(master cipher.Block, purpose byte) (*ctrKey, error) {
	var label, sub [16]byte
	copy(label[:], "mpcs prg")
	label[15] = purpose
	master.Encrypt(sub[:], label[:])
	return newCTRKey(sub[:])
}

// stream returns the numbered stream (call, sub) of this key: AES-CTR under
// the subkey with the IV (call, sub, 0).
func (p *pairPRG) stream(call uint64, sub uint32) *keyStream {
	return p.sub.stream(call, sub)
}

// ctrKey is an AES-128 key of keystreams: the standard library's cipher
// and the expanded key schedule the VAES kernels read (prg_amd64.s).
type ctrKey struct {
	blk  cipher.Block
	rk   [11 * 16]byte // the round keys
	rk2  [11 * 32]byte // every round key twice (the 256-bit kernels' operands)
	kern *ctrKernel    // the kernel path chosen when the key was made (nil: none)
}

func newCTRKey(key []byte) (*ctrKey, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	ck := &ctrKey{blk: blk, rk: expandKey128(key), kern: ctrKernelFor(vm.KernelsInUse())}
	for r := range 11 {
		copy(ck.rk2[32*r:], ck.rk[16*r:16*r+16])
		copy(ck.rk2[32*r+16:], ck.rk[16*r:16*r+16])
	}
	return ck, nil
}

// stream returns the stream of the IV (call, sub, 0) under this key: the
// VAES kernel of the key's path, or the standard library's AES-CTR.
func (ck *ctrKey) stream(call uint64, sub uint32) *keyStream {
	if ck.kern == nil {
		return newKeyStream(ck.blk, call, sub)
	}
	return &keyStream{key: ck, kern: ck.kern, hi: call, lo: uint64(sub) << 32}
}

// keyStream is a stream being read: a numbered one, or a sequential one
// (the IV (0, 0, 0) under its purpose's subkey). Both implementations give
// the keystream of the standard library's cipher.NewCTR(block, IV): the
// AES encryptions of the counter blocks IV, IV+1, … (a 128-bit big-endian
// integer).
type keyStream struct {
	s cipher.Stream // the standard library's AES-CTR (kern == nil)

	// the VAES kernels (prg_amd64.s)
	key    *ctrKey
	kern   *ctrKernel
	hi, lo uint64   // the next counter block
	buf    [16]byte // the last block generated,
	bufN   int      // of which the last bufN bytes are unread

	scratch []byte // big-endian machines only
}

// newKeyStream returns the standard library's AES-CTR stream of blk with
// the IV (call, sub, 0).
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
	if k.kern == nil {
		for len(b) > 0 {
			n := min(len(b), len(zeroBytes))
			k.s.XORKeyStream(b[:n], zeroBytes[:n])
			b = b[n:]
		}
		return
	}
	k.xorBytes(b, nil)
}

// xorBytes sets dst = src ⊕ keystream, or dst = keystream if src is nil
// (the kernel path). dst and src are equal or do not overlap.
func (k *keyStream) xorBytes(dst, src []byte) {
	if k.bufN > 0 {
		n := min(len(dst), k.bufN)
		if left := k.buf[16-k.bufN:][:n]; src != nil {
			subtle.XORBytes(dst[:n], left, src[:n])
			src = src[n:]
		} else {
			copy(dst, left)
		}
		k.bufN -= n
		dst = dst[n:]
	}
	if whole := len(dst) &^ 15; whole > 0 {
		var s []byte
		if src != nil {
			s, src = src[:whole], src[whole:]
		}
		k.blocks(dst[:whole], s)
		dst = dst[whole:]
	}
	if len(dst) > 0 {
		k.blocks(k.buf[:], nil)
		n := len(dst)
		if src != nil {
			subtle.XORBytes(dst, k.buf[:n], src[:n])
		} else {
			copy(dst, k.buf[:n])
		}
		k.bufN = 16 - n
	}
}

// blocks sets dst (whole blocks) to the next keystream blocks, XORed into
// src unless src is nil.
func (k *keyStream) blocks(dst, src []byte) {
	vec := uint64(k.kern.vec)
	for len(dst) > 0 {
		nb := uint64(len(dst) / 16)
		// blocks before the low counter word wraps (0: 2^64)
		if room := -k.lo; room != 0 && nb > room {
			nb = room
		}
		if whole := nb &^ (vec - 1); whole > 0 {
			nb = whole
			k.kern.run(k.key, dst[:16*nb], src, k.lo, k.hi)
		} else { // a block before the wrap or at the end
			nb = 1
			var ctr [16]byte
			binary.BigEndian.PutUint64(ctr[:8], k.hi)
			binary.BigEndian.PutUint64(ctr[8:], k.lo)
			k.key.blk.Encrypt(ctr[:], ctr[:])
			if src != nil {
				subtle.XORBytes(dst[:16], ctr[:], src[:16])
			} else {
				copy(dst, ctr[:])
			}
		}
		lo := k.lo + nb
		if lo < k.lo {
			k.hi++
		}
		k.lo = lo
		dst = dst[16*nb:]
		if src != nil {
			src = src[16*nb:]
		}
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
		if k.kern == nil {
			k.s.XORKeyStream(b, byteView(src))
		} else {
			k.xorBytes(b, byteView(src)[:len(b)])
		}
		return
	}
	t := make([]uint64, len(src))
	k.words(t)
	for i := range t {
		dst[i] = src[i] ^ t[i]
	}
}

// ctrKernel is one VAES keystream kernel (prg_amd64.go).
type ctrKernel struct {
	name string
	vec  int // blocks per vector: run takes a multiple of vec blocks
	ks   func(rk *byte, dst []byte, lo, hi uint64)
	xor  func(rk *byte, dst, src []byte, lo, hi uint64)
	wide bool // the round keys twice (ctrKey.rk2)
}

// run sets dst to the keystream from the counter block hi‖lo (src ⊕ it
// unless src is nil); the low word must not wrap within dst.
func (c *ctrKernel) run(key *ctrKey, dst, src []byte, lo, hi uint64) {
	rk := &key.rk[0]
	if c.wide {
		rk = &key.rk2[0]
	}
	if src == nil {
		c.ks(rk, dst, lo, hi)
	} else {
		c.xor(rk, dst, src, lo, hi)
	}
}

// sbox is the AES S-box (for the key schedule).
var sbox = func() (s [256]byte) {
	rotl := func(x byte, n uint) byte { return x<<n | x>>(8-n) }
	p, q := byte(1), byte(1)
	for {
		// p ·= 3, q /= 3 in GF(2^8): q = p^-1
		if p&0x80 != 0 {
			p ^= p<<1 ^ 0x1b
		} else {
			p ^= p << 1
		}
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		s[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

// expandKey128 returns the 11 round keys of the AES-128 key (FIPS 197
// §5.2), in the byte order the AES instructions take them.
func expandKey128(key []byte) (rk [11 * 16]byte) {
	copy(rk[:16], key)
	rcon := byte(1)
	for i := 16; i < len(rk); i += 4 {
		t := [4]byte(rk[i-4 : i])
		if i%16 == 0 {
			t = [4]byte{sbox[t[1]] ^ rcon, sbox[t[2]], sbox[t[3]], sbox[t[0]]}
			rcon = rcon<<1 ^ (rcon>>7)*0x1b
		}
		for j := range 4 {
			rk[i+j] = rk[i-16+j] ^ t[j]
		}
	}
	return rk
}

// newPRGKey draws a fresh pairwise key.
func newPRGKey() ([]byte, error) {
	k := make([]byte, prgKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("drawing a PRG key: %w", err)
	}
	return k, nil
}
