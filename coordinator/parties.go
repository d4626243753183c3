package coordinator

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
)

// partyClient calls one party's client API over TLS 1.3, pinned to the
// party's certificate fingerprint (tlsutil.Pinned: no CA is trusted).
type partyClient struct {
	id   int
	url  string
	http *http.Client
}

// PartyError is a failed call to a party: Status is the HTTP status, or 0
// when the party could not be reached or answered nonsense.
type PartyError struct {
	Party  int
	URL    string
	Status int
	Msg    string
}

func (e *PartyError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("party %d (%s): %s", e.Party, e.URL, e.Msg)
	}
	return fmt.Sprintf("party %d (%s): %d %s: %s", e.Party, e.URL, e.Status, http.StatusText(e.Status), e.Msg)
}

func newPartyClient(p Party) (*partyClient, error) {
	tc, err := tlsutil.Pinned(p.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("party %d: %w", p.ID, err)
	}
	tr := &http.Transport{
		TLSClientConfig:     tc,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &partyClient{id: p.ID, url: p.URL, http: &http.Client{Transport: tr}}, nil
}

// maxPartyResponse bounds a party's answer.
const maxPartyResponse = 64 << 20

// do sends a JSON request (body nil for GET) and decodes a JSON answer.
func (c *partyClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, rd)
	if err != nil {
		return &PartyError{Party: c.id, URL: c.url, Msg: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		msg := "unreachable: " + err.Error()
		if ctx.Err() != nil {
			msg = "no answer: " + ctx.Err().Error()
		}
		return &PartyError{Party: c.id, URL: c.url, Msg: msg}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPartyResponse))
	if err != nil {
		return &PartyError{Party: c.id, URL: c.url, Msg: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		return &PartyError{Party: c.id, URL: c.url, Status: resp.StatusCode, Msg: errorText(b)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &PartyError{Party: c.id, URL: c.url, Msg: "malformed answer: " + err.Error()}
	}
	return nil
}

// errorText takes the message of an error body: {"error": "..."} or text.
func errorText(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	if s == "" {
		s = "(no message)"
	}
	return s
}

// allParties calls f for the three parties at once and returns their
// answers. The first failure cancels the other calls (a computation needs
// all three), and its error is returned, naming the party.
func allParties[T any](ctx context.Context, parties []*partyClient, f func(ctx context.Context, c *partyClient) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]T, len(parties))
	errs := make([]error, len(parties))
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range parties {
		wg.Go(func() {
			v, err := f(ctx, c)
			out[i], errs[i] = v, err
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}
