package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/coordinator/notary"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// Notary is a client of a notary's API (package notary).
type Notary struct {
	URL  string
	HTTP *http.Client
}

// NewNotary returns a client of the notary at base URL that trusts its
// certificate as trust says.
func NewNotary(base string, trust tlsutil.Trust) (*Notary, error) {
	hc, err := trust.HTTPClient(60 * time.Second)
	if err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	return &Notary{URL: strings.TrimRight(base, "/"), HTTP: hc}, nil
}

// Attest asks the notary to fetch and attest the provider's value.
func (n *Notary) Attest(ctx context.Context, req notary.AttestRequest) (*notary.AttestResponse, error) {
	var out notary.AttestResponse
	return &out, doJSON(ctx, n.HTTP, "notary", http.MethodPost, n.URL+"/v1/attest", "", req, &out)
}

// Key returns the notary's public key.
func (n *Notary) Key(ctx context.Context) (*notary.KeyInfo, error) {
	var out notary.KeyInfo
	return &out, doJSON(ctx, n.HTTP, "notary", http.MethodGet, n.URL+"/v1/key", "", nil, &out)
}

// Cell is one column value of a provider's row: its type and its raw ring
// integer (the value at the column's scale).
type Cell struct {
	Type string // "sint", "sfix" or "sbits"
	Raw  *big.Int
}

// Row is what a provider shares: a value per column and the nonce of the
// commitments.
type Row struct {
	Values map[string]Cell
	Nonce  [commit.NonceSize]byte
}

// RowFromAttestation is the row the notary attested.
func RowFromAttestation(r *notary.AttestResponse) (Row, error) {
	row := Row{Values: map[string]Cell{}}
	nb, err := hex.DecodeString(r.Nonce)
	if err != nil || len(nb) != commit.NonceSize {
		return Row{}, errors.New("notary: the answer's nonce is not 32 hex bytes")
	}
	row.Nonce = [commit.NonceSize]byte(nb)
	for col, v := range r.Values {
		raw, ok := new(big.Int).SetString(v.Raw, 10)
		if !ok {
			return Row{}, fmt.Errorf("notary: raw value of %q is %q, not an integer", col, v.Raw)
		}
		row.Values[col] = Cell{Type: v.Type, Raw: raw}
	}
	return row, nil
}

// EncodeWords is the partyapi text of one share component: the hex of its
// 64-bit words, each little-endian, low word first (one word in the 64-bit
// ring and for sbits, two in the 128-bit ring).
func EncodeWords(words ...uint64) string {
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return hex.EncodeToString(b)
}

func elemWords(k int, v vm.Vec, i int) []uint64 {
	if k == 128 {
		return []uint64{v.Lo[i], v.Hi[i]}
	}
	return []uint64{v.Lo[i]}
}

// Split deals row into the three parties' submissions for the ring k: party
// p gets components p and p+1 of every value (arithmetic shares for sint
// and sfix, XOR shares for sbits) and of the four nonce words (XOR shares)
// of every column. rnd supplies the randomness (nil: crypto/rand).
func Split(ticket partyapi.Signed[partyapi.Ticket], k int, row Row, rnd io.Reader) ([3]partyapi.Submission, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var subs [3]partyapi.Submission
	for p := range subs {
		subs[p] = partyapi.Submission{Ticket: ticket, Party: p,
			Values: map[string][2]string{}, Nonce: map[string][4][2]string{}}
	}
	nw := commit.NonceWords(row.Nonce)
	for col, cell := range row.Values {
		var shares [3]vm.Share
		var err error
		kc := k // the ring of this column's shares
		switch cell.Type {
		case "sint", "sfix":
			if err := commit.InRing(cell.Raw, k); err != nil {
				return subs, fmt.Errorf("column %q: %w", col, err)
			}
			x := vm.NewVec(k, 1)
			vm.SetElemBig(k, x, 0, cell.Raw)
			shares, err = runtime.SplitArith(k, x, rnd)
		case "sbits":
			if cell.Raw.Sign() < 0 || cell.Raw.BitLen() > 64 {
				return subs, fmt.Errorf("column %q: %s is not a 64-bit word", col, cell.Raw)
			}
			x := vm.NewWords(1)
			x.Lo[0] = cell.Raw.Uint64()
			shares, err = runtime.SplitBool(x, rnd)
			kc = 64
		default:
			return subs, fmt.Errorf("column %q: unknown type %q", col, cell.Type)
		}
		if err != nil {
			return subs, err
		}
		nonce := vm.NewWords(4)
		copy(nonce.Lo, nw[:])
		nshares, err := runtime.SplitBool(nonce, rnd)
		if err != nil {
			return subs, err
		}
		for p := range subs {
			var v [2]string
			var n [4][2]string
			for c := range 2 {
				v[c] = EncodeWords(elemWords(kc, shares[p][c], 0)...)
				for w := range 4 {
					n[w][c] = EncodeWords(nshares[p][c].Lo[w])
				}
			}
			subs[p].Values[col] = v
			subs[p].Nonce[col] = n
		}
	}
	return subs, nil
}

// Parties submits shares to the parties' client APIs over TLS 1.3, pinned
// to each party's certificate fingerprint. It keeps one connection pool
// per party and is safe for concurrent use.
type Parties struct {
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// RetryFor is how long a submission is retried while a party is
	// unreachable or answers 5xx (default 30 s; negative: no retry).
	RetryFor time.Duration

	mu      sync.Mutex
	clients map[string]*http.Client
}

func (ps *Parties) client(fingerprint string) (*http.Client, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if c, ok := ps.clients[fingerprint]; ok {
		return c, nil
	}
	cfg, err := tlsutil.Pinned(fingerprint)
	if err != nil {
		return nil, err
	}
	t := ps.Timeout
	if t == 0 {
		t = 30 * time.Second
	}
	c := &http.Client{Timeout: t, Transport: tlsutil.Transport(cfg)}
	if ps.clients == nil {
		ps.clients = map[string]*http.Client{}
	}
	ps.clients[fingerprint] = c
	return c, nil
}

// CheckEndpoints checks that eps name each party 0, 1, 2 once with an
// https URL and a fingerprint, and returns them in party order.
func CheckEndpoints(eps []api.PartyEndpoint) ([3]api.PartyEndpoint, error) {
	var out [3]api.PartyEndpoint
	seen := [3]bool{}
	for _, ep := range eps {
		if ep.Party < 0 || ep.Party > 2 || seen[ep.Party] {
			return out, fmt.Errorf("the coordinator's party list is malformed (party %d)", ep.Party)
		}
		u, err := url.Parse(ep.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return out, fmt.Errorf("party %d: URL %q is not https: shares go over TLS only", ep.Party, ep.URL)
		}
		if ep.Fingerprint == "" {
			return out, fmt.Errorf("party %d: no certificate fingerprint to pin", ep.Party)
		}
		seen[ep.Party] = true
		out[ep.Party] = ep
	}
	for p, ok := range seen {
		if !ok {
			return out, fmt.Errorf("the coordinator named no endpoint for party %d", p)
		}
	}
	return out, nil
}

// Submit sends one party its submission and returns its receipt. It
// retries (the same shares) while the party is unreachable or answers 5xx,
// for RetryFor.
func (ps *Parties) Submit(ctx context.Context, ep api.PartyEndpoint, sub partyapi.Submission) (*partyapi.SubmissionReceipt, error) {
	hc, err := ps.client(ep.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("party %d: %w", ep.Party, err)
	}
	service := fmt.Sprintf("party %d", ep.Party)
	u := strings.TrimRight(ep.URL, "/") + "/v1/submissions"
	retryFor := ps.RetryFor
	if retryFor == 0 {
		retryFor = 30 * time.Second
	}
	body, err := json.Marshal(sub)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(retryFor)
	wait := 50 * time.Millisecond
	for {
		var rec partyapi.SubmissionReceipt
		err := doRequest(ctx, hc, service, http.MethodPost, u, "", "application/json", body, &rec)
		if err == nil {
			if rec.Ticket != "" && rec.Ticket != sub.Ticket.Body.ID {
				return nil, fmt.Errorf("%s acknowledged ticket %q, not %q", service, rec.Ticket, sub.Ticket.Body.ID)
			}
			return &rec, nil
		}
		st := StatusOf(err)
		permanent := (st != 0 && st < 500 && st != http.StatusTooManyRequests) || errors.Is(err, tlsutil.ErrPinMismatch)
		if permanent || time.Now().After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// SubmitAll sends each party its own submission at once and waits for the
// three receipts.
func (ps *Parties) SubmitAll(ctx context.Context, eps []api.PartyEndpoint, subs [3]partyapi.Submission) ([3]partyapi.SubmissionReceipt, error) {
	var recs [3]partyapi.SubmissionReceipt
	ordered, err := CheckEndpoints(eps)
	if err != nil {
		return recs, err
	}
	var errs [3]error
	var wg sync.WaitGroup
	for p := range 3 {
		wg.Go(func() {
			r, err := ps.Submit(ctx, ordered[p], subs[p])
			if err != nil {
				errs[p] = err
				return
			}
			recs[p] = *r
		})
	}
	wg.Wait()
	return recs, errors.Join(errs[:]...)
}

// Provider is the provider's side of the service: attest, register, share,
// confirm. It is safe for concurrent use (the demo runs a thousand at once).
type Provider struct {
	Coordinator *Coordinator
	Notary      *Notary
	Parties     *Parties
}

// Contribution is one provider's contribution.
type Contribution struct {
	Dataset     string
	SourceID    string
	Credentials string                  // forwarded by the notary to the source
	Nonce       *[commit.NonceSize]byte // nil: 32 fresh random bytes
}

// Receipt is the proof of a contribution: the ticket, the attested
// commitments and the three parties' receipts.
type Receipt struct {
	Dataset     string                        `json:"dataset"`
	Source      string                        `json:"source"`
	SourceID    string                        `json:"source_id"`
	Ticket      string                        `json:"ticket"`
	Commitments map[string]string             `json:"commitments"`
	Parties     [3]partyapi.SubmissionReceipt `json:"parties"`
	Elapsed     time.Duration                 `json:"elapsed_ns"`
	Steps       Steps                         `json:"steps_ns"`
}

// Steps are the durations of a contribution's steps.
type Steps struct {
	Attest   time.Duration `json:"attest"`   // the notary, with its fetch from the source
	Register time.Duration `json:"register"` // the coordinator's registration
	Parties  time.Duration `json:"parties"`  // splitting and the three parties' receipts
	Confirm  time.Duration `json:"confirm"`  // telling the coordinator
}

// Share runs the whole contribution: the notary attests the value it
// fetches, the coordinator registers the attestation and issues a ticket,
// the value and nonce are split into shares here, each party receives only
// its own components, and when the three have acknowledged, the
// coordinator is told the row is submitted.
func (p *Provider) Share(ctx context.Context, c Contribution) (*Receipt, error) {
	start := time.Now()
	nonce := c.Nonce
	if nonce == nil {
		n, err := commit.NewNonce()
		if err != nil {
			return nil, err
		}
		nonce = &n
	}
	att, err := p.Notary.Attest(ctx, notary.AttestRequest{Dataset: c.Dataset, SourceID: c.SourceID,
		Nonce: hex.EncodeToString(nonce[:]), Credentials: c.Credentials})
	if err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	attested := time.Now()
	row, err := RowFromAttestation(att)
	if err != nil {
		return nil, err
	}
	if row.Nonce != *nonce {
		return nil, errors.New("notary: the attestation is for another nonce")
	}
	for col, cell := range row.Values {
		want := commit.Compute(cell.Raw, row.Nonce)
		if att.Attestation.Commitments[col] != hex.EncodeToString(want[:]) {
			return nil, fmt.Errorf("notary: the commitment of %q does not match the value it returned", col)
		}
	}
	rec, err := p.Submit(ctx, c.Dataset, att, row, attested)
	if err != nil {
		return nil, err
	}
	rec.Steps.Attest = attested.Sub(start)
	rec.Elapsed = time.Since(start)
	return rec, nil
}

// Submit registers the attestation of att and shares row (normally the
// attested row: a different row is rejected at admission). start is when
// the contribution began, for the receipt's Elapsed.
func (p *Provider) Submit(ctx context.Context, dataset string, att *notary.AttestResponse, row Row, start time.Time) (*Receipt, error) {
	var steps Steps
	t0 := time.Now()
	reg, err := p.Coordinator.Register(ctx, dataset, att.Attestation)
	steps.Register = time.Since(t0)
	if err != nil {
		return nil, fmt.Errorf("registration: %w", err)
	}
	if reg.Ring != 64 && reg.Ring != 128 {
		return nil, fmt.Errorf("registration: ring %d is not 64 or 128", reg.Ring)
	}
	if reg.FracBits != att.FracBits && hasType(row, "sfix") {
		return nil, fmt.Errorf("the notary scaled the value with %d fractional bits, the dataset has %d", att.FracBits, reg.FracBits)
	}
	tk := reg.Ticket.Body
	for col, c := range att.Attestation.Commitments {
		if tk.Commitments[col] != c {
			return nil, fmt.Errorf("registration: the ticket's commitment of %q is not the attested one", col)
		}
	}
	subs, err := Split(reg.Ticket, reg.Ring, row, nil)
	if err != nil {
		return nil, err
	}
	if p.Parties == nil {
		p.Parties = &Parties{}
	}
	t0 = time.Now()
	recs, err := p.Parties.SubmitAll(ctx, reg.Parties, subs)
	if err != nil {
		return nil, fmt.Errorf("submission of ticket %s: %w", tk.ID, err)
	}
	steps.Parties = time.Since(t0)
	t0 = time.Now()
	if _, err := p.Coordinator.Submitted(ctx, dataset, tk.ID, recs[:]); err != nil {
		return nil, fmt.Errorf("confirming ticket %s: %w", tk.ID, err)
	}
	steps.Confirm = time.Since(t0)
	return &Receipt{Dataset: dataset, Source: att.Attestation.Source, SourceID: att.Attestation.SourceID,
		Ticket: tk.ID, Commitments: att.Attestation.Commitments, Parties: recs, Elapsed: time.Since(start), Steps: steps}, nil
}

func hasType(row Row, t string) bool {
	for _, c := range row.Values {
		if c.Type == t {
			return true
		}
	}
	return false
}

// Columns returns the sorted column names of a row.
func (r Row) Columns() []string {
	cols := make([]string, 0, len(r.Values))
	for c := range r.Values {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	return cols
}
