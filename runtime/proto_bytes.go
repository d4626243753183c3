package runtime

// Words and bytes: messages are streams of little-endian 64-bit words. On a
// little-endian machine a []uint64 and the bytes of its message are the
// same memory, so the protocols write their words straight into the
// outgoing buffer and read received words in place (byteView, wordView);
// on a big-endian machine the same functions copy (the slow but correct
// path).

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"unsafe"
)

// littleEndian reports whether this machine stores words little-endian.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// aligned8 reports whether b starts on an 8-byte boundary.
func aligned8(b []byte) bool {
	return len(b) == 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%8 == 0
}

// wordView returns the words of b (len(b) a multiple of 8) as a []uint64
// sharing b's memory, or nil if that is not possible (big-endian machine,
// unaligned b).
func wordView(b []byte) []uint64 {
	if !littleEndian || !aligned8(b) || len(b)%8 != 0 {
		return nil
	}
	if len(b) == 0 {
		return []uint64{}
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8)
}

// byteView returns the bytes of w (little-endian) sharing w's memory, or nil
// on a big-endian machine.
func byteView(w []uint64) []byte {
	if !littleEndian {
		return nil
	}
	if len(w) == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), 8*len(w))
}

// putWords encodes w at b (8·len(w) bytes).
func putWords(b []byte, w []uint64) {
	if v := byteView(w); v != nil {
		copy(b, v)
		return
	}
	for i, x := range w {
		binary.LittleEndian.PutUint64(b[8*i:], x)
	}
}

// getWords decodes len(w) words from b.
func getWords(w []uint64, b []byte) {
	if v := byteView(w); v != nil {
		copy(v, b[:8*len(w)])
		return
	}
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
}

// wordsToBytes returns a new message (8-byte aligned) holding the first
// nbytes bytes of the little-endian words w.
func wordsToBytes(w []uint64, nbytes int) []byte {
	out := newMsg(8 * len(w))
	putWords(out, w)
	return out[:nbytes]
}

// bytesToWords decodes a message into new little-endian words (the last
// word zero-padded).
func bytesToWords(b []byte) []uint64 {
	w := make([]uint64, (len(b)+7)/8)
	if v := byteView(w); v != nil {
		copy(v, b)
		return w
	}
	full := len(b) / 8
	getWords(w[:full], b)
	if len(b)%8 != 0 {
		var t [8]byte
		copy(t[:], b[8*full:])
		w[full] = binary.LittleEndian.Uint64(t[:])
	}
	return w
}

// wordsIn returns the n words at the start of b: a view of b when the
// machine allows it, else a decoded copy.
func wordsIn(b []byte, n int) []uint64 {
	if v := wordView(b[:8*n]); v != nil {
		return v
	}
	w := make([]uint64, n)
	getWords(w, b)
	return w
}

// newMsg returns a zeroed message buffer of n bytes whose start is 8-byte
// aligned, so that wordView works on it at every multiple of 8.
func newMsg(n int) []byte {
	w := make([]uint64, (n+7)/8)
	if v := byteView(w); v != nil {
		return v[:n]
	}
	return make([]byte, n)
}

// outWords is a message under construction as words: on a little-endian
// machine the words are the message's own memory, elsewhere a separate
// slice that bytes() encodes.
type outWords struct {
	w   []uint64
	b   []byte
	own bool // w aliases b
}

// newOutWords returns a message of nw words with arbitrary contents (from
// the pool): the caller writes every word.
func newOutWords(nw int) outWords {
	o := outWords{w: getBuf(nw)}
	// the view spans the buffer's capacity, so that releaseMsg can return
	// it to the pool once it is sent
	if v := byteView(o.w[:cap(o.w)]); v != nil {
		o.b, o.own = v[:8*nw], true
	}
	return o
}

// bytes returns the first n bytes of the message.
func (o *outWords) bytes(n int) []byte {
	if !o.own {
		o.b = make([]byte, 8*len(o.w))
		putWords(o.b, o.w)
	}
	return o.b[:n]
}

// ---- recycled buffers ----
//
// The protocols' large temporaries and message buffers come from a pool of
// word buffers (their contents are arbitrary: users overwrite them). A
// message handed to Conn.Send belongs to the transport, which returns it
// to the pool once it is written (TLS); on the in-memory network the
// receiving engine does once it has read it. Sizes are rounded up to eight
// classes per octave; the pool keeps at most poolCap bytes (unlike a
// sync.Pool it is not emptied by every garbage collection, which matters
// for buffers of many megabytes).

const (
	poolMinWords = 512 // smaller buffers are not pooled
	poolCap      = 512 << 20
)

var bufPool struct {
	mu    sync.Mutex
	free  map[int][][]uint64 // by capacity
	bytes int
}

// poolSize rounds n up to its size class.
func poolSize(n int) int {
	c := bits.Len(uint(n - 1))
	if c <= 12 {
		return 1 << c
	}
	g := 1 << (c - 4)
	return (n + g - 1) / g * g
}

// getBuf returns a buffer of n words with arbitrary contents.
func getBuf(n int) []uint64 {
	if n < poolMinWords {
		return make([]uint64, n)
	}
	c := poolSize(n)
	bufPool.mu.Lock()
	if l := bufPool.free[c]; len(l) > 0 {
		w := l[len(l)-1]
		l[len(l)-1] = nil
		bufPool.free[c] = l[:len(l)-1]
		bufPool.bytes -= 8 * c
		bufPool.mu.Unlock()
		return w[:n]
	}
	bufPool.mu.Unlock()
	return make([]uint64, n, c)
}

// putBuf returns w to the pool; nobody may use it afterwards.
func putBuf(w []uint64) {
	c := cap(w)
	if c < poolMinWords || poolSize(c) != c {
		return
	}
	bufPool.mu.Lock()
	defer bufPool.mu.Unlock()
	if bufPool.bytes+8*c > poolCap {
		return
	}
	if bufPool.free == nil {
		bufPool.free = make(map[int][][]uint64)
	}
	bufPool.free[c] = append(bufPool.free[c], w[:c])
	bufPool.bytes += 8 * c
}

// getMsgBuf returns an 8-byte aligned byte buffer of n bytes with
// arbitrary contents (little-endian machines: backed by a pooled word
// buffer).
func getMsgBuf(n int) []byte {
	if !littleEndian {
		return make([]byte, n)
	}
	w := getBuf((n + 7) / 8)
	return byteView(w[:cap(w)])[:n]
}

// releaseMsg returns message buffers to the pool; nobody may use them (or
// views of them) afterwards.
func releaseMsg(bs ...[]byte) {
	for _, b := range bs {
		if !littleEndian || cap(b)%8 != 0 || !aligned8(b[:cap(b)]) {
			continue
		}
		if w := wordView(b[:cap(b)]); w != nil {
			putBuf(w)
		}
	}
}
