// Package notary is the attester of input authenticity (ARCHITECTURE.md §5):
// a service that fetches a provider's value itself from an HTTPS JSON source
// (the proxy model), commits to it with the nonce the provider chose, and
// signs the commitment with its Ed25519 key. The provider then shares the
// value and the nonce with the three parties, which recompute the commitment
// inside MPC (stdlib/commit.mpcs) and admit the row only if it matches; the
// coordinator registers a provider only with a valid attestation, and only
// once per source id and dataset.
//
// # Flow
//
//	provider --POST /v1/attest {dataset, source_id, nonce, credentials?}--> notary
//	notary   --GET https://source/accounts/{id} (credentials as a Bearer token)--> source
//	notary   <-- {"balance": "12.5"}  (json_path "balance")
//	notary: raw = round(12.5 · 2^F)   (the column's scale; sint: the integer)
//	        commitment = SHA3-256(nonce ‖ raw as 16 bytes LE two's complement)
//	        (stdlib/commit.Compute: the same bytes the MPC check hashes)
//	provider <-- {attestation, values: {column: {type, value, raw}}, nonce, ring, frac_bits}
//
// The notary keeps no state: it neither stores values nor remembers source
// ids (the coordinator enforces one contribution per source id).
//
// # Attestation format, version 1
//
// The attestation is coordinator/attest.Attestation, JSON:
//
//	{
//	  "version": 1,                      // format version; readers refuse others
//	  "dataset": "devcon",               // the dataset it is valid for
//	  "source": "demo-bank",             // the source's name (notary config)
//	  "source_id": "acct-00042",         // the provider's id at the source (Sybil check)
//	  "commitments": {"balance": "<64 hex>"},  // column → SHA3-256(nonce ‖ value)
//	  "expires": "2026-01-01T13:00:00Z", // RFC 3339, UTC, whole seconds
//	  "notary": "<64 hex>",              // the notary's Ed25519 public key
//	  "signature": "<128 hex>"           // Ed25519 over the canonical encoding
//	}
//
// The canonical encoding (attest.Attestation.Canonical) is the JSON of every
// field but the signature, with "signature": "" in place, fields in the order
// above and map keys sorted, as Go's encoding/json writes them. The value is
// hashed as its raw ring integer: x for an sint column, round(x·2^F) with
// ties away from zero for an sfix column with F fractional bits, written as
// 16 bytes little-endian two's complement (sign-extended in the 64-bit ring);
// the nonce is 32 bytes. A later version may carry a TLSNotary presentation
// in place of the notary's word; the version field is what tells them apart.
//
// # Keys and TLS
//
// The signing key is a PEM PKCS#8 Ed25519 key in a file (created with mode
// 0600 when missing); its public key, in hex, goes into the datasets'
// notary_keys at the coordinator. The API is served over HTTPS with a
// certificate of its own (self-signed and created when missing); providers
// pin its SHA-256 fingerprint or trust it as a CA. The source is trusted by
// a PEM file or a pinned fingerprint from the config.
package notary
