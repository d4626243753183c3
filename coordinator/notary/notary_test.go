package notary

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/coordinator/attest"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/coordinator/notary/datasource"
	"github.com/mpcs/mpcs/stdlib/commit"
)

// testSource serves the sample source over TLS and returns its URL template
// and the PEM file of its certificate.
func testSource(t *testing.T, h http.Handler) (urlTmpl, certFile string) {
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	certFile = filepath.Join(t.TempDir(), "source.crt")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644))
	return srv.URL + "/accounts/{id}", certFile
}

func testNotary(t *testing.T, h http.Handler, edit func(*Config)) *Notary {
	u, ca := testSource(t, h)
	cfg := &Config{Source: SourceConfig{Name: "bank", URL: u, JSONPath: "balance", Column: "balance", CA: ca, Datasets: []string{"devcon"}}}
	if edit != nil {
		edit(cfg)
	}
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	n, err := New(cfg, key, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return n
}

func nonceHex(b byte) string { return strings.Repeat(fmt.Sprintf("%02x", b), 32) }

func TestAttestCommitsToTheFetchedValue(t *testing.T) {
	src := &datasource.Source{}
	n := testNotary(t, src, nil)
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	n.Now = func() time.Time { return now }
	resp, err := n.Attest(context.Background(), AttestRequest{Dataset: "devcon", SourceID: "acct-7", Nonce: nonceHex(0xab)})
	require.NoError(t, err)

	a := resp.Attestation
	require.NoError(t, a.Verify([]string{n.PublicKey()}, "devcon", now))
	assert.Equal(t, attest.Version, a.Version)
	assert.Equal(t, "bank", a.Source)
	assert.Equal(t, "acct-7", a.SourceID)
	assert.Equal(t, now.Add(time.Hour).Truncate(time.Second), a.Expires)

	v := resp.Values["balance"]
	assert.Equal(t, datasource.Balance("acct-7"), v.Value)
	assert.Equal(t, "sfix", v.Type)
	want, err := commit.ParseFix(v.Value, 24)
	require.NoError(t, err)
	assert.Equal(t, want.String(), v.Raw)
	var nonce [32]byte
	for i := range nonce {
		nonce[i] = 0xab
	}
	c := commit.Compute(want, nonce)
	assert.Equal(t, hex.EncodeToString(c[:]), a.Commitments["balance"])
	assert.Equal(t, nonceHex(0xab), resp.Nonce)
	assert.Equal(t, 128, resp.Ring)
	assert.Equal(t, 24, resp.FracBits)

	// the attestation survives a JSON round trip with its signature intact
	b, err := json.Marshal(a)
	require.NoError(t, err)
	back, err := attest.Decode(b)
	require.NoError(t, err)
	require.NoError(t, back.Verify([]string{n.PublicKey()}, "devcon", now))
}

func TestAttestSintAndNestedPath(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data": {"items": [{"age": 41}]}}`)
	})
	n := testNotary(t, h, func(c *Config) {
		c.Source.JSONPath = "$.data.items.0.age"
		c.Source.Type = "sint"
		c.Source.Column = "age"
		c.Ring = 64
	})
	resp, err := n.Attest(context.Background(), AttestRequest{Dataset: "devcon", SourceID: "x", Nonce: nonceHex(1)})
	require.NoError(t, err)
	assert.Equal(t, Value{Type: "sint", Value: "41", Raw: "41"}, resp.Values["age"])
	assert.Equal(t, 16, resp.FracBits)
	var nonce [32]byte
	for i := range nonce {
		nonce[i] = 1
	}
	c := commit.Compute(big.NewInt(41), nonce)
	assert.Equal(t, hex.EncodeToString(c[:]), resp.Attestation.Commitments["age"])
}

func TestAttestRefusals(t *testing.T) {
	src := &datasource.Source{Token: "s3cret", Exists: func(id string) bool { return id != "ghost" }}
	n := testNotary(t, src, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		req    AttestRequest
		status int
		msg    string
	}{
		{"short nonce", AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: "abcd", Credentials: "s3cret"}, 400, "nonce must be 32 bytes"},
		{"bad hex nonce", AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: strings.Repeat("zz", 32), Credentials: "s3cret"}, 400, "nonce"},
		{"no dataset", AttestRequest{SourceID: "a", Nonce: nonceHex(1), Credentials: "s3cret"}, 400, "dataset is missing"},
		{"other dataset", AttestRequest{Dataset: "payroll", SourceID: "a", Nonce: nonceHex(1), Credentials: "s3cret"}, 403, "does not attest for dataset"},
		{"no source id", AttestRequest{Dataset: "devcon", Nonce: nonceHex(1), Credentials: "s3cret"}, 400, "source_id"},
		{"unknown account", AttestRequest{Dataset: "devcon", SourceID: "ghost", Nonce: nonceHex(1), Credentials: "s3cret"}, 404, "has no record"},
		{"wrong credentials", AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: nonceHex(1), Credentials: "guess"}, 403, "refused the credentials"},
		{"no credentials", AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: nonceHex(1)}, 403, "refused the credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Attest(ctx, tc.req)
			require.Error(t, err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.status, e.Status)
			assert.Contains(t, e.Msg, tc.msg)
		})
	}
	_, err := n.Attest(ctx, AttestRequest{Dataset: "devcon", SourceID: "a/../b", Nonce: nonceHex(1), Credentials: "s3cret"})
	require.NoError(t, err, "an id with a slash is escaped into one path segment")
}

func TestAttestBadSourceAnswers(t *testing.T) {
	for _, tc := range []struct{ body, msg string }{
		{`not json`, "not JSON"},
		{`{"other": 1}`, `no "balance"`},
		{`{"balance": "lots"}`, "not a number"},
		{`{"balance": true}`, "not a number"},
		{`{"balance": "1e400"}`, "out of range"},
	} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tc.body) })
		n := testNotary(t, h, nil)
		_, err := n.Attest(context.Background(), AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: nonceHex(1)})
		require.Error(t, err, tc.body)
		assert.Contains(t, err.Error(), tc.msg, tc.body)
		assert.Equal(t, http.StatusBadGateway, err.(*Error).Status)
	}
}

func TestAttestPinsTheSource(t *testing.T) {
	// a source whose certificate is neither the configured CA nor the pin
	// is refused
	n := testNotary(t, &datasource.Source{}, func(c *Config) {
		c.Source.CA = ""
		c.Source.Fingerprint = strings.Repeat("00", 32)
	})
	_, err := n.Attest(context.Background(), AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: nonceHex(1)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pinned")

	n = testNotary(t, &datasource.Source{}, func(c *Config) { c.Source.CA = "" })
	_, err = n.Attest(context.Background(), AttestRequest{Dataset: "devcon", SourceID: "a", Nonce: nonceHex(1)})
	require.Error(t, err, "the test server's certificate is not in the system roots")
	assert.Contains(t, err.Error(), "unreachable")
}

func TestHandler(t *testing.T) {
	n := testNotary(t, &datasource.Source{}, nil)
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()
	post := func(body string) (int, map[string]any) {
		resp, err := http.Post(srv.URL+"/v1/attest", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	st, m := post(`{"dataset": "devcon", "source_id": "a", "nonce": "` + nonceHex(2) + `"}`)
	assert.Equal(t, 200, st)
	assert.Contains(t, m, "attestation")
	st, m = post(`{"dataset": "devcon",`)
	assert.Equal(t, 400, st)
	assert.Contains(t, m["error"], "malformed request")
	st, m = post(`{"dataset": "devcon", "source_id": "a", "nonce": "` + nonceHex(2) + `", "value": 5}`)
	assert.Equal(t, 400, st, "unknown fields are refused")
	assert.Contains(t, m["error"], "unknown field")

	resp, err := http.Get(srv.URL + "/v1/key")
	require.NoError(t, err)
	var k KeyInfo
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&k))
	resp.Body.Close()
	assert.Equal(t, n.PublicKey(), k.PublicKey)
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "notary.key")
	k1, created, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.True(t, created)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	k2, created, err := LoadOrCreateKey(path)
	require.NoError(t, err)
	assert.False(t, created)
	assert.True(t, k1.Equal(k2))
	assert.Len(t, PublicKeyHex(k1), 64)

	require.NoError(t, os.WriteFile(path, []byte("junk"), 0o600))
	_, _, err = LoadOrCreateKey(path)
	assert.ErrorContains(t, err, "no PEM PRIVATE KEY")
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notary.toml")
	write := func(s string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o644)) }
	write(`
listen = "127.0.0.1:0"
validity = "30m"
[source]
name = "bank"
url = "https://127.0.0.1:7400/accounts/{id}"
json_path = "balance"
column = "balance"
ca = "source.crt"
`)
	c, err := LoadConfig(path)
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, c.Validity)
	assert.Equal(t, filepath.Join(dir, "source.crt"), c.Resolve(c.Source.CA))
	assert.Equal(t, filepath.Join(dir, "notary.key"), c.Resolve(c.Key))
	assert.Equal(t, "sfix", c.Source.Type)
	assert.Equal(t, 24, c.FracBits)

	write(`
ring = 96
colour = "red"
[source]
url = "http://x/{id}"
type = "float"
`)
	_, err = LoadConfig(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "colour")

	write(`
ring = 96
[source]
url = "http://x/{id}"
type = "float"
`)
	_, err = LoadConfig(path)
	require.Error(t, err)
	for _, m := range []string{"ring = 96", "name is missing", "HTTPS only", "json_path", "column", `type = "float"`} {
		assert.Contains(t, err.Error(), m)
	}
}

func TestServeOverTLS(t *testing.T) {
	u, ca := testSource(t, &datasource.Source{})
	dir := t.TempDir()
	cfg := &Config{Dir: dir, Source: SourceConfig{Name: "bank", URL: u, JSONPath: "balance", Column: "balance", CA: ca}}
	n, created, err := Open(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.True(t, created)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Serve(ctx, l) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()

	fp, err := n.TLSFingerprint()
	require.NoError(t, err)
	hc, err := tlsutil.Trust{Fingerprint: fp}.HTTPClient(5 * time.Second)
	require.NoError(t, err)
	body, _ := json.Marshal(AttestRequest{Dataset: "any", SourceID: "acct-1", Nonce: nonceHex(3)})
	resp, err := hc.Post("https://"+l.Addr().String()+"/v1/attest", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var ar AttestResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ar))
	require.NoError(t, ar.Attestation.Verify([]string{n.PublicKey()}, "any", time.Now()))

	// a client pinning another certificate does not talk to this notary
	hc2, err := tlsutil.Trust{Fingerprint: strings.Repeat("ab", 32)}.HTTPClient(5 * time.Second)
	require.NoError(t, err)
	_, err = hc2.Get("https://" + l.Addr().String() + "/v1/health")
	require.Error(t, err)

	// reopening keeps the key
	n2, created, err := Open(cfg, nil)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, n.PublicKey(), n2.PublicKey())
}
