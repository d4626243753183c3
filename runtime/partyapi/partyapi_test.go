package partyapi

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSignedVerify(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s, err := Sign(key, Ticket{ID: "t1", Dataset: "d", Expires: time.Unix(1e9, 0).UTC()})
	require.NoError(t, err)
	require.NoError(t, s.Verify(pub))
	s.Body.Dataset = "other"
	require.ErrorIs(t, s.Verify(pub), ErrBadSignature)
	other, _, _ := ed25519.GenerateKey(nil)
	s.Body.Dataset = "d"
	require.ErrorIs(t, s.Verify(other), ErrBadSignature)
}
