package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trSID makes a session id from a number.
func trSID(n int) SessionID {
	var id SessionID
	binary.BigEndian.PutUint64(id[8:], uint64(n))
	copy(id[:8], "trtest..")
	return id
}

var trNextSID atomic.Int64

func init() { trNextSID.Store(1 << 20) }

// trMsg is a message whose content names its sender, receiver, session and
// sequence number, so a test can check it arrived where and when it should.
func trMsg(id SessionID, from, to, seq, size int) []byte {
	head := fmt.Sprintf("%s %d>%d #%d|", id, from, to, seq)
	if size < len(head) {
		size = len(head)
	}
	msg := make([]byte, size)
	copy(msg, head)
	for i := len(head); i < size; i++ {
		msg[i] = byte(i*31 + seq + from)
	}
	return msg
}

// trExercise runs sessions concurrent sessions of rounds rounds on nets:
// in each round every party sends a message to both others and then
// receives theirs. Parties open sessions at staggered times, so some
// messages arrive before a session is opened.
func trExercise(t testing.TB, nets [3]Network, sessions, rounds, size int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 3*sessions)
	base := int(trNextSID.Add(int64(sessions))) - sessions
	for s := range sessions {
		id := trSID(base + s)
		for p := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if (s+p)%3 == 0 {
					time.Sleep(time.Millisecond)
				}
				if err := trRunParty(ctx, nets[p], id, rounds, size+s); err != nil {
					errs <- fmt.Errorf("session %d party %d: %w", s, p, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func trRunParty(ctx context.Context, net Network, id SessionID, rounds, size int) error {
	c, err := net.Session(ctx, id)
	if err != nil {
		return err
	}
	defer c.Close()
	me := c.Party()
	var want int64
	for r := range rounds {
		for _, to := range []int{Next(me), Prev(me)} {
			if err := c.Send(to, trMsg(id, me, to, r, size)); err != nil {
				return err
			}
		}
		for _, from := range []int{Prev(me), Next(me)} {
			got, err := c.Recv(ctx, from)
			if err != nil {
				return err
			}
			exp := trMsg(id, from, me, r, size)
			if !bytes.Equal(got, exp) {
				return fmt.Errorf("round %d from %d: got %.40q…, want %.40q…", r, from, got, exp)
			}
			want += int64(len(exp))
		}
	}
	sent, recvd := c.Stats()
	if sent != want || recvd != want {
		return fmt.Errorf("stats: sent %d received %d, want %d each", sent, recvd, want)
	}
	return nil
}

// trLogBuffer collects log output safely across goroutines.
type trLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *trLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *trLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// trDeploy is a deployment of three parties on 127.0.0.1 in a temp dir.
type trDeploy struct {
	dir  string
	path string // deploy.toml
	cfg  *Config
	lns  [3]net.Listener
	log  *trLogBuffer
}

// trNewDeploy generates keys, reserves three ephemeral ports (kept open as
// listeners for NewTLSNetwork) and writes deploy.toml.
func trNewDeploy(t testing.TB, timeouts string) *trDeploy {
	t.Helper()
	d := &trDeploy{dir: t.TempDir(), log: &trLogBuffer{}}
	var toml strings.Builder
	toml.WriteString("# test deployment\n")
	for p := range 3 {
		_, _, err := GenerateKey(p, filepath.Join(d.dir, "keys"))
		require.NoError(t, err)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		d.lns[p] = ln
		t.Cleanup(func() { ln.Close() })
		fmt.Fprintf(&toml, "\n[[party]]\nid = %d\naddress = %q\ncert = \"keys/party%d.crt\"\nkey = \"keys/party%d.key\"\n",
			p, ln.Addr().String(), p, p)
	}
	if timeouts != "" {
		toml.WriteString("\n[timeouts]\n" + timeouts + "\n")
	}
	d.path = filepath.Join(d.dir, "deploy.toml")
	require.NoError(t, os.WriteFile(d.path, []byte(toml.String()), 0o644))
	cfg, err := LoadConfig(d.path)
	require.NoError(t, err)
	cfg.Logger = slog.New(slog.NewTextHandler(d.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d.cfg = cfg
	return d
}

// start starts the given parties concurrently on their reserved listeners.
func (d *trDeploy) start(t testing.TB, parties ...int) ([3]Network, [3]error) {
	t.Helper()
	var nets [3]Network
	var errs [3]error
	var wg sync.WaitGroup
	for _, p := range parties {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nets[p], errs[p] = NewTLSNetwork(context.Background(), d.cfg, p, d.lns[p])
		}()
	}
	wg.Wait()
	for _, n := range nets {
		if n != nil {
			t.Cleanup(func() { n.Close() })
		}
	}
	return nets, errs
}

// startAll starts all three parties and fails the test on error.
func (d *trDeploy) startAll(t testing.TB) [3]Network {
	t.Helper()
	nets, errs := d.start(t, 0, 1, 2)
	for p, err := range errs {
		require.NoError(t, err, "party %d", p)
	}
	return nets
}

func trSum(b []byte) string { s := sha256.Sum256(b); return fmt.Sprintf("%x", s[:8]) }
