// Package partyapi defines what crosses a computation party's client API:
// the submission ticket the coordinator issues to a provider, the provider's
// submission of its shares, the admission batches and the query jobs the
// coordinator sends, and their Ed25519 signatures by the coordinator.
//
// A party serves this API over HTTPS (TLS 1.3, its own certificate, which
// providers and the coordinator pin by fingerprint):
//
//	POST /v1/submissions   Submission  → SubmissionReceipt   (providers)
//	POST /v1/admissions    Signed[Admission] → AdmissionResult (coordinator)
//	POST /v1/jobs          Signed[Job] → JobResult           (coordinator)
//	GET  /v1/datasets/{name}            → DatasetStatus      (coordinator)
//	GET  /v1/health                                          (anyone)
//
// Shares are hex of little-endian 64-bit words: for a ring element of
// k = 128 the low word then the high word. A party i receives components i
// and i+1 (mod 3) of x = x0 + x1 + x2 (XOR for sbits words).
package partyapi

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// Ticket lets one provider submit one row to a dataset, once.
type Ticket struct {
	ID          string            `json:"id"` // random, unique
	Dataset     string            `json:"dataset"`
	Commitments map[string]string `json:"commitments"` // column → hex SHA3-256, from the attestation
	Expires     time.Time         `json:"expires"`
}

// Column describes a dataset column.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // "sint", "sfix" or "sbits"
}

// Submission is a provider's row for one party: the party's two components
// of each column value and of the four nonce words.
type Submission struct {
	Ticket Signed[Ticket]          `json:"ticket"`
	Party  int                     `json:"party"`
	Values map[string][2]string    `json:"values"` // column → components (i, i+1)
	Nonce  map[string][4][2]string `json:"nonce"`  // column → 4 words × components
}

// SubmissionReceipt acknowledges a stored submission.
type SubmissionReceipt struct {
	Ticket string    `json:"ticket"`
	Party  int       `json:"party"`
	Stored time.Time `json:"stored"`
	Status string    `json:"status"` // "pending"
}

// Admission asks the parties to check a batch of pending submissions
// (consistency of the shares between parties, then the commitment check in
// MPC) and to admit those that pass, in this order.
type Admission struct {
	ID      string   `json:"id"`
	Dataset string   `json:"dataset"`
	Tickets []string `json:"tickets"`
}

// AdmissionResult reports, per ticket, whether it was admitted and why not.
type AdmissionResult struct {
	ID       string            `json:"id"`
	Admitted []string          `json:"admitted"`
	Rejected map[string]string `json:"rejected"` // ticket → reason
	Rows     int64             `json:"rows"`     // admitted rows of the dataset after the batch

	// AlreadyAdmitted lists the batch's tickets that an earlier admission
	// of the dataset admitted (they are in Rejected too, as "already
	// admitted by an earlier admission"), with that admission's id and
	// their row. It is how the parties answer a batch the coordinator
	// retries under a new id after an attempt that the parties decided but
	// whose result did not reach it. Absent when there are none.
	AlreadyAdmitted map[string]AdmittedRow `json:"already_admitted,omitempty"`
}

// AdmittedRow is where an earlier admission put a ticket's row.
type AdmittedRow struct {
	Admission string `json:"admission"` // the id of the admission that admitted it
	Row       int64  `json:"row"`       // its position among the dataset's admitted rows
}

// Job asks the parties to run a program on a dataset's first Rows admitted
// rows (so all three use the same rows).
type Job struct {
	ID       string            `json:"id"`
	Dataset  string            `json:"dataset"`
	Bytecode []byte            `json:"bytecode"` // base64 in JSON; its hash must be on the party's allowlist
	Params   map[string]string `json:"params"`
	Rows     int64             `json:"rows"`
}

// JobResult is a party's view of the revealed outputs.
type JobResult struct {
	ID      string          `json:"id"`
	Outputs json.RawMessage `json:"outputs"` // as mpcc emulate --json's "outputs"
	Rounds  int64           `json:"rounds"`
	Bytes   int64           `json:"bytes"`
}

// DatasetStatus is a party's count of a dataset's rows.
type DatasetStatus struct {
	Dataset  string `json:"dataset"`
	Pending  int64  `json:"pending"`
	Admitted int64  `json:"admitted"`
}

// Signed is a message with the coordinator's Ed25519 signature over the
// JSON encoding of Body.
type Signed[T any] struct {
	Body      T      `json:"body"`
	Signature string `json:"signature"` // hex
}

// Sign signs body with the coordinator's key.
func Sign[T any](key ed25519.PrivateKey, body T) (Signed[T], error) {
	b, err := json.Marshal(body)
	if err != nil {
		return Signed[T]{}, err
	}
	return Signed[T]{Body: body, Signature: hex.EncodeToString(ed25519.Sign(key, b))}, nil
}

// ErrBadSignature is returned by Verify.
var ErrBadSignature = errors.New("not signed by the coordinator")

// Verify checks the signature with the coordinator's public key.
func (s Signed[T]) Verify(pub ed25519.PublicKey) error {
	b, err := json.Marshal(s.Body)
	if err != nil {
		return err
	}
	sig, err := hex.DecodeString(s.Signature)
	if err != nil || !ed25519.Verify(pub, b, sig) {
		return ErrBadSignature
	}
	return nil
}
