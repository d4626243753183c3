package notary

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mpcs/mpcs/coordinator/attest"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// AttestRequest is the body of POST /v1/attest.
type AttestRequest struct {
	Dataset  string `json:"dataset"`
	SourceID string `json:"source_id"`
	// Nonce is 32 bytes in hex, chosen at random by the provider.
	Nonce string `json:"nonce"`
	// Credentials, if given, are forwarded to the source as
	// "Authorization: Bearer <credentials>" and not stored.
	Credentials string `json:"credentials,omitempty"`
}

// Value is one attested column value as the notary read it.
type Value struct {
	Type string `json:"type"` // "sfix" or "sint"
	// Value is the number as the source gave it.
	Value string `json:"value"`
	// Raw is the committed integer in decimal: the value at the column's
	// scale (round(value·2^frac_bits) for sfix). The provider shares Raw.
	Raw string `json:"raw"`
}

// AttestResponse is the answer of POST /v1/attest: the signed attestation,
// and what the provider needs to share its row (the values it commits to
// and the nonce).
type AttestResponse struct {
	Attestation attest.Attestation `json:"attestation"`
	Values      map[string]Value   `json:"values"` // column → value
	Nonce       string             `json:"nonce"`
	Ring        int                `json:"ring"`
	FracBits    int                `json:"frac_bits"`
}

// KeyInfo is the body of GET /v1/key.
type KeyInfo struct {
	PublicKey string `json:"public_key"` // hex Ed25519
	Source    string `json:"source"`
	Column    string `json:"column"`
}

// Error is an error with the HTTP status it maps to.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func errorf(status int, format string, args ...any) *Error {
	return &Error{status, fmt.Sprintf(format, args...)}
}

// maxSourceBody bounds what the notary reads from a source.
const maxSourceBody = 1 << 20

// Notary attests values it fetches from its source.
type Notary struct {
	cfg    *Config
	key    ed25519.PrivateKey
	pub    string
	source *http.Client
	log    *slog.Logger
	// Now is the clock (tests set it).
	Now func() time.Time
}

// New makes a notary of cfg (checked by Check) with the signing key.
func New(cfg *Config, key ed25519.PrivateKey, log *slog.Logger) (*Notary, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	trust := tlsutil.Trust{Fingerprint: cfg.Source.Fingerprint, CAFile: cfg.Resolve(cfg.Source.CA)}
	hc, err := trust.HTTPClient(cfg.Source.Timeout)
	if err != nil {
		return nil, fmt.Errorf("[source] trust: %w", err)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Notary{cfg: cfg, key: key, pub: PublicKeyHex(key), source: hc, log: log, Now: time.Now}, nil
}

// PublicKey is the notary's public key in hex.
func (n *Notary) PublicKey() string { return n.pub }

// Attest fetches the provider's value from the source and returns the
// signed attestation of its commitment with nonce.
func (n *Notary) Attest(ctx context.Context, req AttestRequest) (*AttestResponse, error) {
	src := &n.cfg.Source
	if req.Dataset == "" {
		return nil, errorf(http.StatusBadRequest, "dataset is missing")
	}
	if len(src.Datasets) > 0 && !slices.Contains(src.Datasets, req.Dataset) {
		return nil, errorf(http.StatusForbidden, "this notary does not attest for dataset %q (it does for %s)", req.Dataset, strings.Join(src.Datasets, ", "))
	}
	if req.SourceID == "" || len(req.SourceID) > 256 {
		return nil, errorf(http.StatusBadRequest, "source_id must be 1 to 256 characters")
	}
	nb, err := hex.DecodeString(req.Nonce)
	if err != nil || len(nb) != commit.NonceSize {
		return nil, errorf(http.StatusBadRequest, "nonce must be %d bytes in hex (%d hex digits)", commit.NonceSize, 2*commit.NonceSize)
	}
	text, err := n.fetch(ctx, req.SourceID, req.Credentials)
	if err != nil {
		return nil, err
	}
	typ := vm.TSfix
	if src.Type == "sint" {
		typ = vm.TSint
	}
	raw, err := vm.ParseValue(n.cfg.Ring, n.cfg.FracBits, typ, text)
	if err != nil {
		return nil, errorf(http.StatusBadGateway, "source %s: %s of %q: %v", src.Name, src.JSONPath, req.SourceID, err)
	}
	if err := commit.InRing(raw, n.cfg.Ring); err != nil {
		return nil, errorf(http.StatusBadGateway, "source %s: %v", src.Name, err)
	}
	c := commit.Compute(raw, [commit.NonceSize]byte(nb))
	a := attest.Attestation{
		Dataset:     req.Dataset,
		Source:      src.Name,
		SourceID:    req.SourceID,
		Commitments: map[string]string{src.Column: hex.EncodeToString(c[:])},
		Expires:     n.Now().UTC().Add(n.cfg.Validity).Truncate(time.Second),
	}
	a.Sign(n.key)
	return &AttestResponse{
		Attestation: a,
		Values:      map[string]Value{src.Column: {Type: src.Type, Value: text, Raw: raw.String()}},
		Nonce:       hex.EncodeToString(nb),
		Ring:        n.cfg.Ring,
		FracBits:    n.cfg.FracBits,
	}, nil
}

// fetch gets the number at the JSON path of the source's answer for id.
func (n *Notary) fetch(ctx context.Context, id, credentials string) (string, error) {
	src := &n.cfg.Source
	u := strings.ReplaceAll(src.URL, "{id}", url.PathEscape(id))
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", errorf(http.StatusInternalServerError, "source url: %v", err)
	}
	hreq.Header.Set("Accept", "application/json")
	if credentials != "" {
		hreq.Header.Set("Authorization", "Bearer "+credentials)
	}
	resp, err := n.source.Do(hreq)
	if err != nil {
		return "", errorf(http.StatusBadGateway, "source %s unreachable: %v", src.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSourceBody+1))
	if err != nil {
		return "", errorf(http.StatusBadGateway, "source %s: reading the answer: %v", src.Name, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", errorf(http.StatusNotFound, "source %s has no record %q", src.Name, id)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", errorf(http.StatusForbidden, "source %s refused the credentials for %q (%s)", src.Name, id, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return "", errorf(http.StatusBadGateway, "source %s answered %s", src.Name, resp.Status)
	case len(body) > maxSourceBody:
		return "", errorf(http.StatusBadGateway, "source %s: answer larger than %d bytes", src.Name, maxSourceBody)
	}
	s, err := JSONPath(body, src.JSONPath)
	if err != nil {
		return "", errorf(http.StatusBadGateway, "source %s: %v", src.Name, err)
	}
	return s, nil
}

// JSONPath returns the number at path in the JSON document doc: path is
// dot-separated object keys and array indexes ("balance",
// "data.accounts.0.balance"; a leading "$." is allowed). The number may be
// a JSON number or a string; it is returned as text, exactly.
func JSONPath(doc []byte, path string) (string, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("the answer is not JSON: %v", err)
	}
	path = strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[part]
			if !ok {
				return "", fmt.Errorf("the answer has no %q (json_path %s)", part, path)
			}
			v = e
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return "", fmt.Errorf("%q is not an index of an array of %d (json_path %s)", part, len(x), path)
			}
			v = x[i]
		default:
			return "", fmt.Errorf("cannot take %q of a %T (json_path %s)", part, v, path)
		}
	}
	switch x := v.(type) {
	case json.Number:
		return x.String(), nil
	case string:
		s := strings.TrimSpace(x)
		if _, ok := new(big.Rat).SetString(s); !ok || s == "" {
			return "", fmt.Errorf("%s is %q, not a number", path, x)
		}
		return s, nil
	}
	return "", fmt.Errorf("%s is a %T, not a number", path, v)
}

// Handler serves the notary's API:
//
//	POST /v1/attest   AttestRequest → AttestResponse
//	GET  /v1/key      → KeyInfo
//	GET  /v1/health   → {"status": "ok"}
//
// Errors are {"error": "..."} with a 4xx/5xx status.
func (n *Notary) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/attest", func(w http.ResponseWriter, r *http.Request) {
		var req AttestRequest
		d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		d.DisallowUnknownFields()
		if err := d.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed request: " + err.Error()})
			return
		}
		resp, err := n.Attest(r.Context(), req)
		if err != nil {
			status := http.StatusInternalServerError
			var e *Error
			if errors.As(err, &e) {
				status = e.Status
			}
			n.log.Info("attest refused", "dataset", req.Dataset, "source_id", req.SourceID, "status", status, "error", err)
			writeJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
	mux.HandleFunc("GET /v1/key", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, KeyInfo{PublicKey: n.pub, Source: n.cfg.Source.Name, Column: n.cfg.Source.Column})
	})
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Serve serves the API over HTTPS on l with the config's certificate until
// ctx ends.
func (n *Notary) Serve(ctx context.Context, l net.Listener) error {
	tlsCfg, err := tlsutil.ServerConfig(n.cfg.Resolve(n.cfg.TLSCert), n.cfg.Resolve(n.cfg.TLSKey))
	if err != nil {
		return fmt.Errorf("notary TLS: %w", err)
	}
	srv := &http.Server{
		Handler:           n.Handler(),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2*n.cfg.Source.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return tlsutil.Serve(ctx, srv, l)
}

// Open loads (or creates) the key and the HTTPS certificate named in cfg
// and returns the notary; keyCreated tells whether a new signing key was
// made.
func Open(cfg *Config, log *slog.Logger) (n *Notary, keyCreated bool, err error) {
	if err := cfg.Check(); err != nil {
		return nil, false, err
	}
	key, created, err := LoadOrCreateKey(cfg.Resolve(cfg.Key))
	if err != nil {
		return nil, false, err
	}
	host, _, _ := net.SplitHostPort(cfg.Listen)
	hosts := append([]string{}, tlsutil.LocalHosts...)
	if host != "" && !slices.Contains(hosts, host) && host != "0.0.0.0" && host != "::" {
		hosts = append(hosts, host)
	}
	if err := tlsutil.SelfSigned(cfg.Resolve(cfg.TLSCert), cfg.Resolve(cfg.TLSKey), "mpcs notary", hosts); err != nil {
		return nil, false, fmt.Errorf("notary TLS certificate: %w", err)
	}
	n, err = New(cfg, key, log)
	return n, created, err
}

// TLSFingerprint is the fingerprint of the notary's HTTPS certificate,
// which providers pin.
func (n *Notary) TLSFingerprint() (string, error) {
	return runtime.CertFingerprint(n.cfg.Resolve(n.cfg.TLSCert))
}
