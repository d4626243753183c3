package runtime

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemNetwork is one party's endpoint of an in-memory network of three, for
// tests and for `mpcvm sim`. Messages are handed over without copying and
// buffered without bound; each pair of parties keeps FIFO order per
// session. Recv has no idle timeout unless SetIdleTimeout sets one.
//
// Closing an endpoint acts like a crash of that party for the two others:
// their Recvs from it fail with "party N disconnected: ..." once they have
// read what it sent. Cut breaks one link only.
type MemNetwork struct {
	m     *trMux
	links [3]*trMemLink
}

// trMemLink is the link from party from to party to; back is the reverse.
type trMemLink struct {
	from, to int
	dst      *trMux
	back     *trMemLink

	mu  sync.Mutex
	err error
}

// NewMemNetworks returns the three endpoints of a fresh in-memory network;
// element i is party i.
func NewMemNetworks() [3]Network {
	var ms [3]*MemNetwork
	for p := range 3 {
		ms[p] = &MemNetwork{m: trNewMux(p)}
		ms[p].m.wait = 0
	}
	for a := range 3 {
		for b := a + 1; b < 3; b++ {
			ab := &trMemLink{from: a, to: b, dst: ms[b].m}
			ba := &trMemLink{from: b, to: a, dst: ms[a].m, back: ab}
			ab.back = ba
			ms[a].links[b], ms[b].links[a] = ab, ba
			ms[a].m.linkUp(ab)
			ms[b].m.linkUp(ba)
		}
	}
	var nets [3]Network
	for p := range 3 {
		nets[p] = ms[p]
	}
	return nets
}

func (l *trMemLink) trPeer() int { return l.to }

func (l *trMemLink) trSend(id SessionID, kind byte, payload []byte) error {
	l.mu.Lock()
	err := l.err
	l.mu.Unlock()
	if err != nil {
		return err
	}
	l.dst.deliver(l.back, id, kind, payload)
	return nil
}

// cut fails both directions of the link; cause completes "party N
// disconnected: ".
func (l *trMemLink) cut(cause string) {
	for _, x := range []*trMemLink{l, l.back} {
		x.mu.Lock()
		first := x.err == nil
		if first {
			x.err = fmt.Errorf("party %d %w: %s", x.to, ErrPeerDisconnected, cause)
		}
		err := x.err
		x.mu.Unlock()
		if first {
			x.back.dst.linkDown(x, err) // x belongs to the mux x.back delivers to
		}
	}
}

// Party is this endpoint's party index.
func (n *MemNetwork) Party() int { return n.m.party }

// Session opens session id; it fails at once if a link has been cut.
func (n *MemNetwork) Session(ctx context.Context, id SessionID) (Conn, error) {
	return n.m.session(ctx, id)
}

// Close shuts this endpoint: its sessions fail with ErrSessionClosed, and
// the other parties see it disconnect.
func (n *MemNetwork) Close() error {
	n.m.shutdown()
	for _, l := range n.links {
		if l != nil {
			l.cut("its network was closed")
		}
	}
	return nil
}

// Cut breaks the link between this party and peer in both directions, as a
// network failure would: sessions on it fail with "party N disconnected:
// link cut" (after their queued messages), and new sessions cannot open.
func (n *MemNetwork) Cut(peer int) {
	if peer >= 0 && peer < 3 && n.links[peer] != nil {
		n.links[peer].cut("link cut")
	}
}

// SetIdleTimeout makes Recvs on this endpoint fail after waiting d
// ("party N: no message for 60s"); 0, the default, waits forever.
func (n *MemNetwork) SetIdleTimeout(d time.Duration) { n.m.idle.Store(int64(d)) }
