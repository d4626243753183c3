package datasource

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBalances(t *testing.T) {
	assert.Equal(t, Balance("acct-1"), Balance("acct-1"), "deterministic")
	re := regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`)
	var xs []float64
	for i := range 10000 {
		b := Balance("acct-" + strconv.Itoa(i))
		require.Regexp(t, re, b)
		x, _ := strconv.ParseFloat(b, 64)
		require.GreaterOrEqual(t, x, XMin)
		require.LessOrEqual(t, x, Max)
		xs = append(xs, x)
	}
	// heavy-tailed: the Gini coefficient of the sample is high, the mean
	// far above the median
	sort.Float64s(xs)
	var sum, weighted float64
	for i, x := range xs {
		sum += x
		weighted += float64(i+1) * x
	}
	n := float64(len(xs))
	gini := 2*weighted/(n*sum) - (n+1)/n
	assert.Greater(t, gini, 0.5)
	assert.Greater(t, sum/n, 1.5*xs[len(xs)/2])
}

func TestSource(t *testing.T) {
	s := &Source{Token: "tok", Exists: func(id string) bool { return id != "nobody" }}
	get := func(path, token string) (int, map[string]string) {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var m map[string]string
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m))
		return w.Code, m
	}
	code, m := get("/accounts/acct-9", "tok")
	assert.Equal(t, 200, code)
	assert.Equal(t, map[string]string{"id": "acct-9", "balance": Balance("acct-9"), "currency": "ETH"}, m)
	code, m = get("/accounts/a%2Fb", "tok")
	assert.Equal(t, 200, code)
	assert.Equal(t, "a/b", m["id"])
	code, _ = get("/accounts/acct-9", "")
	assert.Equal(t, 401, code)
	code, _ = get("/accounts/nobody", "tok")
	assert.Equal(t, 404, code)
	code, _ = get("/accounts/a/b", "tok")
	assert.Equal(t, 404, code)
	code, m = get("/health", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, "ok", m["status"])
}
