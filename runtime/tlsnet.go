package runtime

// The TLS network: one TCP + TLS 1.3 connection per pair of parties,
// authenticated both ways by certificates pinned in the deployment config.
//
// Connection rule: every party listens on its address; party i dials each
// party j < i (so 1 dials 0, 2 dials 0 and 1), retrying with backoff, so
// the three can start in any order and each pair has exactly one
// connection. There is no CA: both sides present their own certificate
// (InsecureSkipVerify on the client, RequireAnyClientCert on the server turn
// off chain verification) and VerifyConnection accepts a peer only if the
// SHA-256 of its leaf certificate's DER equals that of the certificate the
// config lists for the party it is; TLS itself proves the peer holds the
// matching key. The peer's party index comes from its pinned certificate.
// After the handshake each side sends a hello ("MPCSNET" 1, party) so the
// dialer learns that the listener accepted its certificate.
//
// Each connection has a reader goroutine, which demultiplexes frames into
// the sessions' inboxes (transport_mux.go), and a writer goroutine, which
// drains a queue of frames through a bufio.Writer: Send only appends to the
// queue (no copy), small messages coalesce into few TLS records, large
// payloads go straight to the TLS layer, whose records are gathered under
// it into writes of up to 256 KiB (trBufConn). A payload's buffer returns
// to the protocols' pool once written, and received payloads come from it.
//
// A failed connection fails the sessions bound to it. The dialing side
// keeps redialing and the listening side keeps accepting, so sessions opened
// after a reconnection work again.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

const (
	trBackoffMin = 50 * time.Millisecond
	trBackoffMax = 2 * time.Second
	// trDrainTimeout bounds how long Close waits for queued frames to be
	// written and the peers to acknowledge the end of the connection.
	trDrainTimeout = 2 * time.Second
	trBufSize      = 64 << 10
	// trWriteChunk is the most a single Write hands to TLS under one
	// deadline.
	trWriteChunk = 1 << 20
)

var trKeepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// ListenTLS starts party's endpoint of the deployment cfg: it listens on the
// party's address, connects to the two other parties (see the connection
// rule above) and returns once both links are up. It fails if a party is
// not reachable within the connect timeout ("party 2 (10.0.0.3:7100)
// unreachable: ..."), if ctx ends first, or at once if a party presents a
// certificate other than the pinned one. ctx bounds only the start-up.
func ListenTLS(ctx context.Context, cfg *Config, party int) (Network, error) {
	n, err := trNewTLSNet(cfg, party)
	if err != nil {
		return nil, err
	}
	addr := cfg.Lookup(party).ListenAddress()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("party %d: listen on %s: %w", party, addr, err)
	}
	return n.start(ctx, ln)
}

// NewTLSNetwork is ListenTLS on a listener the caller opened (for instance
// on an ephemeral port); the network owns ln and closes it.
func NewTLSNetwork(ctx context.Context, cfg *Config, party int, ln net.Listener) (Network, error) {
	n, err := trNewTLSNet(cfg, party)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return n.start(ctx, ln)
}

func (n *trTLSNet) start(ctx context.Context, ln net.Listener) (Network, error) {
	n.ln = ln
	n.wg.Add(1)
	go n.acceptLoop()
	for j := range n.party {
		n.wg.Add(1)
		go n.dialLoop(j)
	}
	if err := n.waitStart(ctx); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

type trTLSNet struct {
	m       *trMux
	cfg     *Config
	party   int
	ln      net.Listener
	pins    [3][32]byte
	addrs   [3]string
	connect time.Duration
	idle    time.Duration
	log     *slog.Logger
	server  *tls.Config
	client  [3]*tls.Config

	ctx    context.Context // the network's lifetime
	cancel context.CancelFunc
	wg     sync.WaitGroup
	fatal  chan error
	once   sync.Once

	mu         sync.Mutex
	closing    bool
	live       map[net.Conn]struct{} // raw connections, to close on Close
	conns      map[*trTLSConn]struct{}
	dialErr    [3]error
	lastReject error
}

func trNewTLSNet(cfg *Config, party int) (*trTLSNet, error) {
	certs, err := cfg.trCerts()
	if err != nil {
		return nil, err
	}
	pc := cfg.Lookup(party)
	if party < 0 || party > 2 || pc == nil {
		return nil, fmt.Errorf("%s: no party %d; parties are 0, 1 and 2", cfg.name(), party)
	}
	if pc.Key == "" {
		return nil, fmt.Errorf("%s: party %d: key is not set; party %d needs its own private key", cfg.name(), party, party)
	}
	keyPath := cfg.Resolve(pc.Key)
	own, err := tls.LoadX509KeyPair(cfg.Resolve(pc.Cert), keyPath)
	if err != nil {
		return nil, fmt.Errorf("%s: party %d: cert = %q, key = %q: %w", cfg.name(), party, pc.Cert, pc.Key, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("party", party)
	if st, err := os.Stat(keyPath); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("mpcs transport: private key is readable by others; chmod 600 it", "key", keyPath)
	}
	n := &trTLSNet{
		m:       trNewMux(party),
		cfg:     cfg,
		party:   party,
		connect: cfg.ConnectTimeout(),
		idle:    cfg.IdleTimeout(),
		log:     log,
		fatal:   make(chan error, 3),
		live:    make(map[net.Conn]struct{}),
		conns:   make(map[*trTLSConn]struct{}),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	for p := range 3 {
		n.pins[p] = sha256.Sum256(certs[p].Raw)
		n.addrs[p] = cfg.Lookup(p).Address
	}
	n.m.idle.Store(int64(n.idle))
	n.m.wait = n.connect
	n.m.pendTTL = max(2*n.idle, time.Minute)
	n.server = &tls.Config{
		MinVersion:             tls.VersionTLS13,
		MaxVersion:             tls.VersionTLS13,
		Certificates:           []tls.Certificate{own},
		ClientAuth:             tls.RequireAnyClientCert,
		SessionTicketsDisabled: true,
		// Full-size records from the first byte: throughput over latency.
		DynamicRecordSizingDisabled: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			p, err := n.identify(cs)
			if err != nil {
				return err
			}
			if p < n.party {
				return fmt.Errorf("party %d dialed party %d, but only higher-numbered parties dial (is it running another version?)", p, n.party)
			}
			return nil
		},
	}
	for j := range party {
		n.client[j] = &tls.Config{
			MinVersion:         tls.VersionTLS13,
			MaxVersion:         tls.VersionTLS13,
			Certificates:       []tls.Certificate{own},
			InsecureSkipVerify: true, // no CA: VerifyConnection checks the pin
			ServerName:         fmt.Sprintf("party%d.mpcs", j),
			// Full-size records from the first byte: throughput over latency.
			DynamicRecordSizingDisabled: true,
			VerifyConnection: func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return &trPinError{fmt.Sprintf("party %d (%s) presented no certificate", j, n.addrs[j])}
				}
				sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
				if sum != n.pins[j] {
					return &trPinError{fmt.Sprintf("party %d (%s) presented a certificate (sha256 %x…) other than the one pinned for it in %s (sha256 %x…)",
						j, n.addrs[j], sum[:8], n.cfg.name(), n.pins[j][:8])}
				}
				return nil
			},
		}
	}
	return n, nil
}

// trPinError is a certificate that is not the pinned one.
type trPinError struct{ msg string }

func (e *trPinError) Error() string { return e.msg }

// identify returns the party whose pinned certificate the peer presented.
func (n *trTLSNet) identify(cs tls.ConnectionState) (int, error) {
	if len(cs.PeerCertificates) == 0 {
		return -1, &trPinError{"the peer presented no certificate"}
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	for p := range 3 {
		if p != n.party && sum == n.pins[p] {
			return p, nil
		}
	}
	return -1, &trPinError{fmt.Sprintf("certificate %q (sha256 %x…) is not pinned for any other party in %s",
		leaf.Subject.CommonName, sum[:8], n.cfg.name())}
}

func (n *trTLSNet) Party() int { return n.party }

func (n *trTLSNet) Session(ctx context.Context, id SessionID) (Conn, error) {
	return n.m.session(ctx, id)
}

// Close ends every session, writes what is queued (up to a short timeout),
// closes the connections and stops the goroutines.
func (n *trTLSNet) Close() error {
	n.shut(true)
	return nil
}

func (n *trTLSNet) shut(drain bool) {
	n.once.Do(func() {
		n.cancel()
		n.ln.Close()
		n.m.shutdown()
		n.mu.Lock()
		n.closing = true
		conns := make([]*trTLSConn, 0, len(n.conns))
		for c := range n.conns {
			conns = append(conns, c)
		}
		n.mu.Unlock()
		if drain {
			for _, c := range conns {
				c.startDrain()
			}
			t := time.NewTimer(trDrainTimeout)
			for _, c := range conns {
				select {
				case <-c.done:
				case <-t.C:
				}
			}
			t.Stop()
		}
		n.mu.Lock()
		live := make([]net.Conn, 0, len(n.live))
		for c := range n.live {
			live = append(live, c)
		}
		n.mu.Unlock()
		for _, c := range live {
			c.Close()
		}
		for _, c := range conns {
			c.fail(errors.New("network closed"))
		}
		n.wg.Wait()
	})
}

func (n *trTLSNet) track(c net.Conn) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return false
	}
	n.live[c] = struct{}{}
	return true
}

func (n *trTLSNet) untrack(c net.Conn) {
	n.mu.Lock()
	delete(n.live, c)
	n.mu.Unlock()
}

// waitStart waits until both links are up.
func (n *trTLSNet) waitStart(ctx context.Context) error {
	timer := time.NewTimer(n.connect)
	defer timer.Stop()
	for {
		n.m.mu.Lock()
		var missing []int
		for p := range 3 {
			if p != n.party && n.m.links[p] == nil {
				missing = append(missing, p)
			}
		}
		ch := n.m.changed
		n.m.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ch:
		case err := <-n.fatal:
			return err
		case <-ctx.Done():
			return fmt.Errorf("party %d: start-up: %w", n.party, ctx.Err())
		case <-timer.C:
			return n.unreachable(missing)
		}
	}
}

func (n *trTLSNet) unreachable(missing []int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	var errs []error
	for _, p := range missing {
		var cause error
		if p < n.party {
			cause = n.dialErr[p]
			if cause == nil {
				cause = fmt.Errorf("no connection within %s", trFormatDur(n.connect))
			}
		} else {
			cause = fmt.Errorf("it did not connect to party %d (%s) within %s", n.party, n.addrs[n.party], trFormatDur(n.connect))
			if n.lastReject != nil {
				cause = fmt.Errorf("%w; last rejected connection: %v", cause, n.lastReject)
			}
		}
		errs = append(errs, fmt.Errorf("party %d (%s) %w: %w", p, n.addrs[p], ErrPeerUnreachable, cause))
	}
	return errors.Join(errs...)
}

func trTuneTCP(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		_ = tc.SetKeepAliveConfig(trKeepAlive)
	}
}

func (n *trTLSNet) acceptLoop() {
	defer n.wg.Done()
	for {
		raw, err := n.ln.Accept()
		if err != nil {
			if n.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			n.log.Warn("mpcs transport: accept", "err", err)
			select {
			case <-n.ctx.Done():
				return
			case <-time.After(trBackoffMin):
			}
			continue
		}
		if !n.track(raw) {
			raw.Close()
			return
		}
		n.wg.Add(1)
		go n.handshakeIn(raw)
	}
}

func (n *trTLSNet) handshakeIn(raw net.Conn) {
	defer n.wg.Done()
	trTuneTCP(raw)
	deadline := time.Now().Add(n.connect)
	_ = raw.SetDeadline(deadline)
	bc := &trBufConn{Conn: raw}
	tc := tls.Server(bc, n.server)
	err := tc.Handshake()
	p := -1
	if err == nil {
		p, err = n.identify(tc.ConnectionState())
	}
	if err == nil {
		err = n.hello(tc, p)
	}
	if err != nil {
		raw.Close()
		n.untrack(raw)
		err = fmt.Errorf("from %s: %w", raw.RemoteAddr(), err)
		n.mu.Lock()
		n.lastReject = err
		n.mu.Unlock()
		if n.ctx.Err() == nil {
			n.log.Warn("mpcs transport: rejected connection", "err", err)
		}
		return
	}
	_ = raw.SetDeadline(time.Time{})
	n.attach(n.newConn(p, tc, raw, bc))
}

func (n *trTLSNet) dialLoop(j int) {
	defer n.wg.Done()
	backoff := trBackoffMin
	for {
		c, err := n.dial(j)
		if n.ctx.Err() != nil {
			if c != nil {
				c.fail(errors.New("network closed"))
			}
			return
		}
		if err == nil {
			up := time.Now()
			if !n.attach(c) {
				return
			}
			select {
			case <-c.done:
			case <-n.ctx.Done():
				return
			}
			n.log.Info("mpcs transport: reconnecting", "peer", j)
			if time.Since(up) > 2*trBackoffMax {
				backoff = trBackoffMin
				continue // redial at once after a long-lived connection
			}
		} else {
			n.mu.Lock()
			n.dialErr[j] = err
			n.mu.Unlock()
			var pe *trPinError
			if errors.As(err, &pe) {
				select {
				case n.fatal <- err:
				default:
				}
				n.log.Warn("mpcs transport: dial", "peer", j, "err", err)
			}
		}
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, trBackoffMax)
	}
}

// dial connects to party j and authenticates it.
func (n *trTLSNet) dial(j int) (*trTLSConn, error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.connect)
	defer cancel()
	d := net.Dialer{KeepAliveConfig: trKeepAlive}
	raw, err := d.DialContext(ctx, "tcp", n.addrs[j])
	if err != nil {
		return nil, err
	}
	if !n.track(raw) {
		raw.Close()
		return nil, errors.New("network closed")
	}
	trTuneTCP(raw)
	deadline, _ := ctx.Deadline()
	_ = raw.SetDeadline(deadline)
	bc := &trBufConn{Conn: raw}
	tc := tls.Client(bc, n.client[j])
	err = tc.HandshakeContext(ctx)
	if err == nil {
		err = n.hello(tc, j)
	}
	if err != nil {
		raw.Close()
		n.untrack(raw)
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "remote error" {
			err = fmt.Errorf("it refused our TLS connection: %w (does its config pin our certificate?)", err)
		}
		return nil, err
	}
	_ = raw.SetDeadline(time.Time{})
	return n.newConn(j, tc, raw, bc), nil
}

// hello exchanges the hello message on a fresh connection to party p.
func (n *trTLSNet) hello(tc *tls.Conn, p int) error {
	var out [9]byte
	copy(out[:], trHelloMagic[:])
	out[8] = byte(n.party)
	if _, err := tc.Write(out[:]); err != nil {
		return err
	}
	var in [9]byte
	if _, err := io.ReadFull(tc, in[:]); err != nil {
		return trNoEOF(err)
	}
	if [8]byte(in[:8]) != trHelloMagic {
		return fmt.Errorf("party %d does not speak this version of the mpcs transport", p)
	}
	if int(in[8]) != p {
		return fmt.Errorf("the peer holds party %d's certificate but says it is party %d", p, in[8])
	}
	return nil
}

// attach makes c the link to its peer and starts its goroutines.
func (n *trTLSNet) attach(c *trTLSConn) bool {
	n.mu.Lock()
	if n.closing {
		n.mu.Unlock()
		c.fail(errors.New("network closed"))
		return false
	}
	n.conns[c] = struct{}{}
	n.mu.Unlock()
	old, ok := n.m.linkUp(c)
	if !ok {
		c.fail(errors.New("network closed"))
		return false
	}
	if old != nil {
		old.(*trTLSConn).fail(errors.New("replaced by a new connection"))
	}
	n.log.Debug("mpcs transport: connected", "peer", c.peer)
	n.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return true
}

// trTLSConn is an authenticated connection to one peer; it implements
// trLink.
type trTLSConn struct {
	n    *trTLSNet
	peer int
	tc   *tls.Conn
	raw  net.Conn
	bc   *trBufConn // raw, gathering TLS's writes

	mu       sync.Mutex
	q        []trOutFrame
	err      error
	draining bool
	wake     chan struct{}
	done     chan struct{} // closed when the connection has failed
}

type trOutFrame struct {
	id      SessionID
	kind    byte
	payload []byte
}

func (n *trTLSNet) newConn(p int, tc *tls.Conn, raw net.Conn, bc *trBufConn) *trTLSConn {
	bc.buffer(trRawBufSize)
	return &trTLSConn{n: n, peer: p, tc: tc, raw: raw, bc: bc, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// trBufConn is the TCP connection under TLS. After the handshake its
// writes are gathered (many TLS records per system call, which costs a
// quarter of the CPU per byte of a record per call) until flush, which the
// writer calls whenever its queue is empty.
type trBufConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte // nil: unbuffered
}

// trRawBufSize is how much the writer gathers under TLS.
const trRawBufSize = 256 << 10

func (b *trBufConn) buffer(n int) {
	b.mu.Lock()
	b.buf = make([]byte, 0, n)
	b.mu.Unlock()
}

func (b *trBufConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf == nil {
		return b.Conn.Write(p)
	}
	if len(b.buf)+len(p) > cap(b.buf) {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= cap(b.buf) {
			return b.Conn.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *trBufConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *trBufConn) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

func (c *trTLSConn) trPeer() int { return c.peer }

func (c *trTLSConn) trSend(id SessionID, kind byte, payload []byte) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.q = append(c.q, trOutFrame{id, kind, payload})
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *trTLSConn) startDrain() {
	c.mu.Lock()
	c.draining = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// fail marks the connection dead with cause and fails its sessions.
func (c *trTLSConn) fail(cause error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = fmt.Errorf("party %d %w: %w", c.peer, ErrPeerDisconnected, trCause(cause))
	err := c.err
	c.q = nil
	close(c.done)
	c.mu.Unlock()
	c.raw.Close()
	n := c.n
	n.mu.Lock()
	delete(n.live, c.raw)
	delete(n.conns, c)
	n.mu.Unlock()
	n.m.linkDown(c, err)
	if n.ctx.Err() == nil {
		n.log.Info("mpcs transport: disconnected", "err", err)
	}
}

func (c *trTLSConn) readLoop() {
	defer c.n.wg.Done()
	br := bufio.NewReaderSize(c.tc, trBufSize)
	for {
		id, kind, payload, err := trReadFrame(br, MaxMessageSize)
		if err != nil {
			c.fail(err)
			return
		}
		c.n.m.deliver(c, id, kind, payload)
	}
}

func (c *trTLSConn) writeLoop() {
	defer c.n.wg.Done()
	bw := bufio.NewWriterSize(&trDeadlineWriter{c: c.tc, d: c.n.idle}, trBufSize)
	var batch []trOutFrame
	var hdr [trHeaderMax]byte
	for {
		c.mu.Lock()
		batch, c.q = c.q, batch[:0]
		err, draining := c.err, c.draining
		c.mu.Unlock()
		if err != nil {
			return
		}
		if len(batch) == 0 {
			if bw.Buffered() > 0 {
				if err := bw.Flush(); err != nil {
					c.fail(err)
					return
				}
			}
			if err := c.flushRaw(); err != nil {
				c.fail(err)
				return
			}
			if draining {
				// Tell the peer we are done; its reader then closes the
				// connection, which ends ours.
				_ = c.tc.CloseWrite()
				_ = c.flushRaw()
				return
			}
			select {
			case <-c.wake:
			case <-c.done:
				return
			}
			continue
		}
		for i := range batch {
			f := &batch[i]
			bw.Write(trAppendFrameHeader(hdr[:0], f.id, f.kind, len(f.payload)))
			if _, err := bw.Write(f.payload); err != nil {
				c.fail(err)
				return
			}
			releaseMsg(f.payload) // Send gave us the message
			batch[i] = trOutFrame{}
		}
	}
}

// flushRaw writes what TLS has gathered, under the idle deadline.
func (c *trTLSConn) flushRaw() error {
	_ = c.raw.SetWriteDeadline(time.Now().Add(c.n.idle))
	return c.bc.flush()
}

// trDeadlineWriter writes in chunks, each under a fresh write deadline, so a
// peer that stops reading fails the connection after the idle timeout.
type trDeadlineWriter struct {
	c net.Conn
	d time.Duration
}

func (w *trDeadlineWriter) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		k := min(len(p)-done, trWriteChunk)
		_ = w.c.SetWriteDeadline(time.Now().Add(w.d))
		m, err := w.c.Write(p[done : done+k])
		done += m
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// trCauseError rewords the end of a connection.
type trCauseError struct {
	msg string
	err error
}

func (e *trCauseError) Error() string { return e.msg }
func (e *trCauseError) Unwrap() error { return e.err }

func trCause(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		return &trCauseError{"connection closed by the peer", err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &trCauseError{"connection closed by the peer in the middle of a frame", err}
	}
	return err
}
