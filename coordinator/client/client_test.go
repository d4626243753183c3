package client

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/coordinator/notary"
	"github.com/mpcs/mpcs/coordinator/notary/datasource"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// decodeWords is the inverse of EncodeWords.
func decodeWords(t *testing.T, s string) []uint64 {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	require.Zero(t, len(b)%8)
	w := make([]uint64, len(b)/8)
	for i := range w {
		w[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return w
}

// reconstruct opens the value and nonce of column col from the three
// submissions, checking that the replicated components agree.
func reconstruct(t *testing.T, k int, subs [3]partyapi.Submission, col string) (*big.Int, [4]uint64) {
	mod := new(big.Int).Lsh(big.NewInt(1), uint(k))
	elem := func(s string) *big.Int {
		w := decodeWords(t, s)
		require.Len(t, w, k/64)
		x := new(big.Int).SetUint64(w[0])
		if k == 128 {
			x.Add(x, new(big.Int).Lsh(new(big.Int).SetUint64(w[1]), 64))
		}
		return x
	}
	sum := new(big.Int)
	var nonce [4]uint64
	for p := range 3 {
		require.Equal(t, p, subs[p].Party)
		v, n := subs[p].Values[col], subs[p].Nonce[col]
		// party p's component 1 is party p+1's component 0
		require.Equal(t, v[1], subs[(p+1)%3].Values[col][0])
		sum.Add(sum, elem(v[0]))
		for w := range 4 {
			require.Equal(t, n[w][1], subs[(p+1)%3].Nonce[col][w][0])
			nonce[w] ^= decodeWords(t, n[w][0])[0]
		}
	}
	sum.Mod(sum, mod)
	if sum.Cmp(new(big.Int).Rsh(mod, 1)) >= 0 {
		sum.Sub(sum, mod)
	}
	return sum, nonce
}

func TestSplitReconstructs(t *testing.T) {
	nonce, err := commit.NewNonce()
	require.NoError(t, err)
	fix, err := commit.ParseFix("12.5", 24)
	require.NoError(t, err)
	for _, k := range []int{64, 128} {
		for _, x := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), fix, new(big.Int).Neg(fix), vm.RingMax(k), vm.RingMin(k)} {
			row := Row{Values: map[string]Cell{"balance": {Type: "sfix", Raw: x}}, Nonce: nonce}
			subs, err := Split(partyapi.Signed[partyapi.Ticket]{Body: partyapi.Ticket{ID: "t"}}, k, row, nil)
			require.NoError(t, err)
			got, nw := reconstruct(t, k, subs, "balance")
			assert.Equal(t, x.String(), got.String(), "k=%d", k)
			assert.Equal(t, commit.NonceWords(nonce), nw)
			for p := range 3 {
				assert.Equal(t, "t", subs[p].Ticket.Body.ID)
			}
		}
	}
	_, err = Split(partyapi.Signed[partyapi.Ticket]{}, 64, Row{Values: map[string]Cell{"b": {Type: "sint", Raw: vm.RingMax(128)}}}, nil)
	assert.ErrorContains(t, err, "outside the 64-bit ring")
	_, err = Split(partyapi.Signed[partyapi.Ticket]{}, 64, Row{Values: map[string]Cell{"b": {Type: "float", Raw: big.NewInt(1)}}}, nil)
	assert.ErrorContains(t, err, "unknown type")
}

// fakeParty is a party's submission API that records what it receives.
type fakeParty struct {
	srv  *httptest.Server
	mu   sync.Mutex
	subs []partyapi.Submission
	// fail, while positive, makes the next requests answer 503.
	fail atomic.Int32
}

func newFakeParty(t *testing.T, p int) *fakeParty {
	fp := &fakeParty{}
	fp.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fp.fail.Add(-1) >= 0 {
			http.Error(w, `{"error": "restarting"}`, http.StatusServiceUnavailable)
			return
		}
		var s partyapi.Submission
		require.NoError(t, json.NewDecoder(r.Body).Decode(&s))
		fp.mu.Lock()
		fp.subs = append(fp.subs, s)
		fp.mu.Unlock()
		json.NewEncoder(w).Encode(partyapi.SubmissionReceipt{Ticket: s.Ticket.Body.ID, Party: p, Stored: time.Now(), Status: "pending"})
	}))
	fp.srv.EnableHTTP2 = true
	fp.srv.StartTLS()
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *fakeParty) endpoint(p int) api.PartyEndpoint {
	return api.PartyEndpoint{Party: p, URL: fp.srv.URL, Fingerprint: tlsutil.Fingerprint(fp.srv.Certificate().Raw)}
}

// fakeCoordinator registers any attestation of an accepted notary.
type fakeCoordinator struct {
	key       ed25519.PrivateKey
	notaryKey string
	parties   []api.PartyEndpoint
	mu        sync.Mutex
	submitted []string
	sources   map[string]bool
}

func (c *fakeCoordinator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.Error{Error: msg})
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/v1/datasets/devcon/providers":
		var reg api.Register
		if err := json.NewDecoder(r.Body).Decode(&reg); err != nil {
			fail(400, err.Error())
			return
		}
		if err := reg.Attestation.Verify([]string{c.notaryKey}, "devcon", time.Now()); err != nil {
			fail(403, err.Error())
			return
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.sources[reg.Attestation.SourceID] {
			fail(409, "source id has already contributed to this dataset")
			return
		}
		c.sources[reg.Attestation.SourceID] = true
		tk, _ := partyapi.Sign(c.key, partyapi.Ticket{ID: "tk-" + reg.Attestation.SourceID, Dataset: "devcon",
			Commitments: reg.Attestation.Commitments, Expires: time.Now().Add(time.Hour)})
		json.NewEncoder(w).Encode(api.Registration{Ticket: tk, Parties: c.parties, Ring: 128, FracBits: 24})
	case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/submitted"):
		c.mu.Lock()
		c.submitted = append(c.submitted, strings.Split(r.URL.Path, "/")[5])
		c.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]string{"status": "submitted"})
	default:
		fail(404, "no route")
	}
}

type rig struct {
	provider *Provider
	parties  [3]*fakeParty
	coord    *fakeCoordinator
	notary   *notary.Notary
}

func newRig(t *testing.T) *rig {
	src := httptest.NewTLSServer(&datasource.Source{})
	t.Cleanup(src.Close)
	ca := filepath.Join(t.TempDir(), "src.crt")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: src.Certificate().Raw}), 0o644))
	_, nkey, _ := ed25519.GenerateKey(nil)
	n, err := notary.New(&notary.Config{Source: notary.SourceConfig{Name: "bank", URL: src.URL + "/accounts/{id}",
		JSONPath: "balance", Column: "balance", CA: ca}}, nkey, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	nsrv := httptest.NewTLSServer(n.Handler())
	t.Cleanup(nsrv.Close)

	r := &rig{notary: n}
	_, ckey, _ := ed25519.GenerateKey(nil)
	r.coord = &fakeCoordinator{key: ckey, notaryKey: n.PublicKey(), sources: map[string]bool{}}
	for p := range 3 {
		r.parties[p] = newFakeParty(t, p)
		r.coord.parties = append(r.coord.parties, r.parties[p].endpoint(p))
	}
	csrv := httptest.NewServer(r.coord)
	t.Cleanup(csrv.Close)
	nc, err := NewNotary(nsrv.URL, tlsutil.Trust{Fingerprint: tlsutil.Fingerprint(nsrv.Certificate().Raw)})
	require.NoError(t, err)
	r.provider = &Provider{Coordinator: NewCoordinator(csrv.URL, "", nil), Notary: nc, Parties: &Parties{RetryFor: 5 * time.Second}}
	return r
}

func TestProviderShare(t *testing.T) {
	r := newRig(t)
	rec, err := r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-3"})
	require.NoError(t, err)
	assert.Equal(t, "tk-acct-3", rec.Ticket)
	assert.Equal(t, "bank", rec.Source)
	for p := range 3 {
		assert.Equal(t, p, rec.Parties[p].Party)
		assert.Equal(t, "tk-acct-3", rec.Parties[p].Ticket)
	}
	assert.Equal(t, []string{"tk-acct-3"}, r.coord.submitted)
	st := rec.Steps
	assert.Positive(t, st.Attest)
	assert.Positive(t, st.Register)
	assert.Positive(t, st.Parties)
	assert.Positive(t, st.Confirm)
	assert.LessOrEqual(t, st.Attest+st.Register+st.Parties+st.Confirm, rec.Elapsed)

	// each party received exactly one submission, addressed to it, and
	// together they open to the value the source holds
	var subs [3]partyapi.Submission
	for p := range 3 {
		require.Len(t, r.parties[p].subs, 1)
		subs[p] = r.parties[p].subs[0]
	}
	value, nw := reconstruct(t, 128, subs, "balance")
	want, _ := commit.ParseFix(datasource.Balance("acct-3"), 24)
	assert.Equal(t, want.String(), value.String())
	c := commit.Compute(value, [32]byte(commit.Bytes(nw[:], 32)))
	assert.Equal(t, hex.EncodeToString(c[:]), rec.Commitments["balance"])

	// the same source id again: the coordinator's refusal reaches the caller
	_, err = r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-3"})
	require.Error(t, err)
	assert.Equal(t, http.StatusConflict, StatusOf(err))
	assert.Contains(t, err.Error(), "registration: coordinator: source id has already contributed")
}

func TestProviderFixedNonce(t *testing.T) {
	r := newRig(t)
	var nonce [32]byte
	nonce[0] = 7
	rec, err := r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-4", Nonce: &nonce})
	require.NoError(t, err)
	raw, _ := commit.ParseFix(datasource.Balance("acct-4"), 24)
	c := commit.Compute(raw, nonce)
	assert.Equal(t, hex.EncodeToString(c[:]), rec.Commitments["balance"])
}

func TestProviderRefusedAttestation(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	nonce, _ := commit.NewNonce()
	att, err := r.provider.Notary.Attest(ctx, notary.AttestRequest{Dataset: "devcon", SourceID: "acct-5", Nonce: hex.EncodeToString(nonce[:])})
	require.NoError(t, err)
	row, err := RowFromAttestation(att)
	require.NoError(t, err)

	forged := *att
	forged.Attestation.SourceID = "acct-6" // changes the signed content
	_, err = r.provider.Submit(ctx, "devcon", &forged, row, time.Now())
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, StatusOf(err))
	assert.Contains(t, err.Error(), "signature is invalid")

	expired := *att
	expired.Attestation.Expires = time.Now().Add(-time.Minute)
	_, nk, _ := ed25519.GenerateKey(nil)
	expired.Attestation.Sign(nk) // a valid signature, but by another notary
	_, err = r.provider.Submit(ctx, "devcon", &expired, row, time.Now())
	assert.ErrorContains(t, err, "not accepted")
	for p := range 3 {
		assert.Empty(t, r.parties[p].subs, "nothing reached the parties")
	}
}

func TestPartiesRetryAndPin(t *testing.T) {
	r := newRig(t)
	r.parties[1].fail.Store(2) // party 1 answers 503 twice (restarting)
	_, err := r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-8"})
	require.NoError(t, err)
	assert.Len(t, r.parties[1].subs, 1)

	// a party whose certificate is not the pinned one gets nothing
	r.coord.parties[2].Fingerprint = strings.Repeat("00", 32)
	_, err = r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-9"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "party 2")
	assert.Contains(t, err.Error(), "pinned")
	assert.Len(t, r.parties[2].subs, 1, "only acct-8's")
	assert.NotContains(t, r.coord.submitted, "tk-acct-9", "not confirmed without three receipts")

	// and shares go over TLS only
	r.coord.parties[2].URL = strings.Replace(r.coord.parties[2].URL, "https:", "http:", 1)
	_, err = r.provider.Share(context.Background(), Contribution{Dataset: "devcon", SourceID: "acct-10"})
	assert.ErrorContains(t, err, "not https")
}

func TestCheckEndpoints(t *testing.T) {
	ep := func(p int) api.PartyEndpoint {
		return api.PartyEndpoint{Party: p, URL: "https://127.0.0.1:1", Fingerprint: "ab"}
	}
	got, err := CheckEndpoints([]api.PartyEndpoint{ep(2), ep(0), ep(1)})
	require.NoError(t, err)
	assert.Equal(t, 1, got[1].Party)
	_, err = CheckEndpoints([]api.PartyEndpoint{ep(0), ep(1)})
	assert.ErrorContains(t, err, "no endpoint for party 2")
	_, err = CheckEndpoints([]api.PartyEndpoint{ep(0), ep(1), ep(1)})
	assert.ErrorContains(t, err, "malformed")
}
