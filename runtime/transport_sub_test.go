package runtime

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSubLinks: sub-links of a session are independent FIFO channels
// between the same parties, on both transports, and close with the
// session.
func TestSubLinks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tls, err := LocalTLSNetworks(ctx, t.TempDir())
	require.NoError(t, err)
	defer func() {
		for _, n := range tls {
			n.Close()
		}
	}()
	for name, nets := range map[string][3]Network{"mem": NewMemNetworks(), "tls": tls} {
		t.Run(name, func(t *testing.T) {
			var cs [3]Conn
			for p := range 3 {
				c, err := nets[p].Session(ctx, trSID(900))
				require.NoError(t, err)
				cs[p] = c
			}
			sub := func(p, i int) Conn {
				c, err := cs[p].(subConn).Sub(i)
				require.NoError(t, err)
				return c
			}
			// party 0 sends on sub-links 2, 1 and the session, interleaved;
			// party 1 opens the sub-links late and reads them in another order
			for j := range 5 {
				for _, i := range []int{2, 1} {
					require.NoError(t, sub(0, i).Send(1, []byte(fmt.Sprintf("sub%d #%d", i, j))))
				}
				require.NoError(t, cs[0].Send(1, []byte(fmt.Sprintf("main #%d", j))))
			}
			for _, i := range []int{1, 2} {
				c := sub(1, i)
				require.Same(t, c, sub(1, i), "Sub returns the same link")
				for j := range 5 {
					got, err := c.Recv(ctx, 0)
					require.NoError(t, err)
					require.Equal(t, fmt.Sprintf("sub%d #%d", i, j), string(got))
				}
			}
			for j := range 5 {
				got, err := cs[1].Recv(ctx, 0)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("main #%d", j), string(got))
			}
			// closing the session closes its sub-links
			s1 := sub(1, 1)
			require.NoError(t, cs[1].Close())
			_, err := s1.Recv(ctx, 0)
			require.True(t, errors.Is(err, ErrSessionClosed), "got %v", err)
			_, err = cs[1].(subConn).Sub(3)
			require.Error(t, err)
			for p := range 3 {
				cs[p].Close()
			}
		})
	}
}
