package pool

import (
	"net/http"
	"testing"
	"time"
)

// FuzzParseHeaders reads arbitrary rate-limit headers: never a panic, and
// "found" exactly when the limits were stamped with the time of reading.
func FuzzParseHeaders(f *testing.F) {
	f.Add("anthropic-ratelimit-unified-5h-utilization", "0.42", "anthropic-ratelimit-unified-5h-reset", "1767225600")
	f.Add("anthropic-ratelimit-unified-status", "rejected", "retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add("anthropic-ratelimit-requests-reset", "2026-11-29T12:00:00Z", "anthropic-ratelimit-tokens-remaining", "-1")
	f.Add("retry-after", "99999999999999999999", "anthropic-ratelimit-", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
		h := http.Header{}
		h[k1] = []string{v1}
		h[k2] = append(h[k2], v2)
		l, found := ParseHeaders(h, now)
		if found != !l.UpdatedAt.IsZero() {
			t.Fatalf("found=%v but UpdatedAt=%v", found, l.UpdatedAt)
		}
		// The pool must take whatever was parsed without panicking.
		p, err := New(Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		p.SetAccounts([]Account{{ID: "a", Name: "a"}})
		_ = p.Observe("a", http.StatusTooManyRequests, h)
		_ = p.Snapshot()
	})
}
