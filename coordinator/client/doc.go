// Package client holds the clients of the service's APIs, for providers,
// analysts and operators, and for the demo that runs a thousand providers in
// one process:
//
//   - Coordinator: the coordinator's API (package coordinator/api) —
//     datasets, registrations, programs, queries, stats; the one Go client
//     of it (mpcs share, query, results and demo, and the tests).
//   - Notary: the notary's API (package coordinator/notary).
//   - Parties: the three parties' submission API (package
//     runtime/partyapi), over TLS 1.3 pinned to each party's certificate
//     fingerprint, retrying the same shares while a party restarts.
//   - Provider: a whole contribution (Share): the notary attests the value it
//     fetches from its source under a nonce chosen here, the coordinator
//     registers the attestation and issues a ticket, the value and the nonce
//     are split into replicated shares here with crypto/rand (Split), each
//     party receives only its two components, and once the three have
//     acknowledged, the coordinator is told. ShareMany runs many at once.
//
// Errors of a service are *APIError (service, HTTP status, message), so a
// caller can tell a refused attestation (403) or a reused source id (409)
// from a network failure. Requests refused with 429 are sent again after
// the server's Retry-After.
//
// Subpackage tlsutil has the TLS trust (pinned fingerprint or PEM file) and
// the self-signed certificates of the notary and the sample source.
package client
