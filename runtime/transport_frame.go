package runtime

// Wire format of a link between two parties (inside TLS):
//
//	hello: "MPCSNET" 0x01 party(1 byte)            once, each way, first
//	frame: session id (16 bytes) kind (1 byte) length (uvarint) payload
//
// kind 0 carries a message of the session (length ≤ MaxMessageSize); kind 1
// says the sender closed the session (length 0). Frames of many sessions
// interleave on one connection; frames of one session from one party keep
// their order.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	trKindData  byte = 0
	trKindClose byte = 1

	trHeaderMax = 16 + 1 + binary.MaxVarintLen64
	// trChunk is the size of the first buffer for a payload; larger
	// payloads grow as their bytes arrive, so a corrupt length cannot make
	// the reader allocate a gigabyte up front.
	trChunk = 64 << 20
)

var trHelloMagic = [8]byte{'M', 'P', 'C', 'S', 'N', 'E', 'T', 1}

// trAppendFrameHeader appends the header of a frame with n payload bytes.
func trAppendFrameHeader(dst []byte, id SessionID, kind byte, n int) []byte {
	dst = append(dst, id[:]...)
	dst = append(dst, kind)
	return binary.AppendUvarint(dst, uint64(n))
}

// trReadFrame reads one frame. It returns io.EOF only at a frame boundary.
func trReadFrame(r *bufio.Reader, max int) (id SessionID, kind byte, payload []byte, err error) {
	if _, err = io.ReadFull(r, id[:]); err != nil {
		return id, 0, nil, err
	}
	if kind, err = r.ReadByte(); err != nil {
		return id, 0, nil, trNoEOF(err)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return id, 0, nil, fmt.Errorf("bad frame length: %w", trNoEOF(err))
	}
	switch kind {
	case trKindData:
		if n > uint64(max) {
			return id, 0, nil, fmt.Errorf("frame of session %s: %d bytes: %w (max %d)", id, n, ErrFrameTooLarge, max)
		}
	case trKindClose:
		if n != 0 {
			return id, 0, nil, fmt.Errorf("close frame of session %s with %d payload bytes", id, n)
		}
		return id, kind, nil, nil
	default:
		return id, 0, nil, fmt.Errorf("frame of session %s: unknown kind %d", id, kind)
	}
	payload, err = trReadPayload(r, int(n))
	return id, kind, payload, err
}

func trReadPayload(r io.Reader, n int) ([]byte, error) {
	buf := getMsgBuf(min(n, trChunk))
	got := 0
	for {
		k, err := io.ReadFull(r, buf[got:])
		got += k
		if err != nil {
			return nil, trNoEOF(err)
		}
		if got == n {
			return buf, nil
		}
		nb := make([]byte, min(n, 2*len(buf)))
		copy(nb, buf)
		buf = nb
	}
}

func trNoEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
