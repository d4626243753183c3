package runtime

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGenerateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	certPath, keyPath, err := GenerateKey(1, dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "party1.crt"), certPath)
	require.Equal(t, filepath.Join(dir, "party1.key"), keyPath)

	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	require.NoError(t, err)
	_, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	require.True(t, ok)
	cert, err := trReadCert(certPath)
	require.NoError(t, err)
	require.Equal(t, "mpcs party 1", cert.Subject.CommonName)
	require.NoError(t, cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature), "self-signed")
	require.Contains(t, cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	require.Contains(t, cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	require.WithinDuration(t, time.Now().Add(10*365*24*time.Hour), cert.NotAfter, time.Hour)

	fp, err := CertFingerprint(certPath)
	require.NoError(t, err)
	require.Len(t, fp, 64)

	// Existing keys are never overwritten.
	_, _, err = GenerateKey(1, dir)
	require.ErrorContains(t, err, "party1.crt already exists")
	// Each call makes a new key.
	c2, _, err := GenerateKey(2, dir)
	require.NoError(t, err)
	fp2, err := CertFingerprint(c2)
	require.NoError(t, err)
	require.NotEqual(t, fp, fp2)

	_, _, err = GenerateKey(3, dir)
	require.ErrorContains(t, err, "party 3: must be 0, 1 or 2")
}
