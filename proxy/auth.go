package proxy

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tidwall/gjson"

	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/usage"
)

// The key guard's words and its reading of the headers, for the routes
// that mirror them (dialect.go, passthrough.go).
const setKeyHelp = clientkey.SetKeyHelp

func clientToken(r *http.Request) string { return clientkey.Token(r) }

// keyScope is the set of accounts k may use; nil when it may use all (or
// no key was given).
func (s *Service) keyScope(k *clientkey.Key) map[string]bool {
	if k == nil {
		return nil
	}
	return s.keys.set.Scope(k)
}

// anyAllowed reports whether a key scoped to allowed may use at least one
// pooled account.
func (s *Service) anyAllowed(allowed map[string]bool) bool {
	if allowed == nil {
		return true
	}
	for id := range allowed {
		if _, ok := s.pool.Status(id); ok {
			return true
		}
	}
	return false
}

// verify finds the key token is (clientkey.Set.Verify), logging, rate
// limited, a keyring that cannot be read.
func (s *Service) verify(token string) (*clientkey.Key, clientkey.Failure) {
	k, fail, err := s.keys.set.Verify(token)
	if err != nil && s.keys.logs.Allow() {
		s.log.Warn("client keys cannot be verified", "err", err)
	}
	return k, fail
}

// requireKey authenticates a request and applies its key's limits, and
// puts the key and its scope on the request. With keys off, a valid key is
// still recognised (its requests are attributed and limited) but a missing
// or bad one is let through.
func (s *Service) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestOf(r)
		k, fail := s.verify(clientkey.Token(r))
		if fail != clientkey.OK {
			// Passthrough (off by default) forwards the client's own
			// Anthropic credential: the client spends its own account,
			// never one of the pool's, so no Sluice key is asked for.
			if !s.keys.require.Load() || (fail == clientkey.Anthropic && s.cfg.Passthrough) {
				admit(w, r)
				next.ServeHTTP(w, r)
				return
			}
			req.err = s.authFailed(r, fail)
			return
		}
		admit(w, r)
		name, scope := s.keys.set.Record(k).Name, s.keyScope(k)
		done, refused, err := s.keys.set.Admit(r.Context(), k, s.now())
		if err != nil {
			s.log.Warn("reading a client key's cost failed", "key", k.ID(), "err", err)
		}
		req.key, req.keyName = k, name
		if refused != nil {
			// Journaled, so `sluice logs` explains the client's 429.
			s.record(req)
			req.err = keyRefusal(refused)
			return
		}
		defer done()
		if !s.anyAllowed(scope) {
			// 403: the key is valid but may use nothing Sluice has; only
			// the user can change that.
			req.err = &httpError{status: http.StatusForbidden, kind: errPermission, msg: fmt.Sprintf(
				"Sluice client key %q may only use accounts that are not in Sluice's pool; change its accounts with `sluice keys` or the Sluice window.", name)}
			return
		}
		req.scope = scope
		next.ServeHTTP(w, r)
	})
}

// reserveKeyCost holds the request's worst-case cost against its key's
// daily cap before it is forwarded, so parallel requests cannot spend past
// the cap by more than one request; the refusal, if any, is returned.
func (s *Service) reserveKeyCost(req *request) error {
	if req.key == nil {
		return nil
	}
	res, refused, err := s.keys.set.Reserve(req.r.Context(), req.key, s.now(), func() int64 { return s.worstCost(req.model, req.body) })
	if err != nil {
		s.log.Warn("reading a client key's cost failed", "key", req.key.ID(), "err", err)
	}
	if refused != nil {
		return keyRefusal(refused)
	}
	req.keyRes = res
	return nil
}

// worstCost is the most a request may cost: its max_tokens of output at
// its model's price (an unpriced model at its family's highest). Input is
// left out: it is known only once counted, and Settle puts the real cost
// in place of this.
func (s *Service) worstCost(model string, body []byte) int64 {
	out := gjson.GetBytes(body, "max_tokens").Int()
	c := usage.Counts{Model: model, OutputTokens: max(out, 0)}
	if v, ok := s.prices.Cost(c); ok {
		return v
	}
	return s.prices.CapCost(c)
}

// addKeyCost counts a finished request's cost toward its key's day, in
// place of what reserveKeyCost held for it.
func (s *Service) addKeyCost(req *request, at time.Time, micros int64) {
	switch {
	case req.key == nil:
	case req.keyRes != nil:
		req.keyRes.Settle(micros)
		req.keyRes = nil
	case micros != 0:
		s.keys.set.Spent(req.key, at, micros)
	}
}

// keyRefusal is a key's own limit reached (rate, requests in flight, daily
// cost): 429 with the wait, journaled with the limit as its reason.
func keyRefusal(r *clientkey.Refusal) error {
	return &httpError{status: http.StatusTooManyRequests, kind: errRateLimit, msg: r.Message,
		retryAfter: max(r.Wait, time.Nanosecond), reason: journal.Reason(r.Limit)}
}

// authFailed counts a refused key, logs it (rate limited) and, after
// repeated failures from one peer, slows the answer down; it returns the
// answer (authError).
func (s *Service) authFailed(r *http.Request, f clientkey.Failure) error {
	s.keys.failures.Add(1)
	if s.logRefusal(r, "client key refused: "+f.String()) {
		// Rate limited with the log line, and folded by the audit log
		// itself: a client retrying a bad key adds one row, not thousands.
		s.audit(r.Context(), AuditClientAuthFail, peerOf(r), f.String())
	}
	if f != clientkey.Unavailable {
		if d := s.keys.peers.fail(throttlePeer(peerOf(r)), time.Now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
			}
			t.Stop()
		}
	}
	return authError(f)
}

// authError is the answer to a refused key: 503 when the keyring that
// verifies keys is locked (the key may be fine; unlocking the keyring
// helps), else 401. Retrying a 401 cannot help until the user sets a key;
// the Anthropic SDKs (Claude Code's included) honour X-Should-Retry and
// show the message at once.
func authError(f clientkey.Failure) error {
	if f == clientkey.Unavailable {
		return &httpError{status: http.StatusServiceUnavailable, kind: errAPI, msg: f.Message()}
	}
	return &httpError{status: http.StatusUnauthorized, kind: errAuthentication, msg: f.Message(), noRetry: true}
}

// logRefusal writes one info line per refused request, at most a handful
// per ten seconds, so a flood of refusals cannot flood the log. It
// reports whether it wrote one.
func (s *Service) logRefusal(r *http.Request, reason string) bool {
	if !s.keys.logs.Allow() {
		return false
	}
	s.log.Info("request refused", "reason", reason, "peer", peerOf(r),
		"method", r.Method, "path", sanitize(r.URL.Path), "refused_total", s.keys.refused.Load(),
		"auth_failures_total", s.keys.failures.Load())
	return true
}

// refuse counts and logs a request the Host, Origin or path guards refused.
func (s *Service) refuse(r *http.Request, reason string) {
	s.keys.refused.Add(1)
	s.logRefusal(r, reason)
}

// peerOf is a request's peer address without its port.
func peerOf(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// peerThrottle slows down peers that keep failing authentication: after
// freeFails failures within failWindow, each further one waits a little
// longer, up to maxFailDelay. Every peer on loopback shares an address, so
// this is about damping a runaway client or a guesser, not telling users
// apart.
type peerThrottle struct {
	mu    sync.Mutex
	fails map[string]*peerFails
}

type peerFails struct {
	n     int
	since time.Time
}

const (
	freeFails    = 5
	failWindow   = time.Minute
	failStep     = 100 * time.Millisecond
	maxFailDelay = 2 * time.Second
	maxPeers     = 1024 // bounds the map; a flood of addresses resets it
)

// fail records a failure and returns how long to delay its answer.
func (p *peerThrottle) fail(peer string, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.fails[peer]
	if f == nil || now.Sub(f.since) > failWindow {
		if len(p.fails) >= maxPeers {
			clear(p.fails)
		}
		f = &peerFails{since: now}
		p.fails[peer] = f
	}
	f.n++
	if f.n <= freeFails {
		return 0
	}
	return min(time.Duration(f.n-freeFails)*failStep, maxFailDelay)
}

// sanitize strips control characters (terminal escapes included) from text
// an outside party chose, before it is logged or shown, and bounds it.
func sanitize(s string) string {
	const limit = 256
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}
