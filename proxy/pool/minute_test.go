package pool

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// keyHeaders are per-minute headers as a Console key gets them: every bucket
// with its limit, remaining and RFC 3339 reset.
func keyHeaders(reqRem, inRem, outRem string, reset time.Time) http.Header {
	r := reset.Format(time.RFC3339)
	return hdr(
		"anthropic-ratelimit-requests-limit", "50",
		"anthropic-ratelimit-requests-remaining", reqRem,
		"anthropic-ratelimit-requests-reset", r,
		"anthropic-ratelimit-input-tokens-limit", "40000",
		"anthropic-ratelimit-input-tokens-remaining", inRem,
		"anthropic-ratelimit-input-tokens-reset", r,
		"anthropic-ratelimit-output-tokens-limit", "8000",
		"anthropic-ratelimit-output-tokens-remaining", outRem,
		"anthropic-ratelimit-output-tokens-reset", r,
	)
}

func TestPerMinuteHeadersAreWindows(t *testing.T) {
	reset := t0.Add(40 * time.Second)
	l, ok := ParseHeaders(keyHeaders("40", "30000", "8000", reset), t0)
	if !ok {
		t.Fatal("per-minute headers not found")
	}
	want := map[string]float64{KindRPM: 0.2, KindInputTPM: 0.25, KindOutputTPM: 0}
	if len(l.Windows) != len(want) {
		t.Fatalf("windows %+v, want %d", l.Windows, len(want))
	}
	for kind, u := range want {
		w, ok := l.Find(kind, "")
		if !ok {
			t.Fatalf("no %s window in %+v", kind, l.Windows)
		}
		if math.Abs(w.Utilization-u) > 1e-9 || !w.ResetsAt.Equal(reset) || w.Scope != "" || w.Status != "" {
			t.Errorf("%s = %+v, want utilization %v, reset %v, account-wide, no status", kind, w, u, reset)
		}
	}
	if _, ok := l.Find(KindSession, ""); ok {
		t.Error("a 5-hour window appeared from per-minute headers")
	}
}

func TestPerMinuteOddValues(t *testing.T) {
	reset := t0.Add(time.Minute).Format(time.RFC3339)
	l, _ := ParseHeaders(hdr(
		"anthropic-ratelimit-requests-limit", "0", // no limit: no window
		"anthropic-ratelimit-requests-remaining", "0",
		"anthropic-ratelimit-tokens-limit", "100",
		"anthropic-ratelimit-tokens-remaining", "500", // more than the limit: unused
		"anthropic-ratelimit-tokens-reset", "soon",
		"anthropic-ratelimit-input-tokens-limit", "x",
		"anthropic-ratelimit-output-tokens-limit", "10",
		"anthropic-ratelimit-output-tokens-remaining", "-3", // garbage reads 0: exhausted
		"anthropic-ratelimit-output-tokens-reset", reset,
	), t0)
	if _, ok := l.Find(KindRPM, ""); ok {
		t.Error("window made from a zero limit")
	}
	if _, ok := l.Find(KindInputTPM, ""); ok {
		t.Error("window made from an unparsable limit")
	}
	if w, _ := l.Find(KindTPM, ""); w.Utilization != 0 || !w.ResetsAt.IsZero() {
		t.Errorf("tpm %+v, want 0 utilization and no reset", w)
	}
	if w, _ := l.Find(KindOutputTPM, ""); w.Utilization != 1 || w.Status != statusReject {
		t.Errorf("output_tpm %+v, want exhausted", w)
	}
}

func TestKeyRateLimitBenchesUntilRetryAfter(t *testing.T) {
	p, c := newPool(t, "priority", keyAccounts())
	// The buckets refill in 40 s, but retry-after says 25 s: the server's
	// word on when a retry passes wins.
	h := keyHeaders("0", "30000", "8000", t0.Add(40*time.Second))
	h.Set("retry-after", "25")
	if v := p.Observe("a", http.StatusTooManyRequests, h); v != Failover {
		t.Fatalf("verdict %v, want failover", v)
	}
	s, _ := p.Status("a")
	if s.State != StateLimited || !s.LimitedUntil.Equal(t0.Add(25*time.Second)) {
		t.Fatalf("state %v until %v, want limited until %v", s.State, s.LimitedUntil, t0.Add(25*time.Second))
	}
	if !strings.Contains(s.Reason, "requests per minute") {
		t.Errorf("reason %q does not name the requests-per-minute limit", s.Reason)
	}
	if w, _ := s.Limits.Find(KindRPM, ""); w.Utilization != 1 || w.Status != statusReject {
		t.Errorf("rpm window %+v, want full and rejected", w)
	}
	// Another account takes the traffic, and a is back once retry-after
	// passed.
	if got, err := p.Pick("", "", nil); err != nil || got.ID == "a" {
		t.Fatalf("picked %q (%v) while a is benched", got.ID, err)
	}
	c.Advance(25 * time.Second)
	if s, _ := p.Status("a"); s.State == StateLimited {
		t.Fatalf("a still limited after retry-after: %+v", s)
	}
}

func TestKeyTokensOutNamedWithoutRetryAfter(t *testing.T) {
	p, _ := newPool(t, "priority", keyAccounts())
	reset := t0.Add(30 * time.Second)
	p.Observe("a", http.StatusTooManyRequests, keyHeaders("10", "0", "8000", reset))
	s, _ := p.Status("a")
	if !s.LimitedUntil.Equal(reset) || !strings.Contains(s.Reason, "input tokens per minute") {
		t.Fatalf("until %v reason %q, want until the bucket's reset %v, naming input tokens", s.LimitedUntil, s.Reason, reset)
	}
}

// keyAccounts are three Console API-key accounts, a preferred.
func keyAccounts() []Account {
	return []Account{
		{ID: "a", Name: "Alice", Kind: "api-key", Priority: 1},
		{ID: "b", Name: "Bob", Kind: "api-key", Priority: 2},
		{ID: "c", Name: "Carol", Kind: "api-key", Priority: 3},
	}
}
