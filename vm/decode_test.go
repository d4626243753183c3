package vm

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bcSampleBytes returns the encoding of the all-opcodes program of ring k.
func bcSampleBytes(t testing.TB, k int) []byte {
	t.Helper()
	b, err := Encode(bcAllOpcodes(k))
	bcNoErr(t, err)
	return b
}

// bcRehash replaces the last 32 bytes of b (a copy) with the hash of the rest.
func bcRehash(b []byte) []byte {
	c := bytes.Clone(b)
	h := sha256.Sum256(c[:len(c)-bcHashLen])
	copy(c[len(c)-bcHashLen:], h[:])
	return c
}

// bcCraft builds a file by hand: header, body as written by f, hash.
func bcCraft(f func(e *encoder)) []byte {
	e := &encoder{}
	e.buf = append(e.buf, bcMagic...)
	e.u16(FormatVersion)
	f(e)
	e.finish()
	return e.buf
}

// bcRawEncode encodes p without verifying it, to make files that only
// Verify can reject.
func bcRawEncode(p *Program) []byte {
	e := &encoder{}
	e.program(p)
	e.finish()
	return e.buf
}

// bcAllocated returns the bytes allocated while f runs.
func bcAllocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestDecodeEveryPrefixFails(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := bcSampleBytes(t, k)
		for n := range len(b) {
			if _, err := Decode(b[:n]); err == nil {
				t.Fatalf("ring %d: the prefix of %d of %d bytes decoded", k, n, len(b))
			}
		}
	}
}

func TestDecodeFlippedBytesFailTheHash(t *testing.T) {
	b := bcSampleBytes(t, 128)
	for i := range b {
		for _, bit := range []byte{0x01, 0x80} {
			c := bytes.Clone(b)
			c[i] ^= bit
			_, err := Decode(c)
			if err == nil {
				t.Fatalf("flipping bit %#x of byte %d went unnoticed", bit, i)
			}
			if i >= bcHeaderLen && !strings.Contains(err.Error(), "bytecode hash mismatch") {
				t.Fatalf("flipping byte %d: %v, want a hash mismatch", i, err)
			}
		}
	}
}

func TestDecodeHeader(t *testing.T) {
	b := bcSampleBytes(t, 64)
	bad := bytes.Clone(b)
	bad[0] = 'X'
	_, err := Decode(bad)
	bcErrContains(t, err, `not mpcs bytecode (the file does not start with "MPCB")`)
	_, err = Decode(nil)
	bcErrContains(t, err, "not mpcs bytecode")
	_, err = Decode([]byte("MPC"))
	bcErrContains(t, err, "not mpcs bytecode")
	_, err = Decode([]byte("MPCB\x02"))
	bcErrContains(t, err, "bytecode truncated")
	_, err = Decode([]byte("MPCB\x02\x00"))
	bcErrContains(t, err, "bytecode truncated")

	old := bytes.Clone(b)
	binary.LittleEndian.PutUint16(old[4:], 7)
	_, err = Decode(bcRehash(old))
	bcEqual(t, err.Error(), "bytecode version 7, this build reads version 2")
	_, err = Decode(old[:6]) // the version is checked before anything else
	bcEqual(t, err.Error(), "bytecode version 7, this build reads version 2")
}

func TestDecodeSetsHash(t *testing.T) {
	b := bcSampleBytes(t, 128)
	p, err := Decode(b)
	bcNoErr(t, err)
	bcEqual(t, p.Hash, sha256.Sum256(b[:len(b)-32]))
}

func TestDecodeTrailingBytes(t *testing.T) {
	b := bcSampleBytes(t, 64)
	_, err := Decode(append(bytes.Clone(b), 0))
	bcErrContains(t, err, "bytecode hash mismatch")

	// Bytes between the positions and a correct hash.
	body := append(bytes.Clone(b[:len(b)-32]), 0, 0)
	c := append(body, make([]byte, 32)...)
	_, err = Decode(bcRehash(c))
	bcErrContains(t, err, "2 unexpected bytes before the hash")
}

// bcEmptyBody writes the sections of an empty program of ring 64 up to the
// code count, with f writing the code section.
func bcEmptyBody(e *encoder, code func(e *encoder)) {
	e.u8(64)
	e.u8(0)
	for range 4 {
		e.uv(0)
	}
	for range 5 { // inputs, params, outputs, consts, strings
		e.count(0)
	}
	code(e)
}

func TestDecodeHostileInput(t *testing.T) {
	big := func(e *encoder) { e.count(1 << 20) }
	pad := make([]byte, 16) // to the minimum file length
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"ring", bcCraft(func(e *encoder) { e.u8(100); e.buf = append(e.buf, pad...) }), "ring size 100, want 64 or 128"},
		{"non-minimal varint", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			e.buf = append(e.buf, 0x80, 0x00) // 0 in two bytes
			e.buf = append(e.buf, pad...)
		}), "non-minimal varint in register count"},
		{"varint overflow", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			e.buf = append(e.buf, 0xff, 0xff, 0xff, 0xff, 0x1f)
			e.buf = append(e.buf, pad...)
		}), "register count does not fit in 32 bits"},
		{"long varint", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			e.buf = append(e.buf, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)
			e.buf = append(e.buf, pad...)
		}), "does not fit in 32 bits"},
		{"too many instructions", bcCraft(func(e *encoder) {
			bcEmptyBody(e, func(e *encoder) { e.count(MaxInstrs + 1) })
		}), "1048577 instructions, the limit is 1048576"},
		{"instructions beyond the input", bcCraft(func(e *encoder) {
			bcEmptyBody(e, big)
			e.buf = append(e.buf, 0, 0, 0, 0)
		}), "1048576 instructions do not fit in the 4 bytes left"},
		{"unknown opcode", bcCraft(func(e *encoder) {
			bcEmptyBody(e, func(e *encoder) { e.count(1); e.u8(200); e.uv(0); e.uv(0); e.uv(0) })
		}), "pc 0: unknown opcode 200"},
		{"huge group count", bcCraft(func(e *encoder) {
			bcEmptyBody(e, func(e *encoder) {
				e.count(1)
				e.u8(uint8(AMUL))
				e.uv(1<<32 - 1)
				e.uv(0)
				e.uv(0)
				e.uv(0)
			})
		}), "AMUL: 4294967295 groups do not fit"},
		{"group operands beyond the input", bcCraft(func(e *encoder) {
			bcEmptyBody(e, func(e *encoder) {
				e.count(1)
				e.u8(uint8(AMUL))
				e.uv(2)
				e.uv(0)
				e.uv(0)
				e.uv(0)
			})
		}), "AMUL: 6 operands do not fit in the 3 bytes left"},
		{"truncated positions", bcCraft(func(e *encoder) {
			bcEmptyBody(e, func(e *encoder) { e.count(1); e.u8(uint8(NOP)); e.uv(0); e.uv(0); e.u8(0x80) })
		}), "truncated position"},
		{"too many strings", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			for range 4 {
				e.count(0)
			}
			e.count(MaxStrings + 1)
		}), "65537 strings, the limit is 65536"},
		{"long string", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			e.count(1)
			e.count(MaxStringLen + 1)
			e.buf = append(e.buf, pad...)
		}), "input name of 65537 bytes, the limit is 65536"},
		{"string beyond the input", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			e.count(1)
			e.count(60000)
			e.buf = append(e.buf, pad...)
		}), "truncated input name"},
		{"huge constant", bcCraft(func(e *encoder) {
			e.u8(128)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			for range 3 {
				e.count(0)
			}
			e.count(1)
			e.count(1 << 24)
			e.u64(1)
		}), "16777216 constant elements do not fit in the 8 bytes left"},
		{"constant elements over the limit", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			for range 3 {
				e.count(0)
			}
			e.count(1)
			e.count(MaxConstElems + 1)
		}), "16777217 constant elements, the limit is 16777216"},
		{"many schema entries", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			e.count(MaxSchema)
			e.buf = append(e.buf, make([]byte, 100)...)
		}), "65536 inputs do not fit in the 100 bytes left"},
		{"vector flag", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			for range 4 {
				e.uv(0)
			}
			e.count(0)
			e.count(0)
			e.count(1)
			e.str("x")
			e.u8(uint8(TInt))
			e.u8(2)
		}), "output 0: vector flag is neither 0 nor 1"},
		{"huge register count", bcCraft(func(e *encoder) {
			e.u8(64)
			e.u8(0)
			e.uv(1<<32 - 1)
			for range 3 {
				e.uv(0)
			}
			for range 6 {
				e.count(0)
			}
		}), "4294967295 registers of class p, the limit is 1048576"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			start := time.Now()
			alloc := bcAllocated(func() { _, err = Decode(c.file) })
			bcErrContains(t, err, c.want)
			if alloc > 1<<20 {
				t.Errorf("Decode allocated %d bytes for a %d-byte file", alloc, len(c.file))
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Decode took %v", d)
			}
		})
	}
}

func TestDecodeRunsVerify(t *testing.T) {
	p := bcAllOpcodes(64)
	p.Code[AMUL].Args[1] = 999
	_, want := Encode(p)
	bcErrContains(t, want, "pc 47 ")
	_, err := Decode(bcRawEncode(p))
	bcEqual(t, err, want)
}

func TestDecodeAllocationIsProportional(t *testing.T) {
	// A valid program: Decode allocates a small multiple of the file size.
	r := rand.New(rand.NewPCG(1, 2))
	p := bcRandomProgram(r, 128, 5000)
	b, err := Encode(p)
	bcNoErr(t, err)
	alloc := bcAllocated(func() { _, err = Decode(b) })
	bcNoErr(t, err)
	if alloc > uint64(16*len(b)+1<<16) {
		t.Errorf("Decode allocated %d bytes for a %d-byte file", alloc, len(b))
	}
}

// bcCheckDecode decodes b and, if it is accepted, checks that it is canonical
// and verified and that it survives the disassembler.
func bcCheckDecode(t *testing.T, b []byte) {
	p, err := Decode(b)
	if err != nil {
		if p != nil {
			t.Fatalf("Decode returned a program and an error")
		}
		return
	}
	if err := Verify(p); err != nil {
		t.Fatalf("Decode accepted a program Verify rejects: %v", err)
	}
	re, err := Encode(p)
	if err != nil {
		t.Fatalf("Encode(Decode(b)): %v", err)
	}
	if !bytes.Equal(re, b) {
		t.Fatalf("Encode(Decode(b)) != b:\n%x\n%x", re, b)
	}
	a, err := Assemble(Disassemble(p))
	if err != nil {
		t.Fatalf("Assemble(Disassemble(p)): %v\n%s", err, Disassemble(p))
	}
	if re2, err := Encode(a); err != nil || !bytes.Equal(re2, b) {
		t.Fatalf("the disassembly does not assemble to the same program (%v)", err)
	}
}

func FuzzDecode(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []int{64, 128} {
		b := bcSampleBytes(f, k)
		f.Add(b)
		f.Add(b[:len(b)/2])
		c := bytes.Clone(b)
		c[len(c)/3] ^= 0x40
		f.Add(bcRehash(c))
		for range 8 {
			p := bcRandomProgram(r, k, r.IntN(12))
			b, err := Encode(p)
			bcNoErr(f, err)
			f.Add(b)
		}
	}
	f.Add([]byte("MPCB\x07\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		bcCheckDecode(t, b)
		// With the hash made right, so that the fuzzer gets past it to the
		// parser and the verifier.
		if len(b) >= bcMinFileLen {
			bcCheckDecode(t, bcRehash(b))
		}
	})
}
