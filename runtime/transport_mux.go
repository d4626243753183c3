package runtime

// Transport core shared by the in-memory network (memnet.go) and the TLS
// network (tlsnet.go).
//
// A party's endpoint is a trMux: it knows one link per peer (a trLink: a
// TLS connection, or a memnet pipe) and the sessions open on it. A link
// carries frames of every session; the receiving side hands each frame to
// trMux.deliver, which appends the payload to the inbox of (session, peer).
// Frames for a session this party has not opened yet are kept in a pending
// entry, bounded in bytes, and adopted when the session is opened; frames
// for a session closed here are dropped.
//
// Every inbox is bound to the link it was created on. When that link fails,
// every inbox bound to it fails ("party 2 disconnected: ..."), after the
// messages it already holds have been read. A session opened after a
// reconnection binds to the new link; sessions of the old one stay failed.
//
// Closing a session sends a close frame to both peers so that their Recvs
// from this party end with "party N closed the session" once they have read
// everything sent before.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the transport; match them with errors.Is. The error texts name
// the party and the cause, e.g. "party 2 disconnected: connection reset by
// peer" or "party 1: no message for 60s".
var (
	// ErrSessionClosed: the session, or the whole Network, was closed here.
	ErrSessionClosed = errors.New("closed")
	// ErrPeerDisconnected: the link to a party failed.
	ErrPeerDisconnected = errors.New("disconnected")
	// ErrPeerUnreachable: a party could not be connected to at start.
	ErrPeerUnreachable = errors.New("unreachable")
	// ErrPeerClosedSession: the party closed its end of the session and
	// every message it had sent has been read.
	ErrPeerClosedSession = errors.New("closed the session")
	// ErrNoMessage: a Recv waited for the idle timeout.
	ErrNoMessage = errors.New("no message")
	// ErrFrameTooLarge: a message or frame exceeds MaxMessageSize.
	ErrFrameTooLarge = errors.New("frame too large")
)

// MaxMessageSize is the largest message a Conn sends or accepts.
const MaxMessageSize = 1 << 30

const (
	// trPendingLimit bounds the bytes a party buffers for sessions it has
	// not opened yet (per endpoint).
	trPendingLimit = 1 << 31
	// trRecentMax is how many closed session ids are remembered, to drop
	// their late frames and refuse reopening them.
	trRecentMax = 4096
)

// trLink is one party's link to one peer.
type trLink interface {
	trPeer() int
	// trSend queues a frame; the link owns payload afterwards.
	trSend(id SessionID, kind byte, payload []byte) error
}

type trMux struct {
	party   int
	idle    atomic.Int64  // Recv timeout in ns; 0: none
	wait    time.Duration // how long Session waits for a missing link; 0: fail at once
	pendTTL time.Duration // pending entries older than this are dropped; 0: never
	pendMax int64         // bytes buffered for unopened sessions, at most

	mu        sync.Mutex
	closed    bool
	links     [3]trLink
	linkErr   [3]error
	changed   chan struct{} // closed and replaced on every change of links or closed
	sessions  map[SessionID]*trSession
	pending   map[SessionID]*trPending
	pendBytes int64
	lastSweep time.Time
	recent    trRecent
}

type trPending struct {
	created time.Time
	bytes   int64
	in      [3]*trInbox
}

func trNewMux(party int) *trMux {
	m := &trMux{
		party:    party,
		pendMax:  trPendingLimit,
		changed:  make(chan struct{}),
		sessions: make(map[SessionID]*trSession),
		pending:  make(map[SessionID]*trPending),
	}
	for p := range 3 {
		if p != party {
			m.linkErr[p] = fmt.Errorf("party %d %w: not connected yet", p, ErrPeerDisconnected)
		}
	}
	return m
}

// broadcastLocked wakes everyone waiting for a change of links.
func (m *trMux) broadcastLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// linkUp makes l the current link to its peer and returns the link it
// replaces (nil if none), which the caller must shut. It returns ok=false if
// the mux is closed.
func (m *trMux) linkUp(l trLink) (old trLink, ok bool) {
	p := l.trPeer()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, false
	}
	old = m.links[p]
	m.links[p] = l
	m.linkErr[p] = nil
	m.broadcastLocked()
	return old, true
}

// linkDown fails every inbox bound to l with err.
func (m *trMux) linkDown(l trLink, err error) {
	p := l.trPeer()
	var fail []*trInbox
	m.mu.Lock()
	if m.links[p] == l {
		m.links[p] = nil
		m.linkErr[p] = err
		m.broadcastLocked()
	}
	for _, s := range m.sessions {
		if b := s.in[p]; b != nil && b.link == l {
			fail = append(fail, b)
		}
	}
	for _, pe := range m.pending {
		if b := pe.in[p]; b != nil && b.link == l {
			fail = append(fail, b)
		}
	}
	m.mu.Unlock()
	for _, b := range fail {
		b.end(err)
	}
}

// shutdown closes the mux: every session fails with "network closed".
func (m *trMux) shutdown() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	m.broadcastLocked()
	sessions := m.sessions
	m.sessions = make(map[SessionID]*trSession)
	m.pending = make(map[SessionID]*trPending)
	m.pendBytes = 0
	m.mu.Unlock()
	for _, s := range sessions {
		s.closed.Store(true)
		err := fmt.Errorf("session %s %w: the network was shut down", s.id, ErrSessionClosed)
		for _, b := range s.in {
			if b != nil {
				b.kill(err)
			}
		}
	}
}

// deliver hands a frame received on link l to its session.
func (m *trMux) deliver(l trLink, id SessionID, kind byte, payload []byte) {
	from := l.trPeer()
	m.mu.Lock()
	if m.closed || m.links[from] != l {
		m.mu.Unlock()
		return // a stale link: its sessions have failed already
	}
	if s := m.sessions[id]; s != nil {
		m.mu.Unlock()
		if b := s.in[from]; b.link == l {
			b.handle(kind, payload, from)
		}
		return
	}
	if _, ok := m.recent.why[id]; ok {
		m.mu.Unlock()
		return
	}
	now := time.Now()
	pe := m.pending[id]
	if pe == nil {
		m.sweepLocked(now)
		pe = &trPending{created: now}
		m.pending[id] = pe
	}
	b := pe.in[from]
	if b == nil || b.link != l {
		b = trNewInbox(l)
		pe.in[from] = b
	}
	if kind == trKindData {
		n := int64(len(payload))
		if m.pendBytes+n > m.pendMax {
			b.end(fmt.Errorf("party %d: messages for session %s were dropped: more than %d bytes were buffered for sessions not yet opened here",
				from, id, m.pendMax))
		} else if b.push(payload) {
			pe.bytes += n
			m.pendBytes += n
		}
	} else {
		b.handle(kind, payload, from)
	}
	m.mu.Unlock()
}

// sweepLocked drops pending entries older than pendTTL.
func (m *trMux) sweepLocked(now time.Time) {
	if m.pendTTL <= 0 || now.Sub(m.lastSweep) < m.pendTTL/4 {
		return
	}
	m.lastSweep = now
	for id, pe := range m.pending {
		if now.Sub(pe.created) > m.pendTTL {
			delete(m.pending, id)
			m.pendBytes -= pe.bytes
			m.recent.add(id, fmt.Sprintf("expired: its messages arrived more than %s before it was opened here", trFormatDur(m.pendTTL)))
		}
	}
}

// session is Network.Session of the endpoints: open, with a nil Conn (not
// a nil *trSession) on failure.
func (m *trMux) session(ctx context.Context, id SessionID) (Conn, error) {
	s, err := m.open(ctx, id)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// open opens session id, waiting up to m.wait for missing links.
func (m *trMux) open(ctx context.Context, id SessionID) (*trSession, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var timeout <-chan time.Time
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, fmt.Errorf("session %s: network %w", id, ErrSessionClosed)
		}
		missing := -1
		for p := range 3 {
			if p != m.party && m.links[p] == nil {
				missing = p
				break
			}
		}
		if missing < 0 {
			break // keep the lock
		}
		err, ch := m.linkErr[missing], m.changed
		m.mu.Unlock()
		if m.wait <= 0 {
			return nil, err
		}
		if timeout == nil {
			t := time.NewTimer(m.wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout:
			return nil, err
		}
	}
	defer m.mu.Unlock()
	if _, ok := m.sessions[id]; ok {
		return nil, fmt.Errorf("session %s is already open", id)
	}
	if why, ok := m.recent.why[id]; ok {
		return nil, fmt.Errorf("session %s cannot be opened: it %s; use a new session id", id, why)
	}
	s := &trSession{m: m, id: id}
	pe := m.pending[id]
	if pe != nil {
		delete(m.pending, id)
		m.pendBytes -= pe.bytes
	}
	for p := range 3 {
		if p == m.party {
			continue
		}
		if pe != nil && pe.in[p] != nil {
			s.in[p] = pe.in[p]
		} else {
			s.in[p] = trNewInbox(m.links[p])
		}
	}
	m.sessions[id] = s
	return s, nil
}

// trSession implements Conn.
type trSession struct {
	m      *trMux
	id     SessionID
	in     [3]*trInbox // nil at m.party
	sent   atomic.Int64
	recvd  atomic.Int64
	closed atomic.Bool
	once   sync.Once
}

func (s *trSession) Party() int { return s.m.party }

func (s *trSession) peer(p int, verb string) (*trInbox, error) {
	if p < 0 || p > 2 || p == s.m.party {
		return nil, fmt.Errorf("party %d cannot %s party %d", s.m.party, verb, p)
	}
	return s.in[p], nil
}

func (s *trSession) Send(to int, msg []byte) error {
	b, err := s.peer(to, "send to")
	if err != nil {
		return err
	}
	if s.closed.Load() {
		return fmt.Errorf("session %s %w", s.id, ErrSessionClosed)
	}
	if len(msg) > MaxMessageSize {
		return fmt.Errorf("send to party %d: message of %d bytes: %w (max %d)", to, len(msg), ErrFrameTooLarge, MaxMessageSize)
	}
	if err := b.link.trSend(s.id, trKindData, msg); err != nil {
		return err
	}
	s.sent.Add(int64(len(msg)))
	return nil
}

func (s *trSession) Recv(ctx context.Context, from int) ([]byte, error) {
	b, err := s.peer(from, "receive from")
	if err != nil {
		return nil, err
	}
	msg, err := b.pop(ctx, from, time.Duration(s.m.idle.Load()))
	if err != nil {
		return nil, err
	}
	s.recvd.Add(int64(len(msg)))
	return msg, nil
}

func (s *trSession) Stats() (sent, received int64) { return s.sent.Load(), s.recvd.Load() }

func (s *trSession) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		m := s.m
		m.mu.Lock()
		if m.sessions[s.id] == s {
			delete(m.sessions, s.id)
			m.recent.add(s.id, "was closed")
		}
		m.mu.Unlock()
		err := fmt.Errorf("session %s %w", s.id, ErrSessionClosed)
		for _, b := range s.in {
			if b != nil {
				b.kill(err)
				_ = b.link.trSend(s.id, trKindClose, nil) // best effort
			}
		}
	})
	return nil
}

// trInbox is the FIFO of messages from one peer in one session.
type trInbox struct {
	link trLink // immutable

	mu     sync.Mutex
	q      [][]byte
	head   int
	endErr error // reported once q is drained
	nowErr error // reported at once
	wake   chan struct{}
	dead   chan struct{} // closed once endErr or nowErr is set
}

func trNewInbox(l trLink) *trInbox {
	return &trInbox{link: l, wake: make(chan struct{}, 1), dead: make(chan struct{})}
}

func (b *trInbox) handle(kind byte, payload []byte, from int) {
	if kind == trKindData {
		b.push(payload)
	} else {
		b.end(fmt.Errorf("party %d %w", from, ErrPeerClosedSession))
	}
}

// push appends msg; it reports false (and drops msg) if the inbox has ended.
func (b *trInbox) push(msg []byte) bool {
	b.mu.Lock()
	if b.endErr != nil || b.nowErr != nil {
		b.mu.Unlock()
		return false
	}
	b.q = append(b.q, msg)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true
}

func (b *trInbox) end(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.endErr == nil && b.nowErr == nil {
		b.endErr = err
		close(b.dead)
	}
}

func (b *trInbox) kill(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nowErr != nil {
		return
	}
	if b.endErr == nil {
		close(b.dead)
	}
	b.nowErr = err
	clear(b.q)
	b.q, b.head = nil, 0
}

func (b *trInbox) pop(ctx context.Context, from int, idle time.Duration) ([]byte, error) {
	var timeout <-chan time.Time
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("receive from party %d: %w", from, err)
		}
		b.mu.Lock()
		if err := b.nowErr; err != nil {
			b.mu.Unlock()
			return nil, err
		}
		if b.head < len(b.q) {
			msg := b.q[b.head]
			b.q[b.head] = nil
			b.head++
			more := true
			switch {
			case b.head == len(b.q):
				b.q, b.head, more = b.q[:0], 0, false
			case b.head >= 64 && 2*b.head >= len(b.q):
				n := copy(b.q, b.q[b.head:])
				clear(b.q[n:])
				b.q, b.head = b.q[:n], 0
			}
			b.mu.Unlock()
			if more { // another Recv may be waiting for the rest
				select {
				case b.wake <- struct{}{}:
				default:
				}
			}
			return msg, nil
		}
		if err := b.endErr; err != nil {
			b.mu.Unlock()
			return nil, err
		}
		b.mu.Unlock()
		if idle > 0 && timeout == nil {
			t := time.NewTimer(idle)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-b.wake:
		case <-b.dead:
		case <-ctx.Done():
		case <-timeout:
			return nil, fmt.Errorf("party %d: %w for %s", from, ErrNoMessage, trFormatDur(idle))
		}
	}
}

// trRecent remembers the last trRecentMax closed session ids.
type trRecent struct {
	why  map[SessionID]string
	ring []SessionID
	next int
}

func (r *trRecent) add(id SessionID, why string) {
	if r.why == nil {
		r.why = make(map[SessionID]string)
	}
	if _, ok := r.why[id]; ok {
		r.why[id] = why
		return
	}
	if len(r.ring) < trRecentMax {
		r.ring = append(r.ring, id)
	} else {
		delete(r.why, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % trRecentMax
	}
	r.why[id] = why
}

// trFormatDur prints whole seconds as "60s" and other durations as Go does.
func trFormatDur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}
