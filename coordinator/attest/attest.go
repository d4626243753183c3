// Package attest defines the notary's attestation: a signed statement that a
// provider's value at a source commits to a given SHA3-256 commitment
// (ARCHITECTURE.md §5). The format is versioned; the signature is Ed25519
// over the canonical encoding (Canonical), so any party can verify it with
// the notary's public key alone.
//
// # Format, version 1
//
//	{
//	  "version": 1,
//	  "dataset": "devcon",
//	  "source": "demo-bank",                    // the notary's name for its source
//	  "source_id": "acct-00042",                // the provider's id there (one row per id and dataset)
//	  "commitments": {"balance": "<64 hex>"},   // column → SHA3-256(nonce ‖ value)
//	  "expires": "2026-11-21T20:07:18Z",        // RFC 3339, UTC
//	  "notary": "<64 hex>",                     // Ed25519 public key
//	  "signature": "<128 hex>"                  // Ed25519 over Canonical
//	}
//
// The value is the raw ring integer at the column's scale (x for sint,
// round(x·2^F) for sfix) as 16 bytes of little-endian two's complement, the
// nonce 32 random bytes chosen by the provider (stdlib/commit computes it).
// Canonical is this JSON with "signature": "", in the field order above,
// map keys sorted and no spaces. The notary (coordinator/notary) writes it;
// docs/demo.md describes the whole flow.
package attest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is the attestation format version this package reads and writes.
const Version = 1

// Attestation says: the provider known at Source as SourceID has, for the
// dataset's columns, values whose commitments SHA3-256(nonce ‖ value) are
// Commitments (hex, per column); valid until Expires.
type Attestation struct {
	Version     int               `json:"version"`
	Dataset     string            `json:"dataset"`
	Source      string            `json:"source"`
	SourceID    string            `json:"source_id"`
	Commitments map[string]string `json:"commitments"`
	Expires     time.Time         `json:"expires"`
	Notary      string            `json:"notary"`    // hex Ed25519 public key
	Signature   string            `json:"signature"` // hex, over Canonical
}

// Canonical is the signed encoding: the JSON of every field but the
// signature, with map keys sorted (encoding/json sorts them).
func (a *Attestation) Canonical() []byte {
	c := *a
	c.Signature = ""
	b, _ := json.Marshal(c)
	return b
}

// Sign fills Notary and Signature.
func (a *Attestation) Sign(key ed25519.PrivateKey) {
	a.Version = Version
	a.Notary = hex.EncodeToString(key.Public().(ed25519.PublicKey))
	a.Signature = hex.EncodeToString(ed25519.Sign(key, a.Canonical()))
}

// Errors of Verify, for errors.Is.
var (
	ErrVersion   = errors.New("unsupported attestation version")
	ErrNotary    = errors.New("attestation signed by a notary that is not accepted")
	ErrSignature = errors.New("attestation signature is invalid")
	ErrExpired   = errors.New("attestation has expired")
	ErrDataset   = errors.New("attestation is for another dataset")
)

// Verify checks the version, that the notary is one of accepted (hex public
// keys), the signature, the expiry against now, and the dataset.
func (a *Attestation) Verify(accepted []string, dataset string, now time.Time) error {
	if a.Version != Version {
		return fmt.Errorf("%w: %d", ErrVersion, a.Version)
	}
	ok := false
	for _, k := range accepted {
		ok = ok || k == a.Notary
	}
	if !ok {
		return ErrNotary
	}
	pub, err := hex.DecodeString(a.Notary)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ErrNotary
	}
	sig, err := hex.DecodeString(a.Signature)
	if err != nil || !ed25519.Verify(pub, a.Canonical(), sig) {
		return ErrSignature
	}
	if !now.Before(a.Expires) {
		return ErrExpired
	}
	if a.Dataset != dataset {
		return ErrDataset
	}
	for col, c := range a.Commitments {
		if b, err := hex.DecodeString(c); err != nil || len(b) != 32 || col == "" {
			return fmt.Errorf("attestation: commitment of %q is not 32 hex bytes", col)
		}
	}
	return nil
}

// Decode parses an attestation strictly (unknown fields are errors).
func Decode(b []byte) (*Attestation, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var a Attestation
	if err := d.Decode(&a); err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	return &a, nil
}
