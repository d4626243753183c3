// Package coordinator is the query service of mpcs (ARCHITECTURE.md §1, §6):
// the HTTP/JSON API of coordinator/api (documented in openapi.yaml), the
// admission loop, the query runner, and the live statistics page.
//
// # What it holds and what it never sees
//
// The coordinator stores, in SQL (store.go: SQLite through the pure-Go
// modernc.org/sqlite by default, PostgreSQL through pgx when the database
// URL says postgres://): datasets, programs (bytecode uploaded by an
// operator), registrations (the notary's attestation, the signed ticket and
// the row's state), admission batches, queries and their results. It never
// receives a contributed value or a share: providers send their shares to
// the parties directly, with the ticket the coordinator signed.
//
// # The path of a row
//
//	provider ─attestation→ POST /v1/datasets/D/providers
//	         Verify (notary key accepted, signature, expiry, dataset), one
//	         registration per (dataset, source, source id) — the Sybil check
//	         ←ticket (partyapi.Ticket signed with the coordinator's Ed25519
//	          key; commitments copied from the attestation) + party URLs
//	provider ─shares→ each party; then POST .../providers/T/submitted
//	admission loop: every interval, batches of submitted tickets
//	         ─Signed[Admission]→ the three parties (in parallel); their
//	         results must agree; admitted/rejected per ticket, row count
//
// A batch that fails (a party down, refusing or killed) stays pending and
// is sent again under a fresh attempt id ("<id>.<n>": a party refuses an
// admission id that failed there for good), with the same tickets in the
// same order; the parties report the tickets an earlier attempt admitted
// (AlreadyAdmitted), after bringing a party that missed its commit up to
// date. Batches of a dataset go in order.
//
// # The path of a query
//
// POST /v1/queries checks the dataset, the program, the parameters and
// min_rows, then a goroutine (at most max_queries at once) sends a signed
// Job with the bytecode and the row count to the three parties at once. The
// first failure cancels the others and fails the query with an error naming
// the party (a 403 from a party's allowlist is passed on as is); the three
// revealed outputs must agree, else the result is withheld. Results are
// cached by (dataset, program, params, rows). A restarted coordinator fails
// the queries it left unfinished; they can be submitted again.
//
// Each dataset may have a published query (config): re-run by the admission
// loop when rows were admitted since its last run; its latest result is the
// web page's data (GET /v1/datasets/D/stats).
//
// # Access
//
// API keys (analyst, operator) are compared by SHA-256 in constant time
// (auth.go). Every request takes a token from a bucket of its key, or of
// its client IP when it has no valid key; registrations also take one from
// a stricter per-IP bucket. Calls to the parties use TLS 1.3 pinned to each
// party's certificate fingerprint; no CA is trusted.
package coordinator
