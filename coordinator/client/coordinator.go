package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/attest"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/runtime/partyapi"
)

// APIError is an error answer of a service: its HTTP status and message.
type APIError struct {
	Service string // "coordinator", "notary", "party 1"
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Service, e.Message, e.Status)
}

// StatusOf returns the HTTP status of an *APIError in err's chain, or 0.
func StatusOf(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// Coordinator is a client of the coordinator's API (package api): for
// providers (registration), analysts (queries, results) and operators
// (datasets, programs). mpcs share, query, results and demo use it.
type Coordinator struct {
	URL    string // base URL, e.g. "http://127.0.0.1:7200"
	APIKey string // analyst/operator key, sent as "Authorization: Bearer"
	HTTP   *http.Client
}

// NewCoordinator returns a client of the coordinator at base URL with
// httpClient (nil: one with a 60 s timeout that trusts the system roots).
func NewCoordinator(base, apiKey string, httpClient *http.Client) *Coordinator {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second, Transport: tlsutil.Transport(nil)}
	}
	return &Coordinator{URL: strings.TrimRight(base, "/"), APIKey: apiKey, HTTP: httpClient}
}

// CreateDataset creates a dataset (operator key).
func (c *Coordinator) CreateDataset(ctx context.Context, d api.CreateDataset) (*api.Dataset, error) {
	var out api.Dataset
	return &out, c.do(ctx, http.MethodPost, "/v1/datasets", d, &out)
}

// Datasets lists the datasets.
func (c *Coordinator) Datasets(ctx context.Context) ([]api.Dataset, error) {
	var out []api.Dataset
	return out, c.do(ctx, http.MethodGet, "/v1/datasets", nil, &out)
}

// Dataset returns one dataset.
func (c *Coordinator) Dataset(ctx context.Context, name string) (*api.Dataset, error) {
	var out api.Dataset
	return &out, c.do(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(name), nil, &out)
}

// Register registers a provider with its attestation and returns the
// submission ticket and the parties' endpoints.
func (c *Coordinator) Register(ctx context.Context, dataset string, a attest.Attestation) (*api.Registration, error) {
	var out api.Registration
	return &out, c.do(ctx, http.MethodPost, "/v1/datasets/"+url.PathEscape(dataset)+"/providers", api.Register{Attestation: a}, &out)
}

// Submitted tells the coordinator that the three parties acknowledged the
// shares of ticket (their receipts), so the row can go into the next
// admission batch.
func (c *Coordinator) Submitted(ctx context.Context, dataset, ticket string, receipts []partyapi.SubmissionReceipt) (*api.ProviderStatus, error) {
	var out api.ProviderStatus
	return &out, c.do(ctx, http.MethodPost, providerPath(dataset, ticket)+"/submitted", api.Submitted{Receipts: receipts}, &out)
}

// Provider returns the state of a registration: registered, submitted,
// admitted or rejected (with the reason).
func (c *Coordinator) Provider(ctx context.Context, dataset, ticket string) (*api.ProviderStatus, error) {
	var out api.ProviderStatus
	return &out, c.do(ctx, http.MethodGet, providerPath(dataset, ticket), nil, &out)
}

func providerPath(dataset, ticket string) string {
	return "/v1/datasets/" + url.PathEscape(dataset) + "/providers/" + url.PathEscape(ticket)
}

// UploadProgram stores a compiled program (.mpcb bytes) at the coordinator
// (operator key).
func (c *Coordinator) UploadProgram(ctx context.Context, mpcb []byte) (*api.Program, error) {
	var out api.Program
	return &out, doRequest(ctx, c.HTTP, "coordinator", http.MethodPost, c.URL+"/v1/programs", c.APIKey,
		"application/octet-stream", mpcb, &out)
}

// Program describes a stored program (analyst key).
func (c *Coordinator) Program(ctx context.Context, hash string) (*api.Program, error) {
	var out api.Program
	return &out, c.do(ctx, http.MethodGet, "/v1/programs/"+url.PathEscape(hash), nil, &out)
}

// CreateQuery submits a query (analyst key), asking the coordinator to hold
// the answer up to wait (at most a minute; 0: answer at once) for the
// query to finish.
func (c *Coordinator) CreateQuery(ctx context.Context, q api.CreateQuery, wait time.Duration) (*api.Query, error) {
	var out api.Query
	return &out, c.do(ctx, http.MethodPost, "/v1/queries"+waitParam(wait), q, &out)
}

// Query returns a query's state, waiting up to wait (0: not at all) for it
// to finish.
func (c *Coordinator) Query(ctx context.Context, id string, wait time.Duration) (*api.Query, error) {
	var out api.Query
	return &out, c.do(ctx, http.MethodGet, "/v1/queries/"+url.PathEscape(id)+waitParam(wait), nil, &out)
}

// Queries lists the latest queries, of one dataset when dataset != "", at
// most limit of them (0: the coordinator's default).
func (c *Coordinator) Queries(ctx context.Context, dataset string, limit int) ([]api.Query, error) {
	v := url.Values{}
	if dataset != "" {
		v.Set("dataset", dataset)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	path := "/v1/queries"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out []api.Query
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// waitParam is the ?wait= of a request the coordinator may hold until a
// query finishes.
func waitParam(wait time.Duration) string {
	if wait <= 0 {
		return ""
	}
	return "?wait=" + url.QueryEscape(wait.String())
}

// queryWait is how long WaitQuery asks the coordinator to hold each request.
const queryWait = 30 * time.Second

// WaitQuery waits until a query is done or failed, or ctx ends. Each request
// is held by the coordinator until the query finishes (up to queryWait), so
// the answer comes as soon as the result is there. A failed query is
// returned with an error saying why.
func (c *Coordinator) WaitQuery(ctx context.Context, id string) (*api.Query, error) {
	for {
		q, err := c.Query(ctx, id, queryWait)
		if err != nil {
			return nil, err
		}
		switch q.Status {
		case "done":
			return q, nil
		case "failed":
			return q, fmt.Errorf("query %s failed: %s", id, q.Error)
		}
		// Not finished within queryWait (or the coordinator did not hold
		// the request): a short pause, so that a coordinator answering at
		// once is not asked in a tight loop.
		select {
		case <-ctx.Done():
			return q, fmt.Errorf("query %s still %s: %w", id, q.Status, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stats returns a dataset's live statistics (public).
func (c *Coordinator) Stats(ctx context.Context, name string) (*api.Stats, error) {
	var out api.Stats
	return &out, c.do(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(name)+"/stats", nil, &out)
}

// Health returns the coordinator's view of itself and the parties.
func (c *Coordinator) Health(ctx context.Context) (*api.Health, error) {
	var out api.Health
	return &out, c.do(ctx, http.MethodGet, "/v1/health", nil, &out)
}

func (c *Coordinator) do(ctx context.Context, method, path string, in, out any) error {
	return doJSON(ctx, c.HTTP, "coordinator", method, c.URL+path, c.APIKey, in, out)
}

// doJSON sends in as JSON (if not nil) and decodes a 2xx answer into out
// (if not nil); an error answer becomes an *APIError.
func doJSON(ctx context.Context, hc *http.Client, service, method, u, bearer string, in, out any) error {
	if in == nil {
		return doRequest(ctx, hc, service, method, u, bearer, "", nil, out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return doRequest(ctx, hc, service, method, u, bearer, "application/json", b, out)
}

// RateLimitRetries is how many times a request refused with 429 Too Many
// Requests is sent again, after the Retry-After the server asks for (at
// most MaxRetryAfter each time). A 429 means the request was not processed,
// so sending it again is safe.
var (
	RateLimitRetries = 5
	MaxRetryAfter    = 10 * time.Second
)

// doRequest sends body (if not nil) of the content type and decodes a 2xx
// answer into out (if not nil); an error answer becomes an *APIError.
func doRequest(ctx context.Context, hc *http.Client, service, method, u, bearer, ctype string, body []byte, out any) error {
	for attempt := 0; ; attempt++ {
		wait, err := doOnce(ctx, hc, service, method, u, bearer, ctype, body, out)
		if wait <= 0 || attempt >= RateLimitRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(min(wait, MaxRetryAfter)):
		}
	}
}

// doOnce is one attempt of doRequest; retry > 0 asks to try again after it.
func doOnce(ctx context.Context, hc *http.Client, service, method, u, bearer, ctype string, body []byte, out any) (retry time.Duration, err error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", service, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", service, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, fmt.Errorf("%s: reading the answer: %w", service, err)
	}
	if resp.StatusCode/100 != 2 {
		var e api.Error
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if msg == "" {
			msg = resp.Status
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			retry = time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				retry = time.Duration(s) * time.Second
			}
		}
		return retry, &APIError{Service: service, Status: resp.StatusCode, Message: msg}
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return 0, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return 0, fmt.Errorf("%s: %s %s: bad answer: %w", service, method, u, err)
	}
	return 0, nil
}
