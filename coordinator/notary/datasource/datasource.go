// Package datasource is the sample HTTPS JSON source of the demo: a bank
// whose accounts have deterministic, heavy-tailed ETH balances, which the
// notary fetches to attest a provider's value.
//
//	GET /accounts/{id}  → {"id": "acct-00042", "balance": "3.14", "currency": "ETH"}
//	GET /health         → {"status": "ok"}
//
// The balance of an account is a function of its id alone (SHA-256 of the
// id seeds a Pareto draw), so every run of the demo sees the same data and
// tests can compute the expected statistics in the clear with Balance.
package datasource

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Pareto parameters of the balances: minimum XMin ETH (median about 1.8), shape Alpha (about
// the 80/20 rule), capped at Max.
const (
	XMin  = 1.0
	Alpha = 1.16
	Max   = 5000.0
)

// Balance is the balance of account id as the source reports it: a decimal
// with two digits after the point.
func Balance(id string) string {
	h := sha256.Sum256([]byte("mpcs-demo-balance/" + id))
	// u uniform in (0, 1]
	u := (float64(binary.LittleEndian.Uint64(h[:8])>>11) + 1) / (1 << 53)
	x := XMin / math.Pow(u, 1/Alpha)
	x = math.Min(x, Max)
	cents := int64(math.Round(x * 100))
	return strconv.FormatInt(cents/100, 10) + "." + twoDigits(cents%100)
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// Account is the JSON of one account.
type Account struct {
	ID       string `json:"id"`
	Balance  string `json:"balance"`
	Currency string `json:"currency"`
}

// Source is the HTTP handler of the sample source.
type Source struct {
	// Token, if set, is required as "Authorization: Bearer <Token>".
	Token string
	// Exists, if set, says which ids have an account (others get 404);
	// nil means every id does.
	Exists func(id string) bool
}

// ServeHTTP implements http.Handler.
func (s *Source) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/health" {
		json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
		return
	}
	esc, ok := strings.CutPrefix(r.URL.EscapedPath(), "/accounts/")
	id, err := url.PathUnescape(esc)
	if !ok || err != nil || strings.Contains(esc, "/") || r.Method != http.MethodGet || id == "" {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"error": "no such resource; try GET /accounts/{id}"})
		return
	}
	if s.Token != "" {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.Token)) != 1 {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": "a valid bearer token is required"})
			return
		}
	}
	if s.Exists != nil && !s.Exists(id) {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"error": "no account " + strconv.Quote(id)})
		return
	}
	json.NewEncoder(w).Encode(Account{ID: id, Balance: Balance(id), Currency: "ETH"})
}
