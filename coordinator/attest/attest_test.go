package attest

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func sample(t *testing.T) (*Attestation, ed25519.PrivateKey) {
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	a := &Attestation{Dataset: "devcon", Source: "bank", SourceID: "alice",
		Commitments: map[string]string{"balance": strings.Repeat("ab", 32)},
		Expires:     time.Now().Add(time.Hour)}
	a.Sign(key)
	return a, key
}

func TestSignVerify(t *testing.T) {
	a, key := sample(t)
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	now := time.Now()
	require.NoError(t, a.Verify([]string{pub}, "devcon", now))
	require.ErrorIs(t, a.Verify([]string{"00"}, "devcon", now), ErrNotary)
	require.ErrorIs(t, a.Verify([]string{pub}, "other", now), ErrDataset)
	require.ErrorIs(t, a.Verify([]string{pub}, "devcon", now.Add(2*time.Hour)), ErrExpired)
	forged := *a
	forged.SourceID = "mallory"
	require.ErrorIs(t, forged.Verify([]string{pub}, "devcon", now), ErrSignature)
	forged = *a
	forged.Commitments = map[string]string{"balance": strings.Repeat("cd", 32)}
	require.ErrorIs(t, forged.Verify([]string{pub}, "devcon", now), ErrSignature)
	old := *a
	old.Version = 9
	require.True(t, errors.Is(old.Verify([]string{pub}, "devcon", now), ErrVersion))
}

func TestDecodeStrict(t *testing.T) {
	_, err := Decode([]byte(`{"version":1,"extra":true}`))
	require.Error(t, err)
	_, err = Decode([]byte(`{`))
	require.Error(t, err)
}
