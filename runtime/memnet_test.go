package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMemNetOrdering(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	var cs [3]Conn
	for p := range 3 {
		require.Equal(t, p, nets[p].Party())
		c, err := nets[p].Session(ctx, trSID(1))
		require.NoError(t, err)
		require.Equal(t, p, c.Party())
		cs[p] = c
	}
	const n = 2000
	for i := range n {
		require.NoError(t, cs[0].Send(1, []byte(fmt.Sprint("to1 ", i))))
		require.NoError(t, cs[0].Send(2, []byte(fmt.Sprint("to2 ", i))))
		require.NoError(t, cs[2].Send(1, []byte(fmt.Sprint("from2 ", i))))
	}
	for i := range n {
		got, err := cs[1].Recv(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("to1 ", i), string(got))
		got, err = cs[2].Recv(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("to2 ", i), string(got))
	}
	for i := range n {
		got, err := cs[1].Recv(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("from2 ", i), string(got))
	}
	// Sending to oneself or to a party that does not exist is an error.
	require.Error(t, cs[0].Send(0, nil))
	require.Error(t, cs[0].Send(3, nil))
	_, err := cs[0].Recv(ctx, 0)
	require.Error(t, err)
}

func TestMemNetManySessions(t *testing.T) {
	nets := NewMemNetworks()
	trExercise(t, nets, 200, 20, 64)
}

func TestMemNetMessagesBeforeOpen(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, err := nets[0].Session(ctx, trSID(7))
	require.NoError(t, err)
	require.NoError(t, c0.Send(1, []byte("early")))
	require.NoError(t, c0.Send(1, []byte("bird")))
	c1, err := nets[1].Session(ctx, trSID(7))
	require.NoError(t, err)
	for _, want := range []string{"early", "bird"} {
		got, err := c1.Recv(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	// An id cannot be opened twice.
	_, err = nets[1].Session(ctx, trSID(7))
	require.ErrorContains(t, err, "already open")
	// Nor reopened after Close.
	c1.Close()
	_, err = nets[1].Session(ctx, trSID(7))
	require.ErrorContains(t, err, "was closed")
}

func TestMemNetCtx(t *testing.T) {
	nets := NewMemNetworks()
	c, err := nets[0].Session(context.Background(), trSID(1))
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Recv(ctx, 1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 5*time.Second)

	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel2() }()
	_, err = c.Recv(ctx2, 2)
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "receive from party 2")

	_, err = nets[1].Session(ctx2, trSID(1))
	require.ErrorIs(t, err, context.Canceled)
}

func TestMemNetClose(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c, err := nets[0].Session(ctx, trSID(1))
	require.NoError(t, err)
	done := make(chan error)
	go func() { _, err := c.Recv(ctx, 1); done <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, c.Close())
	err = <-done
	require.ErrorIs(t, err, ErrSessionClosed)
	require.ErrorContains(t, err, "session "+trSID(1).String()+" closed")
	require.ErrorIs(t, c.Send(1, []byte("x")), ErrSessionClosed)
	require.NoError(t, c.Close(), "Close is idempotent")

	// Closing the network fails pending Recvs of its sessions.
	c2, err := nets[0].Session(ctx, trSID(2))
	require.NoError(t, err)
	go func() { _, err := c2.Recv(ctx, 2); done <- err }()
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, nets[0].Close())
	err = <-done
	require.ErrorIs(t, err, ErrSessionClosed)
	require.ErrorContains(t, err, "network was shut down")
	_, err = nets[0].Session(ctx, trSID(3))
	require.ErrorIs(t, err, ErrSessionClosed)
}

func TestMemNetPeerClosesSession(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, _ := nets[0].Session(ctx, trSID(1))
	c1, _ := nets[1].Session(ctx, trSID(1))
	require.NoError(t, c0.Send(1, []byte("last words")))
	require.NoError(t, c0.Close())
	got, err := c1.Recv(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, "last words", string(got))
	_, err = c1.Recv(ctx, 0)
	require.ErrorIs(t, err, ErrPeerClosedSession)
	require.EqualError(t, err, "party 0 closed the session")
	// Party 2 has not yet opened the session: it gets the close too.
	c2, _ := nets[2].Session(ctx, trSID(1))
	_, err = c2.Recv(ctx, 0)
	require.ErrorIs(t, err, ErrPeerClosedSession)
}

func TestMemNetCrash(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	var cs [3]Conn
	for p := range 3 {
		cs[p], _ = nets[p].Session(ctx, trSID(1))
	}
	require.NoError(t, cs[2].Send(0, []byte("before")))
	errs := make(chan error, 1)
	go func() { _, err := cs[1].Recv(ctx, 2); errs <- err }()
	time.Sleep(10 * time.Millisecond)
	nets[2].Close()
	err := <-errs
	require.ErrorIs(t, err, ErrPeerDisconnected)
	require.ErrorContains(t, err, "party 2 disconnected")
	// What party 2 sent before it went away is still delivered.
	got, err := cs[0].Recv(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, "before", string(got))
	_, err = cs[0].Recv(ctx, 2)
	require.ErrorIs(t, err, ErrPeerDisconnected)
	require.ErrorContains(t, cs[0].Send(2, []byte("x")), "party 2 disconnected")
	// The link between 0 and 1 still works.
	require.NoError(t, cs[0].Send(1, []byte("ok")))
	got, err = cs[1].Recv(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, "ok", string(got))
	// New sessions need all three parties.
	_, err = nets[0].Session(ctx, trSID(2))
	require.ErrorContains(t, err, "party 2 disconnected")
}

func TestMemNetCut(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, _ := nets[0].Session(ctx, trSID(1))
	c1, _ := nets[1].Session(ctx, trSID(1))
	nets[0].(*MemNetwork).Cut(1)
	_, err := c1.Recv(ctx, 0)
	require.EqualError(t, err, "party 0 disconnected: link cut")
	_, err = c0.Recv(ctx, 1)
	require.EqualError(t, err, "party 1 disconnected: link cut")
}

func TestMemNetIdleTimeout(t *testing.T) {
	nets := NewMemNetworks()
	nets[0].(*MemNetwork).SetIdleTimeout(30 * time.Millisecond)
	c, _ := nets[0].Session(context.Background(), trSID(1))
	_, err := c.Recv(context.Background(), 1)
	require.ErrorIs(t, err, ErrNoMessage)
	require.EqualError(t, err, "party 1: no message for 30ms")
}

func TestMemNetConcurrentReceivers(t *testing.T) {
	// Two goroutines receiving from the same party share its messages
	// without losing any.
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, _ := nets[0].Session(ctx, trSID(1))
	c1, _ := nets[1].Session(ctx, trSID(1))
	const n = 5000
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := c1.Recv(ctx, 0)
				if err != nil {
					if !errors.Is(err, ErrPeerClosedSession) {
						t.Error(err)
					}
					return
				}
				counts[g] += len(msg)
			}
		}()
	}
	for range n {
		require.NoError(t, c0.Send(1, []byte{1}))
	}
	c0.Close()
	wg.Wait()
	require.Equal(t, n, counts[0]+counts[1])
}

func TestMemNetStats(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, _ := nets[0].Session(ctx, trSID(1))
	c1, _ := nets[1].Session(ctx, trSID(1))
	require.NoError(t, c0.Send(1, make([]byte, 100)))
	require.NoError(t, c0.Send(2, make([]byte, 50)))
	_, err := c1.Recv(ctx, 0)
	require.NoError(t, err)
	sent, recvd := c0.Stats()
	require.Equal(t, [2]int64{150, 0}, [2]int64{sent, recvd})
	sent, recvd = c1.Stats()
	require.Equal(t, [2]int64{0, 100}, [2]int64{sent, recvd})
}

func BenchmarkMemNet1MiB(b *testing.B) {
	nets := NewMemNetworks()
	ctx := context.Background()
	c0, _ := nets[0].Session(ctx, trSID(1))
	c1, _ := nets[1].Session(ctx, trSID(1))
	msg := make([]byte, 1<<20)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		c0.Send(1, msg)
		if _, err := c1.Recv(ctx, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMemNetPendingLimits(t *testing.T) {
	nets := NewMemNetworks()
	ctx := context.Background()
	m1 := nets[1].(*MemNetwork).m
	m1.mu.Lock()
	m1.pendMax = 100
	m1.pendTTL = 20 * time.Millisecond
	m1.mu.Unlock()

	// Too much for a session party 1 has not opened: the session fails
	// loudly when opened instead of missing messages silently.
	c0, _ := nets[0].Session(ctx, trSID(1))
	require.NoError(t, c0.Send(1, make([]byte, 60)))
	require.NoError(t, c0.Send(1, make([]byte, 60)))
	c1, err := nets[1].Session(ctx, trSID(1))
	require.NoError(t, err)
	got, err := c1.Recv(ctx, 0)
	require.NoError(t, err)
	require.Len(t, got, 60)
	_, err = c1.Recv(ctx, 0)
	require.ErrorContains(t, err, "party 0: messages for session "+trSID(1).String()+" were dropped")

	// Messages for a session that is not opened in time expire.
	c0b, _ := nets[0].Session(ctx, trSID(2))
	require.NoError(t, c0b.Send(1, []byte("stale")))
	time.Sleep(30 * time.Millisecond)
	c0c, _ := nets[0].Session(ctx, trSID(3))
	require.NoError(t, c0c.Send(1, []byte("fresh"))) // sweeps
	_, err = nets[1].Session(ctx, trSID(2))
	require.ErrorContains(t, err, "expired")
	c1c, err := nets[1].Session(ctx, trSID(3))
	require.NoError(t, err)
	got, err = c1c.Recv(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, "fresh", string(got))
}
