package proxy

import (
	"context"
	"fmt"
	"math"
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

// keyCtx carries the authenticated key in a request's context.
type keyCtx struct{}

// keyUse is a request's authenticated client key and the cost it holds
// against the key's daily cap (reserveKeyCost).
type keyUse struct {
	k   *clientkey.Key
	res *clientkey.Reservation
}

// requestKey returns the request's authenticated client key, or nil.
func requestKey(ctx context.Context) *clientkey.Key {
	if u, _ := ctx.Value(keyCtx{}).(*keyUse); u != nil {
		return u.k
	}
	return nil
}

// keyID is the id of the request's client key, "" when none; it goes on
// the request's journal record.
func keyID(ctx context.Context) string {
	if k := requestKey(ctx); k != nil {
		return k.ID()
	}
	return ""
}

// keyExclusions returns the accounts the request's key may not use, as the
// pool's exclude set: a scoped key then fails over only among its own.
func (s *Service) keyExclusions(ctx context.Context) map[string]bool {
	ex := map[string]bool{}
	allowed := s.keyScope(requestKey(ctx))
	if allowed == nil {
		return ex
	}
	for _, st := range s.pool.Snapshot() {
		if !allowed[st.ID] {
			ex[st.ID] = true
		}
	}
	return ex
}

// keyAllows reports whether the request's key may use account id: the
// exclusions taken at the request's start miss accounts added since.
func (s *Service) keyAllows(ctx context.Context, id string) bool {
	allowed := s.keyScope(requestKey(ctx))
	return allowed == nil || allowed[id]
}

// keyScope is the set of accounts k may use; nil when it may use all (or
// no key was given).
func (s *Service) keyScope(k *clientkey.Key) map[string]bool { return s.keys.set.Scope(k) }

// anyAllowed reports whether k may use at least one pooled account.
func (s *Service) anyAllowed(k *clientkey.Key) bool {
	allowed := s.keyScope(k)
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

// requireKey authenticates a request and applies its key's limits. With
// keys off, a valid key is still recognised (its requests are attributed
// and limited) but a missing or bad one is let through.
func (s *Service) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, fail := s.verify(clientkey.Token(r))
		if fail != clientkey.OK {
			// Passthrough (off by default) forwards the client's own
			// Anthropic credential: the client spends its own account,
			// never one of the pool's, so no Sluice key is asked for.
			if !s.keys.require.Load() || (fail == clientkey.Anthropic && s.cfg.Passthrough) {
				next.ServeHTTP(w, r)
				return
			}
			s.authFailed(w, r, fail)
			return
		}
		start := time.Now()
		ctx := context.WithValue(r.Context(), keyCtx{}, &keyUse{k: k})
		done, refused, err := s.keys.set.Admit(ctx, k, s.now())
		if err != nil {
			s.log.Warn("reading a client key's cost failed", "key", k.ID(), "err", err)
		}
		if refused != nil {
			// Journaled, so `sluice logs` explains the client's 429.
			s.journalRefusal(r.WithContext(ctx), start, "", http.StatusTooManyRequests, string(refused.Limit))
			tooMany(w, refused.Wait, refused.Message)
			return
		}
		defer done()
		if !s.anyAllowed(k) {
			writeError(w, http.StatusForbidden, errPermission, fmt.Sprintf(
				"Sluice client key %q may only use accounts that are not in Sluice's pool; change its accounts with `sluice keys` or the Sluice window.", s.keys.set.Record(k).Name))
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// reserveKeyCost holds the request's worst-case cost against its key's
// daily cap before it is forwarded, so parallel requests cannot spend past
// the cap by more than one request. A refusal is answered and its reason
// set on rec; false means stop.
func (s *Service) reserveKeyCost(ctx context.Context, w http.ResponseWriter, model string, body []byte, rec *journal.Record) bool {
	u, _ := ctx.Value(keyCtx{}).(*keyUse)
	if u == nil {
		return true
	}
	res, refused, err := s.keys.set.Reserve(ctx, u.k, s.now(), func() int64 { return worstCost(model, body) })
	if err != nil {
		s.log.Warn("reading a client key's cost failed", "key", u.k.ID(), "err", err)
	}
	if refused != nil {
		rec.Status, rec.Error = http.StatusTooManyRequests, string(refused.Limit)
		tooMany(w, refused.Wait, refused.Message)
		return false
	}
	u.res = res
	return true
}

// worstCost is the most a request may cost: its max_tokens of output at
// its model's price. Input is left out: it is known only once counted,
// and Settle puts the real cost in place of this.
func worstCost(model string, body []byte) int64 {
	out := gjson.GetBytes(body, "max_tokens").Int()
	return usage.CostMicros(usage.Counts{Model: model, OutputTokens: max(out, 0)})
}

// addKeyCost counts a finished request's cost toward its key's day, in
// place of what reserveKeyCost held for it.
func (s *Service) addKeyCost(ctx context.Context, at time.Time, micros int64) {
	u, _ := ctx.Value(keyCtx{}).(*keyUse)
	switch {
	case u == nil:
	case u.res != nil:
		u.res.Settle(micros)
		u.res = nil
	default:
		s.keys.set.Spent(u.k, at, micros)
	}
}

// tooMany answers 429 in Anthropic's shape with a retry-after in whole
// seconds (at least one).
func tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", fmt.Sprint(max(int64(math.Ceil(wait.Seconds())), 1)))
	writeError(w, http.StatusTooManyRequests, errRateLimit, msg)
}

// authFailed answers 401, counts it, logs it (rate limited) and, after
// repeated failures from one peer, slows the answer down.
func (s *Service) authFailed(w http.ResponseWriter, r *http.Request, f clientkey.Failure) {
	s.keys.failures.Add(1)
	if s.logRefusal(r, "client key refused: "+f.String()) {
		// Rate limited with the log line, and folded by the audit log
		// itself: a client retrying a bad key adds one row, not thousands.
		s.audit(r.Context(), AuditClientAuthFail, peerOf(r), f.String())
	}
	if f == clientkey.Unavailable {
		writeError(w, http.StatusServiceUnavailable, errAPI, f.Message())
		return
	}
	if d := s.keys.peers.fail(peerOf(r), time.Now()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}
	// Retrying cannot help until the user sets a key; the Anthropic SDKs
	// (Claude Code's included) honour this and show the message at once.
	w.Header().Set("X-Should-Retry", "false")
	writeError(w, http.StatusUnauthorized, errAuthentication, f.Message())
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
