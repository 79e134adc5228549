package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/vault"
)

// attempt is the state of one client request across upstream attempts.
type attempt struct {
	r       *http.Request
	body    []byte   // nil once an answer is being relayed
	bb      *bodyBuf // body's pooled buffer: upstream requests read it through bb.reader
	session string
	model   string          // the body's "model", for model-scoped limits
	guard   pool.Signal     // the plan guard stopped this request on an account (classify.go)
	exclude map[string]bool // accounts that failed over: not tried again
	last    *refusal        // the last refusal kept for the client, if any
	retries int
	delay   time.Duration
	// maxRetries is the retry budget, from the settings in force when
	// the request arrived (proxysettings.go).
	maxRetries int
	rec        *journal.Record
	start      time.Time
	capture    *capture // bodies being captured; nil when capture is off
}

// forward sends a /v1/* request upstream with an account's credential,
// failing over to the next account while nothing has reached the client.
func (s *Service) forward(w http.ResponseWriter, r *http.Request) {
	if bad := badPath(r.URL.Path); bad != "" {
		writeError(w, http.StatusNotFound, errNotFound, bad)
		return
	}
	start := time.Now()
	rec := newRecord(r, s.now())
	rec.ClientKeyID = keyID(r.Context())
	var capt *capture
	ps := s.proxySettings() // one snapshot for the whole request
	session := sessionKey(r)
	defer func() {
		rec.Duration = time.Since(start)
		if capt != nil {
			s.finishCapture(rec, capt)
		}
		s.records.Add(*rec)
		s.addKeyCost(r.Context(), rec.Time, rec.CostMicros)
		s.sessions.observe(session, *rec, s.now(), ps.SessionWindow)
	}()
	bb, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit), r.ContentLength, s.cfg.BodyLimit)
	defer bb.drop()
	body := bb.b
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			rec.Status, rec.Error = http.StatusRequestEntityTooLarge, "request body too large"
			writeError(w, rec.Status, errTooLarge, fmt.Sprintf("request body exceeds Sluice's limit of %d bytes", s.cfg.BodyLimit))
			return
		}
		rec.Status, rec.Error = 499, "client body read failed"
		writeError(w, http.StatusBadRequest, errInvalidRequest, "could not read the request body")
		return
	}
	capt = s.startCapture(body)
	a := &attempt{
		r: r, body: body, bb: bb, session: session, model: requestModel(body), exclude: s.keyExclusions(r.Context()),
		delay: ps.RetryDelay, maxRetries: ps.RetryAttempts, rec: rec, start: start, capture: capt,
	}
	// The model the client asked for, so a request refused before any
	// account answered (every account limited, a key over its cap) is
	// still journaled under its model; the upstream's answer names the
	// model it used and replaces this. Only a name shaped like a model's:
	// each model is a row in the usage rollups, not free text.
	if modelName(a.model) {
		rec.Model = a.model
	}
	if !s.reserveKeyCost(r.Context(), w, a.model, body, rec) {
		return
	}
	if s.passThrough(w, a) {
		return
	}
	s.attempt(w, a)
}

// badPath rejects /v1 paths that name no endpoint (unclean paths were
// refused by the guard already).
func badPath(p string) string {
	if p == "/v1/" {
		return "no API endpoint at /v1/"
	}
	return ""
}

// sessionKey identifies a client session for account affinity: Claude
// Code's session header when present, else a coarse fingerprint of the
// client, so one program keeps one account and its prompt cache.
func sessionKey(r *http.Request) string {
	if id := r.Header.Get("X-Claude-Code-Session-Id"); id != "" {
		return "cc:" + id
	}
	sum := sha256.Sum256([]byte(r.Header.Get("User-Agent")))
	return "fp:" + hex.EncodeToString(sum[:8])
}

func (s *Service) attempt(w http.ResponseWriter, a *attempt) {
	ctx := a.r.Context()
	for {
		// The pool prefers accounts that did not just fail transiently
		// (5xx, network) and falls back to them when nothing else is usable.
		acct, err := s.pool.Pick(a.session, a.model, a.exclude)
		if err != nil {
			s.noAccount(w, a, err)
			return
		}
		if !s.keyAllows(ctx, acct.ID) {
			// Added to the pool after the key's exclusions were taken.
			a.exclude[acct.ID] = true
			continue
		}
		a.rec.Attempts++
		a.rec.AccountID = acct.ID
		cred, err := s.tokens.Credential(ctx, acct.ID)
		if err != nil {
			s.credentialFailed(ctx, acct, err)
			a.exclude[acct.ID] = true
			a.rec.Failovers++
			continue
		}
		req, err := s.upstreamRequest(ctx, a, cred)
		if err != nil {
			a.rec.Status, a.rec.Error = http.StatusBadRequest, "request not forwardable"
			writeError(w, http.StatusBadRequest, errInvalidRequest, "Sluice cannot forward this request: its URL is not valid")
			return
		}
		resp, err := s.roundTrip(req)
		if err != nil {
			if ctx.Err() != nil {
				a.rec.Status, a.rec.Error = 499, "client went away"
				return
			}
			s.log.Warn("upstream request failed", "account", acct.Name, "err", err)
			s.pool.ObserveNetworkError(acct.ID)
			rte := &RoundTripError{Err: err, Sent: true} // unknown: assume sent
			errors.As(err, &rte)
			if !rte.Replayable() {
				// The upstream may be processing it: a replay could
				// run (and bill) the request twice.
				a.fail(w, sentFailure(rte))
				return
			}
			if s.backoff(ctx, a) {
				continue
			}
			a.fail(w, unsentFailure(rte))
			return
		}
		switch s.observe(a, acct, resp) {
		case pool.Failover:
			s.log.Info("account unavailable, failing over", "account", acct.Name, "status", resp.StatusCode)
			a.keepRefusal(resp)
			a.exclude[acct.ID] = true
			a.rec.Failovers++
			continue
		case pool.Retry:
			if s.backoff(ctx, a) {
				s.log.Info("upstream error, retrying", "account", acct.Name, "status", resp.StatusCode)
				discardBody(resp)
				continue
			}
		}
		s.relay(w, a, acct, resp)
		return
	}
}

// refusal is an upstream answer that made the request fail over but is the
// truest thing to tell the client if no account can serve it.
type refusal struct {
	status int
	header http.Header
	body   []byte
}

// maxRefusal bounds the refusal body kept: API error bodies are small.
const maxRefusal = 64 << 10

// keepRefusal closes resp, keeping a 403 (refused for this request, not for
// the account) to relay if every account refuses. Rate limits and 401s are
// answered by Sluice itself, with the reset time or the accounts to fix.
func (a *attempt) keepRefusal(resp *http.Response) {
	if resp.StatusCode != http.StatusForbidden {
		discardBody(resp)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRefusal))
	_ = resp.Body.Close()
	a.last = &refusal{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
}

// backoff waits before a retry, if retries are left; false means give up.
func (s *Service) backoff(ctx context.Context, a *attempt) bool {
	if a.retries >= a.maxRetries {
		return false
	}
	a.retries++
	t := time.NewTimer(a.delay)
	defer t.Stop()
	a.delay = time.Duration(math.Min(float64(a.delay)*s.cfg.RetryBackoff, float64(time.Minute)))
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Service) upstreamRequest(ctx context.Context, a *attempt, cred vault.Credential) (*http.Request, error) {
	// The body was read once; each attempt reads it through a new reader
	// without copying it.
	req, err := http.NewRequestWithContext(ctx, a.r.Method, s.upstreamURL(a.r), http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("build upstream request: %w", err)
	}
	req.Header = upstreamHeader(a.r.Header, cred)
	a.setBody(req)
	return req, nil
}

// upstreamURL is the upstream address of a client request. The escaped
// path: %2F, %3F and %23 reach the upstream as the client wrote them, not
// decoded into a different request.
func (s *Service) upstreamURL(r *http.Request) string {
	p := r.URL.EscapedPath()
	if tp, ok := r.Context().Value(upstreamPathCtx{}).(string); ok {
		p = tp // a translated request's endpoint (chat.go)
	}
	u := strings.TrimSuffix(s.cfg.Upstream, "/") + p
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	return u
}

// credentialFailed records why an account's credential could not be had.
func (s *Service) credentialFailed(ctx context.Context, acct pool.Account, err error) {
	if errors.Is(err, vault.ErrNeedsLogin) {
		s.log.Warn("account needs to sign in again", "account", acct.Name)
		if e := s.setNeedsLogin(ctx, acct.ID, true); e != nil {
			s.log.Error("marking account needs-login failed", "account", acct.Name, "err", e)
		}
		return
	}
	s.log.Warn("account credential unavailable", "account", acct.Name, "err", err)
}

// noAccount answers when the pool has no account left for this request.
func (s *Service) noAccount(w http.ResponseWriter, a *attempt, err error) {
	if s.guardRefused(w, a, err) {
		return
	}
	var limited *pool.LimitedError
	if errors.As(err, &limited) {
		limited = s.limitFor(a.r.Context(), a.model, limited)
	}
	a.rec.AccountID = ""
	switch {
	case limited != nil:
		wait := max(limited.Until.Sub(s.now()), time.Second)
		secs := int64(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		a.rec.Status, a.rec.Error = http.StatusTooManyRequests, "all accounts rate limited"
		writeError(w, http.StatusTooManyRequests, errRateLimit, fmt.Sprintf(
			"%s rate limited. The first one resets at %s (in %s).", s.whoseAccounts(a.r.Context()),
			limited.Until.UTC().Format("2006-01-02 15:04:05 UTC"), wait.Round(time.Second)))
	case a.last != nil:
		// Every account refused this request itself: relay the upstream's
		// own answer, which says why.
		a.rec.Status, a.rec.Error = a.last.status, "refused by every account"
		copyResponseHeader(w.Header(), a.last.header)
		w.Header().Set("Content-Length", fmt.Sprint(len(a.last.body)))
		w.WriteHeader(a.last.status)
		_, _ = w.Write(a.last.body)
	case len(a.exclude) > 0:
		a.rec.Status, a.rec.Error = http.StatusServiceUnavailable, "every account failed"
		writeError(w, http.StatusServiceUnavailable, errOverloaded,
			"Every Sluice account was tried and none could serve this request."+s.loginHint()+" See `sluice accounts list`.")
	default:
		a.rec.Status, a.rec.Error = http.StatusServiceUnavailable, "no usable account"
		writeError(w, http.StatusServiceUnavailable, errOverloaded,
			"Sluice has no usable account."+s.loginHint()+" Add one with `sluice accounts add-key NAME` (a Console API key, read from stdin) or `sluice accounts login NAME`, or resume a paused one.")
	}
}

// loginHint names the accounts waiting for a new sign-in, if any.
func (s *Service) loginHint() string {
	var names []string
	for _, st := range s.pool.Snapshot() {
		if st.State == pool.StateNeedsLogin {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" %s must sign in again (`sluice accounts login NAME --reauth`).", strings.Join(names, ", "))
}

// netReason describes a transport error without internal detail.
func netReason(err error) string {
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return "the connection timed out"
	}
	return "the connection failed"
}

// discardBody drains a little of a response we will not relay, so its
// connection can be reused, then closes it.
func discardBody(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	_ = resp.Body.Close()
}

// modelName reports whether m looks like a model id (claude-sonnet-4-5,
// claude-3-5-haiku@20241022, us.anthropic.claude-...:0): short, and only
// letters, digits and . _ - : @ /.
func modelName(m string) bool {
	if m == "" || len(m) > 100 {
		return false
	}
	for _, r := range m {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("._-:@/", r):
		default:
			return false
		}
	}
	return true
}
