package coordinator

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// role is what a request may do.
type role int

const (
	rolePublic role = iota
	roleAnalyst
	roleOperator
)

func (r role) String() string {
	switch r {
	case roleAnalyst:
		return "analyst"
	case roleOperator:
		return "operator"
	}
	return "public"
}

// keyring holds the SHA-256 of the API keys. Checking a key hashes it and
// compares it with every stored hash in constant time, so neither the
// comparison nor the number of keys compared depends on where it differs.
type keyring struct {
	analyst, operator [][32]byte
}

func newKeyring(analyst, operator []string) *keyring {
	k := &keyring{}
	for _, a := range analyst {
		k.analyst = append(k.analyst, sha256.Sum256([]byte(a)))
	}
	for _, o := range operator {
		k.operator = append(k.operator, sha256.Sum256([]byte(o)))
	}
	return k
}

// role returns the role of a presented key (rolePublic when it matches
// none) and an id for its rate limit bucket.
func (k *keyring) role(key string) (role, string) {
	if key == "" {
		return rolePublic, ""
	}
	h := sha256.Sum256([]byte(key))
	op, an := 0, 0
	for _, o := range k.operator {
		op |= subtle.ConstantTimeCompare(h[:], o[:])
	}
	for _, a := range k.analyst {
		an |= subtle.ConstantTimeCompare(h[:], a[:])
	}
	id := hex.EncodeToString(h[:8])
	switch {
	case op == 1:
		return roleOperator, id
	case an == 1:
		return roleAnalyst, id
	}
	return rolePublic, ""
}

// bearer is the API key of a request: "Authorization: Bearer KEY" or
// "X-API-Key: KEY".
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if k, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(k)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get("X-API-Key"))
}

// limiter is a set of token buckets, one per client key, with idle buckets
// dropped.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter makes a limiter of perSecond requests with burst; nil (no
// limit) when perSecond is 0.
func newLimiter(perSecond float64, burst int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// allow takes a token of key's bucket; when there is none it returns how
// long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// A bucket idle long enough to have refilled is the same as none.
		full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
		for k, b := range l.buckets {
			if now.Sub(b.seen) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter renders a wait as a Retry-After header value (whole seconds,
// at least 1).
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Max(1, math.Ceil(d.Seconds()))))
}

// clientIP is the request's client address: the peer, or with trustProxy
// the last X-Forwarded-For entry (the one the trusted proxy added).
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
