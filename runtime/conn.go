package runtime

import (
	"context"
	"encoding/hex"
)

// SessionID names one run of a program among the three parties; many
// sessions share the parties' connections at once.
type SessionID [16]byte

func (id SessionID) String() string { return hex.EncodeToString(id[:]) }

// Conn is one session's link from this party to the two others. Messages
// between a pair of parties arrive in the order they were sent, whole
// (framed). Send does not wait for the receiver; Recv blocks until a message
// from that party arrives, the context ends, or the link fails.
//
// The protocols of a round send first and then receive, so a Conn must
// buffer at least one round's messages in each direction without
// deadlocking.
type Conn interface {
	// Party is this party's index: 0, 1 or 2.
	Party() int
	// Send queues msg for party to; the Conn owns msg afterwards.
	Send(to int, msg []byte) error
	// Recv returns the next message from party from.
	Recv(ctx context.Context, from int) ([]byte, error)
	// Stats returns the payload bytes sent and received so far.
	Stats() (sent, received int64)
	// Close ends the session's link; pending Recvs fail.
	Close() error
}

// Network is a party's endpoint: it opens the link of a session to the two
// other parties.
type Network interface {
	// Party is this party's index.
	Party() int
	// Session returns the link of session id; the other two parties open
	// the same id.
	Session(ctx context.Context, id SessionID) (Conn, error)
	// Close shuts the endpoint and every session on it.
	Close() error
}

// Next and Prev are the parties after and before p in the ring 0 → 1 → 2 → 0.
func Next(p int) int { return (p + 1) % 3 }

// Prev is the party before p.
func Prev(p int) int { return (p + 2) % 3 }
