package runtime

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFrameRoundTrip(t *testing.T) {
	var wire bytes.Buffer
	sizes := []int{0, 1, 127, 128, 16383, 16384, 1 << 20, trChunk + 1}
	for i, n := range sizes {
		payload := bytes.Repeat([]byte{byte(i)}, n)
		wire.Write(trAppendFrameHeader(nil, trSID(i), trKindData, n))
		wire.Write(payload)
	}
	wire.Write(trAppendFrameHeader(nil, trSID(99), trKindClose, 0))
	br := bufio.NewReader(&wire)
	for i, n := range sizes {
		id, kind, payload, err := trReadFrame(br, MaxMessageSize)
		require.NoError(t, err)
		require.Equal(t, trSID(i), id)
		require.Equal(t, trKindData, kind)
		require.Len(t, payload, n)
		require.NotNil(t, payload)
		require.Equal(t, bytes.Repeat([]byte{byte(i)}, n), payload)
	}
	id, kind, _, err := trReadFrame(br, MaxMessageSize)
	require.NoError(t, err)
	require.Equal(t, trSID(99), id)
	require.Equal(t, trKindClose, kind)
	_, _, _, err = trReadFrame(br, MaxMessageSize)
	require.ErrorIs(t, err, io.EOF, "EOF at a frame boundary")
}

func TestFrameErrors(t *testing.T) {
	frame := func(kind byte, n uint64, body []byte) []byte {
		b := append(make([]byte, 16), kind)
		b = binary.AppendUvarint(b, n)
		return append(b, body...)
	}
	read := func(b []byte) error {
		_, _, _, err := trReadFrame(bufio.NewReader(bytes.NewReader(b)), MaxMessageSize)
		return err
	}
	require.ErrorIs(t, read(frame(0, MaxMessageSize+1, nil)), ErrFrameTooLarge)
	require.ErrorIs(t, read(frame(0, 1<<62, nil)), ErrFrameTooLarge)
	// A huge announced length with a short body fails without allocating it.
	require.ErrorIs(t, read(frame(0, MaxMessageSize, []byte("short"))), io.ErrUnexpectedEOF)
	require.ErrorIs(t, read(frame(0, 10, []byte("short"))), io.ErrUnexpectedEOF)
	require.ErrorIs(t, read(make([]byte, 7)), io.ErrUnexpectedEOF)
	require.ErrorIs(t, read(make([]byte, 17)), io.ErrUnexpectedEOF)
	require.ErrorContains(t, read(frame(7, 0, nil)), "unknown kind 7")
	require.ErrorContains(t, read(frame(trKindClose, 3, []byte("abc"))), "close frame")
	overflow := append(make([]byte, 17), bytes.Repeat([]byte{0xff}, 11)...)
	require.ErrorContains(t, read(overflow), "bad frame length")
}

// FuzzFrameDecoder feeds arbitrary bytes to the frame reader: it must never
// panic, never return a payload over the limit, and re-encoding what it
// decodes must give back the input's prefix.
func FuzzFrameDecoder(f *testing.F) {
	f.Add(append(trAppendFrameHeader(nil, trSID(1), trKindData, 3), "abc"...))
	f.Add(trAppendFrameHeader(nil, trSID(2), trKindClose, 0))
	f.Add(trAppendFrameHeader(nil, trSID(3), trKindData, MaxMessageSize+1))
	f.Add(append(make([]byte, 17), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01))
	f.Add([]byte{})
	const max = 1 << 16 // small, so the fuzzer reaches it
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		total := 0
		for {
			_, kind, payload, err := trReadFrame(br, max)
			if err != nil {
				if errors.Is(err, io.EOF) && br.Buffered() != 0 {
					t.Fatalf("EOF with %d bytes left", br.Buffered())
				}
				return // malformed input is an error, not a panic
			}
			if len(payload) > max {
				t.Fatalf("payload of %d bytes exceeds %d", len(payload), max)
			}
			if kind != trKindData && kind != trKindClose {
				t.Fatalf("kind %d accepted", kind)
			}
			total += 17 + len(payload)
			if total > len(data) {
				t.Fatalf("decoded %d bytes from %d", total, len(data))
			}
		}
	})
}
