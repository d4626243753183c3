// Package api defines the coordinator's HTTP/JSON API (documented in
// coordinator/openapi.yaml). Clients (mpcs share, query, results) and the
// server use these types.
//
//	POST /v1/datasets                 CreateDataset → Dataset        (operator key)
//	GET  /v1/datasets                 → []Dataset
//	GET  /v1/datasets/{name}          → Dataset
//	POST /v1/datasets/{name}/providers Register → Registration       (providers; rate-limited)
//	POST /v1/datasets/{name}/providers/{ticket}/submitted
//	                                  Submitted → ProviderStatus     (the provider, once all three parties acknowledged)
//	GET  /v1/datasets/{name}/providers/{ticket} → ProviderStatus     (the provider)
//	POST /v1/programs                 .mpcb body → Program           (operator key)
//	GET  /v1/programs                 → []Program                    (analyst key)
//	GET  /v1/programs/{hash}          → Program                      (analyst key)
//	POST /v1/queries                  CreateQuery → Query            (analyst key)
//	GET  /v1/queries                  → []Query (?dataset=)          (analyst key)
//	GET  /v1/queries/{id}             → Query                        (analyst key)
//	GET  /v1/datasets/{name}/stats    → Stats (the web page's data; public)
//	GET  /v1/health                   → Health (public)
//	GET  /                            the web page (and /assets/{file})
//	GET  /openapi.yaml                this API's description
//
// Errors are {"error": "..."} with a 4xx/5xx status.
package api

import (
	"encoding/json"
	"time"

	"github.com/mpcs/mpcs/coordinator/attest"
	"github.com/mpcs/mpcs/runtime/partyapi"
)

// CreateDataset creates a dataset.
type CreateDataset struct {
	Name       string            `json:"name"`
	Columns    []partyapi.Column `json:"columns"`
	NotaryKeys []string          `json:"notary_keys"` // hex Ed25519 public keys accepted
	MinRows    int64             `json:"min_rows"`    // no result is released below this
}

// Dataset is a dataset's public description and state.
type Dataset struct {
	CreateDataset
	Rows      int64     `json:"rows"` // admitted rows
	Pending   int64     `json:"pending"`
	CreatedAt time.Time `json:"created_at"`
}

// Register is a provider's registration with its attestation.
type Register struct {
	Attestation attest.Attestation `json:"attestation"`
}

// PartyEndpoint tells a provider where a party's client API is.
type PartyEndpoint struct {
	Party       int    `json:"party"`
	URL         string `json:"url"`
	Fingerprint string `json:"fingerprint"` // hex SHA-256 of the party's TLS certificate
}

// Registration is the submission ticket and where to send the shares.
type Registration struct {
	Ticket   partyapi.Signed[partyapi.Ticket] `json:"ticket"`
	Parties  []PartyEndpoint                  `json:"parties"`
	Ring     int                              `json:"ring"`
	FracBits int                              `json:"frac_bits"`
}

// CreateQuery asks for a program (already on the parties' allowlists, by
// hash) to run on a dataset.
type CreateQuery struct {
	Dataset     string            `json:"dataset"`
	ProgramHash string            `json:"program_hash"` // hex SHA-256 of the bytecode
	Params      map[string]string `json:"params"`
}

// Query is a query's state and, when done, its result.
type Query struct {
	ID          string            `json:"id"`
	Dataset     string            `json:"dataset"`
	ProgramHash string            `json:"program_hash"`
	Params      map[string]string `json:"params"`
	Status      string            `json:"status"` // "queued", "running", "done", "failed"
	Error       string            `json:"error,omitempty"`
	Rows        int64             `json:"rows"`
	Outputs     json.RawMessage   `json:"outputs,omitempty"`
	CreatedAt   time.Time         `json:"created_at"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
}

// Stats is the live view of a dataset for the web page: the latest result
// of its published query.
type Stats struct {
	Dataset   string          `json:"dataset"`
	Providers int64           `json:"providers"` // admitted rows now
	Outputs   json.RawMessage `json:"outputs,omitempty"`
	UpdatedAt *time.Time      `json:"updated_at,omitempty"`

	Rows        int64  `json:"rows"`                   // rows the outputs were computed over
	Pending     int64  `json:"pending"`                // submitted rows not admitted yet
	MinRows     int64  `json:"min_rows"`               // no result below this many rows
	ProgramHash string `json:"program_hash,omitempty"` // the published query's program
	Status      string `json:"status"`                 // "waiting" (below min_rows or no run yet), "ready", "unpublished"
}

// Submitted tells the coordinator that a provider's shares reached all three
// parties. Receipts, when given, are the three parties' acknowledgements.
type Submitted struct {
	Receipts []partyapi.SubmissionReceipt `json:"receipts,omitempty"`
}

// ProviderStatus is the state of one registration (by ticket).
type ProviderStatus struct {
	Ticket    string    `json:"ticket"`
	Dataset   string    `json:"dataset"`
	Status    string    `json:"status"` // "registered", "submitted", "admitted", "rejected"
	Reason    string    `json:"reason,omitempty"`
	Expires   time.Time `json:"expires"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Program is a bytecode program the coordinator holds (uploaded by an
// operator). Hash is the program hash H that mpcc prints and the parties
// allowlist: the SHA-256 trailer of the .mpcb file.
type Program struct {
	Hash      string            `json:"hash"`
	Size      int               `json:"size"`
	Ring      int               `json:"ring"`
	FracBits  int               `json:"frac_bits"`
	Inputs    []partyapi.Column `json:"inputs"`
	Params    []string          `json:"params"`
	Outputs   []string          `json:"outputs"`
	CreatedAt time.Time         `json:"created_at"`
}

// Health is the coordinator's view of itself and of the parties.
type Health struct {
	Status  string        `json:"status"` // "ok" or "degraded"
	Parties []PartyHealth `json:"parties"`
}

// PartyHealth is one party's reachability.
type PartyHealth struct {
	Party int    `json:"party"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}
