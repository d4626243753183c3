package dzk

import (
	"errors"
	"sync/atomic"
)

// Conn is one end of a reliable, ordered, authenticated link between two
// parties. Send must not retain p after returning.
type Conn interface {
	Send(p []byte) error
	Recv() ([]byte, error)
}

// ErrClosed is returned by a MemConn whose peer went away.
var ErrClosed = errors.New("dzk: connection closed")

// MemConn is an in-memory Conn; it counts the bytes and messages it sent.
type MemConn struct {
	in, out chan []byte
	done    chan struct{}
	Bytes   atomic.Int64 // payload bytes sent
	Msgs    atomic.Int64 // messages sent
}

// MemPipe returns the two ends of an in-memory link. Closing either end
// (Close) makes pending and later Recv calls on both ends fail.
func MemPipe() (*MemConn, *MemConn) {
	a, b := make(chan []byte, 16), make(chan []byte, 16)
	done := make(chan struct{})
	return &MemConn{in: a, out: b, done: done}, &MemConn{in: b, out: a, done: done}
}

// Send implements Conn.
func (c *MemConn) Send(p []byte) error {
	c.Bytes.Add(int64(len(p)))
	c.Msgs.Add(1)
	select {
	case c.out <- append([]byte(nil), p...):
		return nil
	case <-c.done:
		return ErrClosed
	}
}

// Recv implements Conn.
func (c *MemConn) Recv() ([]byte, error) {
	select {
	case p := <-c.in:
		return p, nil
	case <-c.done:
		select {
		case p := <-c.in:
			return p, nil
		default:
			return nil, ErrClosed
		}
	}
}

// Close tears the link down (idempotent only through sync by the caller:
// call it once per pipe).
func (c *MemConn) Close() { close(c.done) }
