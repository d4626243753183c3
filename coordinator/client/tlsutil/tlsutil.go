// Package tlsutil holds the TLS pieces the service's clients and its own
// servers share: trust in a server given by a pinned certificate
// fingerprint (Pinned: also the coordinator's calls to the parties) or by a
// PEM file of trusted certificates, and self-signed certificates and HTTPS
// serving for the services a deployment runs itself (the notary, the sample
// data source). The fingerprint of a PEM certificate file is
// runtime.CertFingerprint's.
//
// Pinning means: TLS 1.3, and the server's leaf certificate must have the
// given SHA-256 fingerprint (the hex that runtime.CertFingerprint prints).
// Host names are not checked then — the fingerprint says more than a name.
package tlsutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Trust says which server certificates a client accepts: the one whose
// SHA-256 is Fingerprint, else those that chain to a certificate of the PEM
// file CAFile, else the system roots.
type Trust struct {
	Fingerprint string // hex SHA-256 of the DER certificate; ":" separators allowed
	CAFile      string // PEM file of trusted certificates (a self-signed server's own certificate works)
}

// Fingerprint is the hex SHA-256 of a DER certificate.
func Fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}

func normFingerprint(fp string) (string, error) {
	s := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(fp), ":", ""))
	if b, err := hex.DecodeString(s); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("certificate fingerprint %q is not 64 hex digits (a SHA-256)", fp)
	}
	return s, nil
}

// ErrPinMismatch is the error of a server whose certificate is not the
// pinned one.
var ErrPinMismatch = errors.New("the server's certificate is not the pinned one")

// Pinned returns a TLS 1.3 client config that accepts only a server whose
// leaf certificate has the given fingerprint.
func Pinned(fingerprint string) (*tls.Config, error) {
	want, err := normFingerprint(fingerprint)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// The chain is not checked against roots: the pin below is the check.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			got := Fingerprint(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return fmt.Errorf("%w: its fingerprint is %s, the pinned one %s", ErrPinMismatch, got, want)
			}
			return nil
		},
	}, nil
}

// Config returns the client TLS config of t.
func (t Trust) Config() (*tls.Config, error) {
	if t.Fingerprint != "" {
		return Pinned(t.Fingerprint)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", t.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// HTTPClient returns an HTTP client that trusts what t says, with the given
// overall timeout per request (0: none) and room for many concurrent
// connections to one host.
func (t Trust) HTTPClient(timeout time.Duration) (*http.Client, error) {
	cfg, err := t.Config()
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: timeout, Transport: Transport(cfg)}, nil
}

// Transport is an HTTP transport with cfg (nil: the defaults) and
// per-host limits fit for a thousand providers in one process: up to 256
// connections to a host, all kept for reuse.
func Transport(cfg *tls.Config) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 256
	tr.MaxConnsPerHost = 256
	tr.ForceAttemptHTTP2 = true
	return tr
}

// SelfSigned makes an ECDSA P-256 key and a self-signed server certificate
// for commonName valid for hosts (DNS names or IP addresses) and ten years,
// and writes them as PEM to certPath (0644) and keyPath (0600). If both
// files exist already it leaves them and returns nil; if only one does it is
// an error.
func SelfSigned(certPath, keyPath, commonName string, hosts []string) error {
	ce, ke := exists(certPath), exists(keyPath)
	if ce && ke {
		return nil
	}
	if ce || ke {
		return fmt.Errorf("only one of %s and %s exists: remove it, or supply both", certPath, keyPath)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"mpcs"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	for _, d := range []string{filepath.Dir(certPath), filepath.Dir(keyPath)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := WriteNew(keyPath, 0o600, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})); err != nil {
		return err
	}
	if err := WriteNew(certPath, 0o644, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// LocalHosts are the names a service on this machine answers to.
var LocalHosts = []string{"localhost", "127.0.0.1", "::1"}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// WriteNew creates path, which must not exist, with data and perm, and
// syncs it.
func WriteNew(path string, perm os.FileMode, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Serve serves srv over HTTPS (srv.TLSConfig holds the certificate) on l
// until ctx ends, then shuts it down gracefully, giving the requests under
// way up to five seconds. A server stopped that way returns nil.
func Serve(ctx context.Context, srv *http.Server, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	})
	defer stop()
	if err := srv.ServeTLS(l, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServerConfig loads a server certificate and key for an HTTPS listener.
func ServerConfig(certPath, keyPath string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}, nil
}
