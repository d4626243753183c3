package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
)

// Client calls the coordinator's API as an analyst or operator (mpcs query,
// mpcs results, and the demo's setup use it).
type Client struct {
	// URL is the coordinator's base URL, e.g. "http://127.0.0.1:8080".
	URL string
	// APIKey is sent as "Authorization: Bearer KEY" when set.
	APIKey string
	// HTTP is the client to use (default http.DefaultClient).
	HTTP *http.Client
}

// APIError is an error answer of the coordinator.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("coordinator: %d %s: %s", e.Status, http.StatusText(e.Status), e.Msg)
}

func (c *Client) do(ctx context.Context, method, path, contentType string, body io.Reader, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, body)
	if err != nil {
		return 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("coordinator unreachable: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, &APIError{Status: resp.StatusCode, Msg: errorText(b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("coordinator: malformed answer: %w", err)
		}
	}
	return resp.StatusCode, nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	return c.do(ctx, method, path, ct, body, out)
}

// CreateDataset creates a dataset (operator key).
func (c *Client) CreateDataset(ctx context.Context, d api.CreateDataset) (api.Dataset, error) {
	var out api.Dataset
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/datasets", d, &out)
	return out, err
}

// Datasets lists the datasets.
func (c *Client) Datasets(ctx context.Context) ([]api.Dataset, error) {
	var out []api.Dataset
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/datasets", nil, &out)
	return out, err
}

// Dataset reads one dataset.
func (c *Client) Dataset(ctx context.Context, name string) (api.Dataset, error) {
	var out api.Dataset
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(name), nil, &out)
	return out, err
}

// Stats reads a dataset's published statistics.
func (c *Client) Stats(ctx context.Context, name string) (api.Stats, error) {
	var out api.Stats
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/datasets/"+url.PathEscape(name)+"/stats", nil, &out)
	return out, err
}

// UploadProgram stores a .mpcb program (operator key).
func (c *Client) UploadProgram(ctx context.Context, bytecode []byte) (api.Program, error) {
	var out api.Program
	_, err := c.do(ctx, http.MethodPost, "/v1/programs", "application/octet-stream", bytes.NewReader(bytecode), &out)
	return out, err
}

// Program describes a stored program.
func (c *Client) Program(ctx context.Context, hash string) (api.Program, error) {
	var out api.Program
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/programs/"+url.PathEscape(hash), nil, &out)
	return out, err
}

func waitParam(wait time.Duration) string {
	if wait <= 0 {
		return ""
	}
	return "?wait=" + url.QueryEscape(wait.String())
}

// CreateQuery submits a query, waiting up to wait (at most a minute) for it
// to finish.
func (c *Client) CreateQuery(ctx context.Context, q api.CreateQuery, wait time.Duration) (api.Query, error) {
	var out api.Query
	_, err := c.doJSON(ctx, http.MethodPost, "/v1/queries"+waitParam(wait), q, &out)
	return out, err
}

// Query reads a query, waiting up to wait for it to finish.
func (c *Client) Query(ctx context.Context, id string, wait time.Duration) (api.Query, error) {
	var out api.Query
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/queries/"+url.PathEscape(id)+waitParam(wait), nil, &out)
	return out, err
}

// Queries lists the latest queries (of one dataset when dataset != "").
func (c *Client) Queries(ctx context.Context, dataset string, limit int) ([]api.Query, error) {
	v := url.Values{}
	if dataset != "" {
		v.Set("dataset", dataset)
	}
	if limit > 0 {
		v.Set("limit", fmt.Sprint(limit))
	}
	path := "/v1/queries"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var out []api.Query
	_, err := c.doJSON(ctx, http.MethodGet, path, nil, &out)
	return out, err
}

// WaitQuery polls a query until it is done or failed, or ctx ends.
func (c *Client) WaitQuery(ctx context.Context, id string) (api.Query, error) {
	for {
		q, err := c.Query(ctx, id, 30*time.Second)
		if err != nil {
			return q, err
		}
		if q.Status == "done" || q.Status == "failed" {
			return q, nil
		}
		if err := ctx.Err(); err != nil {
			return q, err
		}
	}
}

// Health reads the coordinator's health.
func (c *Client) Health(ctx context.Context) (api.Health, error) {
	var out api.Health
	_, err := c.doJSON(ctx, http.MethodGet, "/v1/health", nil, &out)
	return out, err
}
