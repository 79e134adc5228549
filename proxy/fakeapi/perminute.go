package fakeapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Default per-minute limits of an API key: the Tier 2 figures seen in
// recorded responses (1,000 requests, 80,000 input and 16,000 output tokens
// a minute; the tokens limit is their sum).
const (
	DefaultRPM       = 1000
	DefaultInputTPM  = 80000
	DefaultOutputTPM = 16000
)

// loadLimit is every per-minute limit of a fake with LoadLimits: far above
// what a load run sends (a million 20 KB requests a minute).
const loadLimit = 1 << 40

// Tiers whose exhaustion a Behavior may script (LimitTier); each names its
// anthropic-ratelimit-<tier>-* header group.
const (
	TierRequests     = "requests"
	TierTokens       = "tokens"
	TierInputTokens  = "input-tokens"
	TierOutputTokens = "output-tokens"
)

// minute is one credential's use in the current minute.
type minute struct {
	start              time.Time
	requests, in, out  int64
	rpm, inTPM, outTPM int64
	limitedTier        string // the tier that refused this request, if any
}

// isAPIKey reports whether the request authenticates as a Console key, which
// the real API answers with per-minute token-bucket headers instead of the
// subscription's unified windows.
func isAPIKey(r *http.Request) bool { return r.Header.Get("x-api-key") != "" }

// unifiedFor reports whether the fake sends the unified headers to this
// request: always for OAuth (Bearer) credentials, for keys only when the
// Behavior asks (Unified).
func unifiedFor(r *http.Request, b *Behavior) bool {
	return !isAPIKey(r) || (b != nil && b.Unified)
}

// now is the fake's clock (SetClock), time.Now by default.
func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// SetClock makes the fake read the time from now (for per-minute resets),
// so a test on a settable clock sees resets on that clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// admitMinute counts a request against cred's per-minute buckets and
// reports the state to send: the bucket use including this request, and the
// tier that is out ("" when the request is admitted). limited forces a
// rejection (Behavior.LimitAfter) on b.LimitTier (default requests).
func (s *Server) admitMinute(cred string, b *Behavior, in int64, limited bool, now time.Time) minute {
	start := now.Truncate(time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.minutes[cred]
	if m == nil || !m.start.Equal(start) {
		m = &minute{start: start}
		s.minutes[cred] = m
	}
	m.rpm, m.inTPM, m.outTPM = DefaultRPM, DefaultInputTPM, DefaultOutputTPM
	if s.LoadLimits {
		m.rpm, m.inTPM, m.outTPM = loadLimit, loadLimit, loadLimit
	}
	if b != nil {
		m.rpm, m.inTPM, m.outTPM = cmpOr64(b.RPM, m.rpm), cmpOr64(b.InputTPM, m.inTPM), cmpOr64(b.OutputTPM, m.outTPM)
	}
	out := *m
	switch {
	case limited:
		out.limitedTier = TierRequests
		if b != nil && b.LimitTier != "" {
			out.limitedTier = b.LimitTier
		}
	case m.requests >= m.rpm:
		out.limitedTier = TierRequests
	case m.in+in > m.inTPM:
		out.limitedTier = TierInputTokens
	case m.out >= m.outTPM:
		out.limitedTier = TierOutputTokens
	default:
		m.requests++
		m.in += in
		out = *m
	}
	return out
}

// spendOutput counts output tokens a served answer used in cred's minute.
func (s *Server) spendOutput(cred string, n int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.minutes[cred]; m != nil && m.start.Equal(now.Truncate(time.Minute)) {
		m.out += n
	}
}

// minuteHeaders sets the per-minute headers an API key receives on every
// response: limit, remaining and reset (RFC 3339, when the bucket is full
// again: the next minute) of requests, tokens, input and output tokens.
// The tier that ran out says remaining 0. Unlike the real API the token
// figures are exact, not rounded to thousands, so small test requests
// still move them.
func minuteHeaders(h http.Header, m minute) {
	reset := m.start.Add(time.Minute).UTC().Format(time.RFC3339)
	set := func(tier string, limit, used int64) {
		rem := max(limit-used, 0)
		if m.limitedTier == tier || (m.limitedTier == TierTokens && tier != TierRequests) {
			rem = 0
		}
		h.Set("anthropic-ratelimit-"+tier+"-limit", fmt.Sprint(limit))
		h.Set("anthropic-ratelimit-"+tier+"-remaining", fmt.Sprint(rem))
		h.Set("anthropic-ratelimit-"+tier+"-reset", reset)
	}
	set(TierRequests, m.rpm, m.requests)
	set(TierTokens, m.inTPM+m.outTPM, m.in+m.out)
	set(TierInputTokens, m.inTPM, m.in)
	set(TierOutputTokens, m.outTPM, m.out)
	h.Set("request-id", "req_fake")
}

// retryAfter is what a per-minute 429 says in retry-after: whole seconds
// until the minute's buckets refill, at least 1.
func retryAfter(m minute, now time.Time) string {
	d := m.start.Add(time.Minute).Sub(now)
	return fmt.Sprint(max(int64((d+time.Second-1)/time.Second), 1))
}

// rejectMinute answers a per-minute 429 as the real API does: retry-after,
// the per-minute headers with the exhausted tier at 0, no unified header.
func rejectMinute(w http.ResponseWriter, m minute, now time.Time) {
	w.Header().Set("retry-after", retryAfter(m, now))
	what := strings.ReplaceAll(m.limitedTier, "-", " ")
	writeError(w, http.StatusTooManyRequests, "rate_limit_error",
		"This request would exceed the rate limit for your organization of "+what+" per minute.")
}

func cmpOr64(a, b int64) int64 {
	if a > 0 {
		return a
	}
	return b
}
