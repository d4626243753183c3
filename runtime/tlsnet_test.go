package runtime

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTLSExchange(t *testing.T) {
	d := trNewDeploy(t, "")
	nets := d.startAll(t)
	for p := range 3 {
		require.Equal(t, p, nets[p].Party())
	}
	trExercise(t, nets, 100, 10, 200)
	// Messages of every size class, including empty ones.
	trExercise(t, nets, 4, 3, 70_000)
	ctx := context.Background()
	c0, err := nets[0].Session(ctx, trSID(1))
	require.NoError(t, err)
	c2, err := nets[2].Session(ctx, trSID(1))
	require.NoError(t, err)
	require.NoError(t, c0.Send(2, []byte{}))
	got, err := c2.Recv(ctx, 0)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestTLSLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 256 MiB")
	}
	d := trNewDeploy(t, "")
	nets := d.startAll(t)
	ctx := context.Background()
	const size = 64 << 20
	var cs [3]Conn
	for p := range 3 {
		c, err := nets[p].Session(ctx, trSID(9))
		require.NoError(t, err)
		cs[p] = c
	}
	big := func(seed uint64) []byte {
		b := make([]byte, size)
		r := rand.NewChaCha8([32]byte{byte(seed)})
		r.Read(b)
		return b
	}
	want := map[[2]int]string{}
	// 0 <-> 1 both ways at once, and 2 -> 0.
	for _, pair := range [][2]int{{0, 1}, {1, 0}, {2, 0}} {
		m := big(uint64(pair[0]*3 + pair[1]))
		want[pair] = trSum(m)
		require.NoError(t, cs[pair[0]].Send(pair[1], m))
	}
	for _, pair := range [][2]int{{0, 1}, {1, 0}, {2, 0}} {
		got, err := cs[pair[1]].Recv(ctx, pair[0])
		require.NoError(t, err)
		require.Len(t, got, size)
		require.Equal(t, want[pair], trSum(got), "%d -> %d", pair[0], pair[1])
	}
	sent, recvd := cs[0].Stats()
	require.Equal(t, int64(size), sent)
	require.Equal(t, int64(2*size), recvd)
}

func TestTLSStartInAnyOrder(t *testing.T) {
	d := trNewDeploy(t, `connect = "10s"`)
	var nets [3]Network
	var errs [3]error
	var wg sync.WaitGroup
	for i, p := range []int{2, 1, 0} { // the dialers first
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 150 * time.Millisecond)
			nets[p], errs[p] = NewTLSNetwork(context.Background(), d.cfg, p, d.lns[p])
		}()
	}
	wg.Wait()
	for p := range 3 {
		require.NoError(t, errs[p])
		defer nets[p].Close()
	}
	trExercise(t, nets, 5, 3, 10)
}

func TestTLSUnreachable(t *testing.T) {
	d := trNewDeploy(t, `connect = "700ms"`)
	// Party 2 never starts: parties 0 and 1 wait for it to dial them.
	d.lns[2].Close()
	start := time.Now()
	_, errs := d.start(t, 0, 1)
	elapsed := time.Since(start)
	addr2 := d.cfg.Lookup(2).Address
	for p := range 2 {
		require.ErrorIs(t, errs[p], ErrPeerUnreachable, "party %d", p)
		require.ErrorContains(t, errs[p], "party 2 ("+addr2+") unreachable: it did not connect")
	}
	require.Less(t, elapsed, 5*time.Second)

	// Party 2 alone: it dials 0 and 1, which refuse the connection.
	d2 := trNewDeploy(t, `connect = "500ms"`)
	d2.lns[0].Close()
	d2.lns[1].Close()
	_, errs = d2.start(t, 2)
	require.ErrorIs(t, errs[2], ErrPeerUnreachable)
	msg := errs[2].Error()
	require.Contains(t, msg, "party 0 ("+d2.cfg.Lookup(0).Address+") unreachable: ")
	require.Contains(t, msg, "party 1 ("+d2.cfg.Lookup(1).Address+") unreachable: ")
	require.Contains(t, msg, "connection refused")
}

// trImpostorCert returns a key pair that is not in the config.
func trImpostorCert(t *testing.T, party int) tls.Certificate {
	dir := t.TempDir()
	certPath, keyPath, err := GenerateKey(party, dir)
	require.NoError(t, err)
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	return cert
}

func TestTLSUnpinnedClientRejected(t *testing.T) {
	d := trNewDeploy(t, "")
	nets := d.startAll(t)
	// An impostor with its own key says it is party 2 and dials party 0.
	conn, err := tls.Dial("tcp", d.cfg.Lookup(0).Address, &tls.Config{
		Certificates:       []tls.Certificate{trImpostorCert(t, 2)},
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS13,
	})
	if err == nil {
		// TLS 1.3: the client finishes first; the rejection arrives on read.
		conn.Write(append(trHelloMagic[:], 2))
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadFull(conn, make([]byte, 9))
		conn.Close()
	}
	require.Error(t, err)
	require.Contains(t, err.Error(), "bad certificate")
	require.Eventually(t, func() bool { return strings.Contains(d.log.String(), "not pinned for any other party") },
		5*time.Second, 10*time.Millisecond, "party 0 logs the rejection; log:\n%s", d.log.String())
	// The real parties are unaffected.
	trExercise(t, nets, 3, 2, 10)
}

func TestTLSUnpinnedServerRejected(t *testing.T) {
	d := trNewDeploy(t, `connect = "5s"`)
	// An impostor listens on party 0's address with its own key.
	ln := tls.NewListener(d.lns[0], &tls.Config{
		Certificates: []tls.Certificate{trImpostorCert(t, 0)},
		ClientAuth:   tls.RequireAnyClientCert,
		MinVersion:   tls.VersionTLS13,
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	start := time.Now()
	_, errs := d.start(t, 1)
	require.Error(t, errs[1])
	require.Contains(t, errs[1].Error(), "party 0 ("+d.cfg.Lookup(0).Address+") presented a certificate (sha256")
	require.Contains(t, errs[1].Error(), "other than the one pinned for it")
	require.Less(t, time.Since(start), 3*time.Second, "a pin mismatch fails at once, not after the connect timeout")
}

func TestTLS12Rejected(t *testing.T) {
	d := trNewDeploy(t, "")
	nets := d.startAll(t)
	// Even with party 2's genuine key, TLS 1.2 is refused.
	own, err := tls.LoadX509KeyPair(d.cfg.Resolve(d.cfg.Lookup(2).Cert), d.cfg.Resolve(d.cfg.Lookup(2).Key))
	require.NoError(t, err)
	conn, err := tls.Dial("tcp", d.cfg.Lookup(0).Address, &tls.Config{
		Certificates:       []tls.Certificate{own},
		InsecureSkipVerify: true,
		MaxVersion:         tls.VersionTLS12,
	})
	if err == nil {
		conn.Close()
	}
	require.Error(t, err)
	require.Contains(t, err.Error(), "protocol version")
	trExercise(t, nets, 2, 2, 10)
}

func TestTLSKillParty(t *testing.T) {
	for _, graceful := range []bool{true, false} {
		name := "crash"
		if graceful {
			name = "close"
		}
		t.Run(name, func(t *testing.T) {
			d := trNewDeploy(t, `idle = "30s"`)
			nets := d.startAll(t)
			ctx := context.Background()
			var cs [3]Conn
			for p := range 3 {
				c, err := nets[p].Session(ctx, trSID(5))
				require.NoError(t, err)
				cs[p] = c
			}
			errs := make(chan error, 2)
			for _, p := range []int{0, 1} {
				go func() { _, err := cs[p].Recv(ctx, 2); errs <- err }()
			}
			time.Sleep(20 * time.Millisecond)
			start := time.Now()
			if graceful {
				nets[2].Close()
			} else {
				nets[2].(*trTLSNet).shut(false)
			}
			for range 2 {
				err := <-errs
				require.ErrorIs(t, err, ErrPeerDisconnected)
				require.ErrorContains(t, err, "party 2 disconnected: ")
			}
			require.Less(t, time.Since(start), 3*time.Second)
			// Later Recvs and Sends of the session fail the same way; the
			// link between 0 and 1 still works.
			_, err := cs[0].Recv(ctx, 2)
			require.ErrorIs(t, err, ErrPeerDisconnected)
			require.ErrorIs(t, cs[1].Send(2, []byte("x")), ErrPeerDisconnected)
			require.NoError(t, cs[0].Send(1, []byte("still here")))
			got, err := cs[1].Recv(ctx, 0)
			require.NoError(t, err)
			require.Equal(t, "still here", string(got))
		})
	}
}

func TestTLSReconnect(t *testing.T) {
	d := trNewDeploy(t, `connect = "5s"`)
	nets := d.startAll(t)
	trExercise(t, nets, 3, 2, 10)
	addr := d.cfg.Lookup(2).Address
	nets[2].Close()
	// Party 2 restarts on the same address; new sessions work again.
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	n2, err := NewTLSNetwork(context.Background(), d.cfg, 2, ln)
	require.NoError(t, err)
	defer n2.Close()
	nets[2] = n2
	trExercise(t, nets, 3, 2, 10)

	// Party 0, which only listens, restarts: 1 and 2 redial it.
	addr = d.cfg.Lookup(0).Address
	nets[0].Close()
	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	n0, err := NewTLSNetwork(context.Background(), d.cfg, 0, ln)
	require.NoError(t, err)
	defer n0.Close()
	nets[0] = n0
	trExercise(t, nets, 3, 2, 10)
}

func TestTLSIdleTimeout(t *testing.T) {
	d := trNewDeploy(t, `idle = "150ms"`)
	nets := d.startAll(t)
	c, err := nets[0].Session(context.Background(), trSID(1))
	require.NoError(t, err)
	_, err = c.Recv(context.Background(), 1)
	require.ErrorIs(t, err, ErrNoMessage)
	require.EqualError(t, err, "party 1: no message for 150ms")
}

func TestTLSCloseFlushes(t *testing.T) {
	// A party that sends its last message and closes at once does not lose
	// the message.
	d := trNewDeploy(t, "")
	nets := d.startAll(t)
	ctx := context.Background()
	c1, err := nets[1].Session(ctx, trSID(3))
	require.NoError(t, err)
	c2, err := nets[2].Session(ctx, trSID(3))
	require.NoError(t, err)
	last := bytes.Repeat([]byte("z"), 8<<20)
	require.NoError(t, c2.Send(1, last))
	nets[2].Close()
	got, err := c1.Recv(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, len(last), len(got))
	_, err = c1.Recv(ctx, 2)
	require.ErrorIs(t, err, ErrPeerDisconnected)
}

func TestTLSConfigErrors(t *testing.T) {
	d := trNewDeploy(t, "")
	cfg := *d.cfg
	cfg.Party = append([]PartyConfig(nil), d.cfg.Party...)
	cfg.Party[1].Key = ""
	_, err := ListenTLS(context.Background(), &cfg, 1)
	require.ErrorContains(t, err, "party 1: key is not set")
	cfg.Party[1].Key = "keys/party0.key" // not the key of party 1's cert
	_, err = ListenTLS(context.Background(), &cfg, 1)
	require.ErrorContains(t, err, "private key does not match public key")
	_, err = ListenTLS(context.Background(), d.cfg, 5)
	require.ErrorContains(t, err, "no party 5")
	// The address is taken (by the reserved listener).
	_, err = ListenTLS(context.Background(), d.cfg, 0)
	require.ErrorContains(t, err, "party 0: listen on "+d.cfg.Lookup(0).Address)
}

func TestTLSStartCancelled(t *testing.T) {
	d := trNewDeploy(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := NewTLSNetwork(ctx, d.cfg, 0, d.lns[0])
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestTLSKeygenRelativePaths(t *testing.T) {
	// Config paths are relative to the config file, not the working dir.
	d := trNewDeploy(t, "")
	require.Equal(t, filepath.Join(d.dir, "keys/party1.crt"), d.cfg.Resolve(d.cfg.Lookup(1).Cert))
}

// BenchmarkTLSThroughput measures one-way throughput of 1 MiB messages
// between two TLS parties on localhost.
func BenchmarkTLSThroughput(b *testing.B) {
	d := trNewDeploy(b, "")
	nets := d.startAll(b)
	ctx := context.Background()
	c0, err := nets[0].Session(ctx, trSID(1))
	require.NoError(b, err)
	c1, err := nets[1].Session(ctx, trSID(1))
	require.NoError(b, err)
	msg := make([]byte, 1<<20)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	done := make(chan error, 1)
	go func() {
		for range b.N {
			if _, err := c1.Recv(ctx, 0); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range b.N {
		if err := c0.Send(1, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTLSRound measures a round of the protocol shape: every party
// sends 1 MiB to both others and receives from both.
func BenchmarkTLSRound(b *testing.B) {
	d := trNewDeploy(b, "")
	nets := d.startAll(b)
	ctx := context.Background()
	var cs [3]Conn
	for p := range 3 {
		c, err := nets[p].Session(ctx, trSID(1))
		require.NoError(b, err)
		cs[p] = c
	}
	msg := make([]byte, 1<<20)
	b.SetBytes(6 * int64(len(msg))) // bytes moved per round, all parties
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for p := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range b.N {
				cs[p].Send(Next(p), msg)
				cs[p].Send(Prev(p), msg)
				for _, q := range []int{Next(p), Prev(p)} {
					if _, err := cs[p].Recv(ctx, q); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(func() (es []error) {
		for e := range errs {
			es = append(es, e)
		}
		return
	}()...); err != nil {
		b.Fatal(err)
	}
}
