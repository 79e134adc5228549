// Package fakeapi is a fake Anthropic API for tests and the load harness:
// Messages in JSON and server-sent events with usage, rate-limit headers as
// the real API sends them (the unified 5-hour and weekly windows to OAuth
// credentials, per-minute token buckets to API keys), scripted failures per
// credential, and a record of every request it received. It is not a model:
// it answers with fixed text.
package fakeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Request is what the fake received, kept for assertions.
type Request struct {
	Method     string
	Path       string
	Query      string // the raw query (?beta=true, ?limit=1000)
	Header     http.Header
	Body       []byte
	Credential string // the x-api-key value, or the Bearer token
}

// Behavior scripts how the fake answers one credential.
type Behavior struct {
	// LimitAfter answers 429 once this many requests succeeded (0: never):
	// with rejected unified headers to OAuth credentials (and keys with
	// Unified), else with retry-after and the per-minute headers showing
	// LimitTier exhausted.
	LimitAfter int
	// ResetAt is the unified reset sent with limit headers (zero: in 1h).
	ResetAt time.Time
	// Unified makes the fake send an API key the subscription's unified
	// headers instead of the per-minute ones a real Console key gets (for
	// tests about the unified windows that use key accounts).
	Unified bool
	// RPM, InputTPM and OutputTPM are an API key's per-minute limits (0: the
	// Default* figures). A key past one of them gets 429 until the minute
	// turns, as the real API answers.
	RPM, InputTPM, OutputTPM int64
	// LimitTier is the per-minute tier LimitAfter exhausts (TierRequests,
	// TierTokens, TierInputTokens, TierOutputTokens; default requests).
	LimitTier string
	// Statuses are answered, one per request, before normal service resumes
	// (e.g. 500, then 200). 429 and 529 carry Anthropic error bodies.
	Statuses []int
	// BareRateLimit makes scripted 429s carry only x-should-retry.
	BareRateLimit bool
	// RetryAfter is sent as retry-after with scripted 429s of the usage
	// endpoint (0: none).
	RetryAfter time.Duration
	// CutAfterFirstEvent ends streamed responses abruptly after message_start.
	CutAfterFirstEvent bool
	// StreamError sends an "event: error" of this type after the first event.
	StreamError string
	// Utilization is the 5-hour utilization (0..1) reported in the headers
	// and, x100, by the usage endpoint.
	Utilization float64
	// UtilizationStep is added to Utilization before each model request
	// is answered (e.g. 0.01: +1 % of the 5-hour window per request, as a
	// subscription's window fills), so the headers rise request by request.
	UtilizationStep float64
	// Overage marks the 5h window rejected while overage pays for requests.
	Overage bool
	// NoFiveHour leaves out the 5-hour window (weekly-only plans).
	NoFiveHour bool
	// LimitsOnly makes the usage endpoint answer in the current shape: the
	// legacy keys null and every window in limits[] (percent, severity,
	// is_active, scope.model.display_name), plus a spend block.
	LimitsOnly bool
	// ScopedWindow names a model-scoped weekly window sent in the headers
	// (e.g. "7d_oi", the Fable-only week) for model family ScopedModel
	// (e.g. "fable"), at ScopedUtilization. At 1 or more it is rejected:
	// requests whose model contains ScopedModel get 429 with the unified
	// status and that window rejected; other models are served.
	ScopedWindow      string
	ScopedModel       string
	ScopedUtilization float64
	// BodyError answers every model request with this error and normal,
	// allowed limit headers: the signals that show only in bodies.
	BodyError *BodyError
	// Delay, when set, replaces Server.Delay between this credential's
	// streamed events (slow streams for the load harness).
	Delay time.Duration
	// CacheWrite5m and CacheWrite1h are reported as cache writes in every
	// answer's usage: cache_creation_input_tokens their sum, and the split
	// in cache_creation.ephemeral_5m/1h_input_tokens as the API sends it.
	CacheWrite5m, CacheWrite1h int64
	// RefuseFamily answers requests whose model contains it with a 429
	// that refuses that model family only, with RefuseCode (CodeCreditsRequired
	// or CodeOrgLevelDisabled) as error.reason and in the message (the
	// field that carries the code is not documented; users quote the
	// message), and no rate-limit header.
	RefuseFamily, RefuseCode string
}

// Codes of 429s that refuse one model family on an account.
const (
	CodeCreditsRequired  = "credits_required"
	CodeOrgLevelDisabled = "org_level_disabled"
)

// BodyError is an error only the body explains.
type BodyError struct {
	Status     int
	Type       string // default from Status
	Message    string
	RetryAfter time.Duration // sent as retry-after when set
}

// Error bodies users report for extra usage and spend limits.
const (
	MsgThirdPartyExtraUsage = "Third-party apps now draw from your extra usage, not your plan limits. Turn on extra usage to continue."
	MsgLongContextExtra     = "Extra usage is required for long context requests."
	MsgOutOfExtraUsage      = "You're out of extra usage. Add more at claude.ai/settings/usage and keep going."
	MsgWorkspaceSpendLimit  = "You have reached your specified workspace API usage limits. You will regain access on 2026-12-01 at 00:00 UTC."
	MsgMonthlySpendCap      = "You have reached your monthly usage limit for your tier. Raise your spend limit to continue."
)

// Server is the fake API. Zero Chunks means 3 text deltas per stream.
type Server struct {
	*httptest.Server

	// Chunks is the number of content_block_delta events per stream.
	Chunks int
	// Delay is slept between streamed events.
	Delay time.Duration
	// Pace, when set, is received from before every streamed event after
	// the first, so a test can prove events are relayed one by one.
	Pace chan struct{}
	// RefuseUnknown answers 401 authentication_error, as the real API does
	// for a bad key, to every credential that has no Script. Set it before
	// the first request.
	RefuseUnknown bool
	// Forget, when set, keeps no copy of the requests (Received stays
	// empty), so long load and soak runs do not grow the fake's memory.
	Forget bool
	// Compatible, when set before the first request, makes the fake stand
	// in for an Anthropic-compatible endpoint other than Anthropic's.
	Compatible *Compatible
	// LoadLimits sizes every key's per-minute limits for load (2^40
	// requests and tokens a minute unless a Behavior sets its own), so the
	// load harness measures forwarding, not 429s. The per-minute headers
	// are still sent, as the real API sends them. Set it before Start.
	LoadLimits bool

	mu        sync.Mutex
	received  []Request
	behaviors map[string]*Behavior
	served    map[string]int // successful answers per credential
	minutes   map[string]*minute
	clock     func() time.Time
	count     atomic.Int64
	tls       tlsCounts // StartTLS's listener (tls.go)
}

// New starts a fake API on loopback; it is closed when the test ends.
func New(t testing.TB) *Server {
	s := NewUnstarted()
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// NewUnstarted returns a fake not yet listening (the load harness starts it).
func NewUnstarted() *Server {
	s := &Server{behaviors: map[string]*Behavior{}, served: map[string]int{}, minutes: map[string]*minute{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	return s
}

// Script sets how the fake answers requests carrying credential.
func (s *Server) Script(credential string, b Behavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behaviors[credential] = &b
}

// Received returns a copy of every request received so far.
func (s *Server) Received() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.received...)
}

// Count is the number of requests received (cheap; for the load harness).
func (s *Server) Count() int64 { return s.count.Load() }

// Served returns how many requests each credential was answered 2xx.
func (s *Server) Served() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.served))
	for k, v := range s.served {
		out[k] = v
	}
	return out
}

func credentialOf(r *http.Request) string {
	if k := r.Header.Get("x-api-key"); k != "" {
		return k
	}
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	path := r.URL.Path
	if c := s.Compatible; c != nil {
		rest, ok := strings.CutPrefix(path, c.Prefix)
		if !ok || (c.NoModelList && rest == "/v1/models") {
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		r.URL.Path = rest
	}
	cred := credentialOf(r)
	s.count.Add(1)
	s.mu.Lock()
	if !s.Forget {
		s.received = append(s.received, Request{
			Method: r.Method, Path: path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body, Credential: cred,
		})
	}
	b := s.behaviors[cred]
	var scripted int
	if b != nil && len(b.Statuses) > 0 {
		scripted, b.Statuses = b.Statuses[0], b.Statuses[1:]
	}
	limited := b != nil && b.LimitAfter > 0 && s.served[cred] >= b.LimitAfter
	hb := b // what the limit headers report: a copy taken under the lock
	if b != nil {
		if b.UtilizationStep > 0 && r.URL.Path == "/v1/messages" && !limited {
			b.Utilization += b.UtilizationStep
		}
		c := *b
		hb = &c
	}
	s.mu.Unlock()

	if r.URL.Path == "/api/oauth/usage" {
		s.usage(w, b, scripted)
		return
	}
	if cred == "" {
		writeError(w, http.StatusUnauthorized, "authentication_error", "x-api-key header is required")
		return
	}
	if s.RefuseUnknown && b == nil {
		writeError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
		return
	}
	if s.Compatible != nil {
		s.compatible(w, r, body, b, scripted)
		return
	}
	unified, now := unifiedFor(r, b), s.now()
	var m minute
	if unified {
		s.limitHeaders(w.Header(), hb, limited)
	} else {
		var in int64
		if r.URL.Path == "/v1/messages" {
			in = inputTokens(body)
		}
		m = s.admitMinute(cred, b, in, limited, now)
		minuteHeaders(w.Header(), m)
	}
	scopedHit := unified && b != nil && b.ScopedWindow != "" && b.ScopedUtilization >= 1 &&
		strings.Contains(strings.ToLower(requestModel(body)), b.ScopedModel)
	switch {
	case b != nil && b.RefuseFamily != "" && strings.Contains(strings.ToLower(requestModel(body)), b.RefuseFamily):
		for k := range w.Header() {
			if strings.HasPrefix(strings.ToLower(k), "anthropic-ratelimit-") {
				w.Header().Del(k)
			}
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"type": "error", "error": map[string]string{
			"type": "rate_limit_error", "reason": b.RefuseCode,
			"message": "Usage credits are required for this model (" + b.RefuseCode + ")."}})
		return
	case b != nil && b.BodyError != nil:
		be := b.BodyError
		if be.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(be.RetryAfter.Seconds())))
		}
		writeError(w, be.Status, cmpOr(be.Type, errorType(be.Status)), be.Message)
		return
	case scopedHit:
		w.Header().Set("anthropic-ratelimit-unified-status", "rejected")
		w.Header().Set("anthropic-ratelimit-unified-reset", w.Header().Get("anthropic-ratelimit-unified-"+b.ScopedWindow+"-reset"))
		writeError(w, http.StatusTooManyRequests, "rate_limit_error", "This request would exceed your rate limit.")
		return
	case !unified && m.limitedTier != "":
		rejectMinute(w, m, now)
		return
	case limited:
		writeError(w, http.StatusTooManyRequests, "rate_limit_error", "This request would exceed your rate limit.")
		return
	case scripted == http.StatusTooManyRequests && b.BareRateLimit:
		for k := range w.Header() {
			if strings.HasPrefix(strings.ToLower(k), "anthropic-ratelimit-") {
				w.Header().Del(k)
			}
		}
		w.Header().Set("x-should-retry", "true")
		writeError(w, scripted, "rate_limit_error", "Rate limited.")
		return
	case scripted != 0 && scripted != http.StatusOK:
		writeError(w, scripted, errorType(scripted), fmt.Sprintf("scripted status %d", scripted))
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/models/"); ok {
		if id != fakeModel["id"] {
			writeError(w, http.StatusNotFound, "not_found_error", "model: "+id)
			return
		}
		writeJSON(w, http.StatusOK, fakeModel)
		return
	}
	switch r.URL.Path {
	case "/v1/messages":
		s.messages(w, r, body, b)
		if !unified {
			s.spendOutput(cred, int64(s.chunks()*outputTokensPerChunk), now)
		}
	case "/v1/messages/count_tokens":
		writeJSON(w, http.StatusOK, map[string]any{"input_tokens": len(body) / 4})
	case "/v1/models":
		writeJSON(w, http.StatusOK, map[string]any{
			"data":     []map[string]any{fakeModel},
			"has_more": false, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5",
		})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"path": r.URL.Path, "method": r.Method})
	}
	s.mu.Lock()
	s.served[cred]++
	s.mu.Unlock()
}

// fakeModel is the one model the fake lists and describes.
var fakeModel = map[string]any{"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5", "created_at": "2025-09-29T00:00:00Z"}

func errorType(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusBadRequest:
		return "invalid_request_error"
	default:
		return "api_error"
	}
}

// limitHeaders sets the unified rate-limit headers a subscription account
// receives on every response.
func (s *Server) limitHeaders(h http.Header, b *Behavior, limited bool) {
	util, reset, overage := 0.1, time.Now().Add(time.Hour), false
	if b != nil {
		util, overage = b.Utilization, b.Overage
		if !b.ResetAt.IsZero() {
			reset = b.ResetAt
		}
	}
	status, fiveStatus := "allowed", "allowed"
	switch {
	case limited:
		status, fiveStatus, util = "rejected", "rejected", 1
	case overage:
		fiveStatus, util = "rejected", 1
		h.Set("anthropic-ratelimit-unified-overage-status", "allowed")
		h.Set("anthropic-ratelimit-unified-overage-utilization", "0.05")
	case util >= 0.8:
		status, fiveStatus = "allowed_warning", "allowed_warning"
	}
	r := fmt.Sprint(reset.Unix())
	h.Set("anthropic-ratelimit-unified-status", status)
	h.Set("anthropic-ratelimit-unified-reset", r)
	if b == nil || !b.NoFiveHour {
		h.Set("anthropic-ratelimit-unified-5h-status", fiveStatus)
		h.Set("anthropic-ratelimit-unified-5h-utilization", fmt.Sprint(util))
		h.Set("anthropic-ratelimit-unified-5h-reset", r)
	}
	if b != nil && b.ScopedWindow != "" {
		st := "allowed"
		if b.ScopedUtilization >= 1 {
			st = "rejected"
		}
		pre := "anthropic-ratelimit-unified-" + b.ScopedWindow
		h.Set(pre+"-status", st)
		h.Set(pre+"-utilization", fmt.Sprint(b.ScopedUtilization))
		h.Set(pre+"-reset", fmt.Sprint(reset.Add(48*time.Hour).Unix()))
	}
	h.Set("anthropic-ratelimit-unified-7d-status", "allowed")
	h.Set("anthropic-ratelimit-unified-7d-utilization", fmt.Sprint(util/4))
	h.Set("anthropic-ratelimit-unified-7d-reset", fmt.Sprint(reset.Add(72*time.Hour).Unix()))
	h.Set("anthropic-ratelimit-unified-representative-claim", "five_hour")
	h.Set("request-id", "req_fake")
}

func (s *Server) usage(w http.ResponseWriter, b *Behavior, scripted int) {
	if scripted != 0 && scripted != http.StatusOK {
		if scripted == http.StatusTooManyRequests && b.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(b.RetryAfter.Seconds())))
		}
		writeError(w, scripted, errorType(scripted), fmt.Sprintf("scripted status %d", scripted))
		return
	}
	util, resetAt := 10.0, time.Now().Add(time.Hour)
	if b != nil {
		util = b.Utilization * 100
		if !b.ResetAt.IsZero() {
			resetAt = b.ResetAt
		}
	}
	reset := resetAt.UTC().Format(time.RFC3339)
	// The week resets when the headers say it does (limitHeaders).
	week := resetAt.Add(72 * time.Hour).UTC().Format(time.RFC3339)
	if b != nil && b.LimitsOnly {
		writeJSON(w, http.StatusOK, s.limitsUsage(b, util, resetAt))
		return
	}
	body := map[string]any{
		"five_hour":        map[string]any{"utilization": util, "resets_at": reset},
		"seven_day":        map[string]any{"utilization": util / 4, "resets_at": week},
		"seven_day_opus":   nil,
		"seven_day_sonnet": map[string]any{"utilization": util / 8, "resets_at": reset},
	}
	if b != nil && b.NoFiveHour {
		body["five_hour"] = nil
	}
	writeJSON(w, http.StatusOK, body)
}

// limitsUsage is a usage body in the current shape: legacy keys null, the
// windows in limits[], a spend block, and codename keys the client must
// ignore.
func (s *Server) limitsUsage(b *Behavior, util float64, resetAt time.Time) map[string]any {
	reset := resetAt.UTC().Format(time.RFC3339)
	severity := func(p float64) string {
		if p >= 80 {
			return "warning"
		}
		return "normal"
	}
	var limits []map[string]any
	if !b.NoFiveHour {
		limits = append(limits, map[string]any{"kind": "session", "group": "session", "percent": util,
			"severity": severity(util), "resets_at": reset, "scope": nil, "is_active": util >= 100})
	}
	limits = append(limits, map[string]any{"kind": "weekly_all", "group": "weekly", "percent": util / 4,
		"severity": severity(util / 4), "resets_at": resetAt.Add(72 * time.Hour).UTC().Format(time.RFC3339), "scope": nil, "is_active": false})
	if b.ScopedModel != "" {
		p := b.ScopedUtilization * 100
		limits = append(limits, map[string]any{"kind": "weekly_scoped", "group": "weekly", "percent": p,
			"severity": severity(p), "resets_at": resetAt.Add(48 * time.Hour).UTC().Format(time.RFC3339),
			"scope":     map[string]any{"model": map[string]any{"id": nil, "display_name": strings.ToUpper(b.ScopedModel[:1]) + b.ScopedModel[1:]}, "surface": nil},
			"is_active": p >= 100})
	}
	return map[string]any{
		"five_hour": nil, "seven_day": nil, "seven_day_opus": nil, "seven_day_sonnet": nil,
		"seven_day_omelette": nil, "nimbus_quill": map[string]any{"utilization": 0.0, "resets_at": nil},
		"limits": limits,
		"spend":  map[string]any{"used": map[string]any{"amount": 0}, "limit": nil, "percent": 0, "severity": "normal"},
	}
}

func requestModel(body []byte) string {
	var v struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &v)
	return v.Model
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]any{
		"type":  "error",
		"error": map[string]string{"type": typ, "message": msg},
	})
}
