package runtime

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// CertValidity is how long a certificate made by GenerateKey is valid.
const CertValidity = 10 * 365 * 24 * time.Hour

// GenerateKey makes party's key pair in dir (created 0700 if missing): an
// ECDSA P-256 key and a self-signed certificate for "mpcs party N", valid
// for ten years, written as PEM to dir/partyN.crt (0644) and dir/partyN.key
// (0600). It refuses to overwrite existing files. The certificate goes into
// the deployment config of all three parties, which pin it; the key stays
// with the party.
func GenerateKey(party int, dir string) (certPath, keyPath string, err error) {
	if party < 0 || party > 2 {
		return "", "", fmt.Errorf("keygen: party %d: must be 0, 1 or 2", party)
	}
	certPath = filepath.Join(dir, fmt.Sprintf("party%d.crt", party))
	keyPath = filepath.Join(dir, fmt.Sprintf("party%d.key", party))
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Lstat(p); err == nil {
			return "", "", fmt.Errorf("keygen: %s already exists; remove it first to make a new key", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("keygen: %w", err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	name := fmt.Sprintf("mpcs party %d", party)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"mpcs"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{fmt.Sprintf("party%d.mpcs", party)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("keygen: %w", err)
	}
	if err := trWriteNew(keyPath, 0o600, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})); err != nil {
		return "", "", err
	}
	if err := trWriteNew(certPath, 0o644, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		os.Remove(keyPath)
		return "", "", err
	}
	return certPath, keyPath, nil
}

// trWriteNew creates path (which must not exist) with data.
func trWriteNew(path string, perm os.FileMode, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keygen: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keygen: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("keygen: %w", err)
	}
	return nil
}
