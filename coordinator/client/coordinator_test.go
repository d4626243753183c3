package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/coordinator"
	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/notary"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/stdlib/commit"
)

// realCoordinator runs the coordinator's handler in-process, with the rig's
// fake parties as its parties, and points the rig's provider at it.
func realCoordinator(t *testing.T, r *rig) (operator *Coordinator) {
	dir := t.TempDir()
	_, err := coordinator.GenerateSigningKey(filepath.Join(dir, "coordinator.key"))
	require.NoError(t, err)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "database = %q\nsigning_key = \"coordinator.key\"\noperator_keys = [\"operator-key-0123456789\"]\n",
		"sqlite://"+filepath.Join(dir, "c.db"))
	for p, fp := range r.parties {
		fmt.Fprintf(&cfg, "[[party]]\nid = %d\nurl = %q\nfingerprint = %q\n", p, fp.srv.URL, r.coord.parties[p].Fingerprint)
	}
	path := filepath.Join(dir, "coordinator.toml")
	require.NoError(t, os.WriteFile(path, []byte(cfg.String()), 0o600))
	c, err := coordinator.LoadConfig(path)
	require.NoError(t, err)
	srv, err := coordinator.New(context.Background(), c, coordinator.Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { srv.Close() })
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	r.provider.Coordinator = NewCoordinator(hs.URL, "", nil)
	op := NewCoordinator(hs.URL, "operator-key-0123456789", nil)
	_, err = op.CreateDataset(context.Background(), api.CreateDataset{Name: "devcon",
		Columns: []partyapi.Column{{Name: "balance", Type: "sfix"}}, NotaryKeys: []string{r.notary.PublicKey()}, MinRows: 1})
	require.NoError(t, err)
	return op
}

// TestCoordinatorRefusesBadAttestations: a forged attestation, an expired
// one, one of another notary or dataset, and a source id used before are
// refused by the coordinator, the provider sees why, and nothing reaches
// the parties; a good one goes through.
func TestCoordinatorRefusesBadAttestations(t *testing.T) {
	r := newRig(t)
	op := realCoordinator(t, r)
	ctx := context.Background()

	attest := func(id string, at time.Time) (*notary.AttestResponse, Row) {
		r.notary.Now = func() time.Time { return at }
		defer func() { r.notary.Now = time.Now }()
		nonce, _ := commit.NewNonce()
		att, err := r.provider.Notary.Attest(ctx, notary.AttestRequest{Dataset: "devcon", SourceID: id, Nonce: hex.EncodeToString(nonce[:])})
		require.NoError(t, err)
		row, err := RowFromAttestation(att)
		require.NoError(t, err)
		return att, row
	}

	// forged: the provider changes the attested commitment to one of its
	// own choosing (say, for a larger balance)
	att, row := attest("acct-1", time.Now())
	forged := *att
	forged.Attestation.Commitments = map[string]string{"balance": strings.Repeat("ab", 32)}
	_, err := r.provider.Submit(ctx, "devcon", &forged, row, time.Now())
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, StatusOf(err))
	assert.Contains(t, err.Error(), "attestation signature is invalid")

	// expired: attested two hours ago, valid for one
	att, row = attest("acct-2", time.Now().Add(-2*time.Hour))
	_, err = r.provider.Submit(ctx, "devcon", att, row, time.Now())
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, StatusOf(err))
	assert.Contains(t, err.Error(), "attestation has expired")

	// for another dataset
	att, row = attest("acct-3", time.Now())
	other := *att
	other.Attestation.Dataset = "payroll"
	_, err = r.provider.Submit(ctx, "payroll", &other, row, time.Now())
	require.Error(t, err)
	assert.Equal(t, http.StatusNotFound, StatusOf(err), "no such dataset")

	for p := range 3 {
		assert.Empty(t, r.parties[p].subs, "nothing reached party %d", p)
	}

	// a good one goes through, once
	rec, err := r.provider.Share(ctx, Contribution{Dataset: "devcon", SourceID: "acct-4"})
	require.NoError(t, err)
	st, err := r.provider.Coordinator.Provider(ctx, "devcon", rec.Ticket)
	require.NoError(t, err)
	assert.Equal(t, "submitted", st.Status)
	_, err = r.provider.Share(ctx, Contribution{Dataset: "devcon", SourceID: "acct-4"})
	require.Error(t, err)
	assert.Equal(t, http.StatusConflict, StatusOf(err))
	assert.Contains(t, err.Error(), `source id "acct-4"`)
	for p := range 3 {
		assert.Len(t, r.parties[p].subs, 1, "party %d: only the good submission", p)
	}

	ds, err := op.Dataset(ctx, "devcon")
	require.NoError(t, err)
	assert.Equal(t, int64(0), ds.Rows, "nothing admitted without the parties' check")
}
