package proxy

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
)

// authFailure says why a request's key was refused; each has its own
// message, telling the user what to set.
type authFailure int

const (
	authOK authFailure = iota
	authMissing
	authAnthropic // an Anthropic credential where a Sluice key belongs
	authWrong
	authRevoked
	authUnavailable // the HMAC secret cannot be read from the keyring
)

// setKeyHelp is how to give Claude Code (or any Anthropic SDK) a key.
const setKeyHelp = "Set ANTHROPIC_AUTH_TOKEN=sk-sluice-... (or ANTHROPIC_API_KEY) to a Sluice client key: the one shown when Sluice first started, or a new one from `sluice keys create NAME` or the Sluice window."

func (f authFailure) message() string {
	switch f {
	case authMissing:
		return "Sluice requires a client key and this request carried none. " + setKeyHelp
	case authAnthropic:
		return "This request carries an Anthropic credential (sk-ant-...), not a Sluice client key; Sluice uses its own accounts and does not forward yours. " + setKeyHelp
	case authRevoked:
		return "This Sluice client key was revoked. " + setKeyHelp
	case authUnavailable:
		return "Sluice cannot verify client keys: the keyring holding their secret could not be read. Unlock the keyring and retry."
	default:
		return "This Sluice client key is not valid. " + setKeyHelp
	}
}

func (f authFailure) String() string {
	return [...]string{"ok", "no key", "anthropic credential", "wrong key", "revoked key", "keyring unavailable"}[f]
}

// keyScope is the set of accounts k may use; nil when it may use all (or
// no key was given). keyStore.set replaces the set whole and never changes
// it in place, so the one read under the lock stays as it was.
func (s *Service) keyScope(k *clientKey) map[string]bool {
	if k == nil {
		return nil
	}
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	return k.allowed
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

// clientToken is the credential a client sent: x-api-key, or a Bearer
// token (Claude Code sends one or the other, from ANTHROPIC_API_KEY or
// ANTHROPIC_AUTH_TOKEN). A Sluice key wins if both are present.
func clientToken(r *http.Request) string {
	api := strings.TrimSpace(r.Header.Get("X-Api-Key"))
	var bearer string
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		bearer = strings.TrimSpace(a[7:])
	}
	if strings.HasPrefix(bearer, keyMarker) && !strings.HasPrefix(api, keyMarker) {
		return bearer
	}
	if api != "" {
		return api
	}
	return bearer
}

// verify finds the key token is. The digest is computed whatever the
// token's prefix, and compared in constant time against every key sharing
// the prefix, so timing tells nothing about the secret part.
func (s *Service) verify(token string) (*clientKey, authFailure) {
	switch {
	case token == "":
		return nil, authMissing
	case strings.HasPrefix(token, "sk-ant-"):
		return nil, authAnthropic
	case len(token) != keyLen || !strings.HasPrefix(token, keyMarker):
		return nil, authWrong
	}
	secret, err := s.hmacSecret()
	if err != nil {
		if s.keys.logs.Allow() {
			s.log.Warn("client keys cannot be verified", "err", err)
		}
		return nil, authUnavailable
	}
	sum := digest(secret, token)
	s.keys.mu.RLock()
	defer s.keys.mu.RUnlock()
	var found *clientKey
	for _, k := range s.keys.byPrefix[token[len(keyMarker):len(keyMarker)+lookupLen]] {
		if subtle.ConstantTimeCompare(k.rec.Hash, sum) == 1 {
			found = k
		}
	}
	switch {
	case found == nil:
		return nil, authWrong
	case !found.rec.RevokedAt.IsZero():
		return nil, authRevoked
	}
	return found, authOK
}

// requireKey authenticates a request and applies its key's limits, and
// puts the key and its scope on the request. With keys off, a valid key is
// still recognised (its requests are attributed and limited) but a missing
// or bad one is let through.
func (s *Service) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestOf(r)
		k, fail := s.verify(clientToken(r))
		if fail != authOK {
			// Passthrough (off by default) forwards the client's own
			// Anthropic credential: the client spends its own account,
			// never one of the pool's, so no Sluice key is asked for.
			if !s.keys.require.Load() || (fail == authAnthropic && s.cfg.Passthrough) {
				admit(w, r)
				next.ServeHTTP(w, r)
				return
			}
			req.err = s.authFailed(r, fail)
			return
		}
		admit(w, r)
		s.keys.mu.RLock()
		rec, lim, scope := k.rec, k.limiter, k.allowed
		s.keys.mu.RUnlock()
		if rec.MaxConcurrent > 0 {
			if k.inflight.Add(1) > int64(rec.MaxConcurrent) {
				k.inflight.Add(-1)
				req.err = tooMany(time.Second, fmt.Sprintf("Sluice client key %q already has %d requests in flight, its limit.", rec.Name, rec.MaxConcurrent))
				return
			}
			defer k.inflight.Add(-1)
		}
		now := s.now()
		if lim != nil {
			res := lim.ReserveN(now, 1)
			if d := res.DelayFrom(now); d > 0 {
				res.CancelAt(now)
				req.err = tooMany(d, fmt.Sprintf("Sluice client key %q is over its limit of %d requests per minute.", rec.Name, rec.RPM))
				return
			}
		}
		if rec.DailyCostMicros > 0 {
			day := startOfDay(now)
			spent, err := s.costToday(r.Context(), k, day)
			if err != nil {
				s.log.Warn("reading a client key's cost failed", "key", rec.Name, "err", err)
			} else if spent >= rec.DailyCostMicros {
				req.err = tooMany(day.AddDate(0, 0, 1).Sub(now), fmt.Sprintf(
					"Sluice client key %q reached its daily cost cap of $%.2f; it resets at midnight.", rec.Name, float64(rec.DailyCostMicros)/1e6))
				return
			}
		}
		if !s.anyAllowed(scope) {
			// 403: the key is valid but may use nothing Sluice has; only
			// the user can change that.
			req.err = &httpError{status: http.StatusForbidden, kind: errPermission, msg: fmt.Sprintf(
				"Sluice client key %q may only use accounts that are not in Sluice's pool; change its accounts with `sluice keys` or the Sluice window.", rec.Name)}
			return
		}
		req.key, req.keyName, req.scope = k, rec.Name, scope
		next.ServeHTTP(w, r)
	})
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// costToday is k's cost since day began, read from the journal when the
// day (or the process) is new.
func (s *Service) costToday(ctx context.Context, k *clientKey, day time.Time) (int64, error) {
	k.costMu.Lock()
	defer k.costMu.Unlock()
	if !k.costDay.Equal(day) {
		spent, err := s.db.KeyCost(ctx, k.id, day)
		if err != nil {
			return 0, err
		}
		k.costDay, k.costSpent = day, spent
	}
	return k.costSpent, nil
}

// addKeyCost counts a finished request's cost toward its key's day, once
// the day's total has been loaded (before that, the journal has it).
func (s *Service) addKeyCost(k *clientKey, at time.Time, micros int64) {
	if k == nil || micros == 0 {
		return
	}
	k.costMu.Lock()
	if k.costDay.Equal(startOfDay(at)) {
		k.costSpent += micros
	}
	k.costMu.Unlock()
}

// tooMany is a key's limit reached: 429, as the API answers a rate limit,
// with a retry-after in whole seconds (at least one). Not journaled: the
// request reached no route.
func tooMany(wait time.Duration, msg string) error {
	return &httpError{status: http.StatusTooManyRequests, kind: errRateLimit, msg: msg, retryAfter: max(wait, time.Nanosecond)}
}

// authFailed counts a refused key, logs it (rate limited) and, after
// repeated failures from one peer, slows the answer down; it returns the
// answer (authError).
func (s *Service) authFailed(r *http.Request, f authFailure) error {
	s.keys.failures.Add(1)
	if s.logRefusal(r, "client key refused: "+f.String()) {
		// Rate limited with the log line, and folded by the audit log
		// itself: a client retrying a bad key adds one row, not thousands.
		s.audit(r.Context(), AuditClientAuthFail, peerOf(r), f.String())
	}
	if f != authUnavailable {
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
func authError(f authFailure) error {
	if f == authUnavailable {
		return &httpError{status: http.StatusServiceUnavailable, kind: errAPI, msg: f.message()}
	}
	return &httpError{status: http.StatusUnauthorized, kind: errAuthentication, msg: f.message(), noRetry: true}
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
