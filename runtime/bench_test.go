package runtime

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Bench runs every protocol over pinned TLS on localhost and over memnet.
func TestBenchSmall(t *testing.T) {
	ctx := context.Background()
	tls, err := LocalTLSNetworks(ctx, t.TempDir())
	require.NoError(t, err)
	defer func() {
		for _, n := range tls {
			n.Close()
		}
	}()
	for _, nets := range [][3]Network{NewMemNetworks(), tls} {
		rows, err := Bench(ctx, nets, 128, 1000, 3, nil)
		require.NoError(t, err)
		require.Len(t, rows, len(BenchOps))
		for _, r := range rows {
			require.Positive(t, r.Rounds, r.Op)
			require.Positive(t, r.BytesPerElem, r.Op)
			require.Equal(t, 3, r.Runs, r.Op)
			require.LessOrEqual(t, r.MinPerSecond, r.PerSecond, r.Op)
			require.LessOrEqual(t, r.PerSecond, r.MaxPerSecond, r.Op)
		}
		require.EqualValues(t, 48, rows[0].BytesPerElem, "a multiplication sends one 128-bit element per party")
	}
}
