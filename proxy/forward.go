package proxy

import (
	"context"
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

// forward sends a /v1/* request upstream with an account's credential,
// failing over to the next account while nothing has reached the client.
// A failure is left on the request for the one exit (failure.go).
func (s *Service) forward(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	req.err = s.forwardRequest(w, req)
}

func (s *Service) forwardRequest(w http.ResponseWriter, req *request) error {
	r := req.r
	if r.URL.Path == "/v1/" {
		// 404: unclean paths were refused by the guard already; this one
		// is clean but names no endpoint. Not journaled, as the guards'.
		return &httpError{status: http.StatusNotFound, kind: errNotFound, msg: "no API endpoint at /v1/"}
	}
	s.record(req)
	req.settings = s.proxySettings() // one snapshot for the whole request
	req.session = sessionKey(r)
	bb, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit), r.ContentLength, s.cfg.BodyLimit)
	defer bb.drop()
	if err != nil {
		return bodyReadFailed(err)
	}
	req.body, req.bb = bb.b, bb
	req.setModel(requestModel(req.body))
	req.capture = s.startCapture(req.body)
	req.delay, req.maxRetries = req.settings.RetryDelay, req.settings.RetryAttempts
	if err := s.reserveKeyCost(req); err != nil {
		return err
	}
	if handled, err := s.passThrough(w, req); handled {
		return err
	}
	return s.attempt(w, req)
}

// bodyReadFailed is the failure of a request whose body could not be read:
// too large (413), or broken off or stalled (400). The 400 is journaled as
// answered: a stalled client is still there to read it, and a client that
// went away is not told apart reliably here (a read deadline cancels the
// request's context too).
func bodyReadFailed(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return &httpError{status: http.StatusBadRequest, kind: errInvalidRequest, reason: journal.ReasonBodyReadFailed,
		msg: "could not read the request body"}
}

// attempt tries accounts until one answers, and relays that answer.
func (s *Service) attempt(w http.ResponseWriter, req *request) error {
	ctx := req.r.Context()
	rec := req.rec
	req.exclude = map[string]bool{}
	for {
		// The pool picks among the accounts the client's key may use, and
		// prefers accounts that did not just fail transiently (5xx,
		// network), falling back to them when nothing else is usable.
		acct, err := s.pool.PickAmong(req.session, req.model, req.scope, req.exclude)
		if err != nil {
			return s.noAccount(req, err)
		}
		rec.Attempts++
		rec.AccountID = acct.ID
		cred, err := s.tokens.Credential(ctx, acct.ID)
		if err != nil {
			s.credentialFailed(ctx, acct, err)
			req.exclude[acct.ID] = true
			rec.Failovers++
			continue
		}
		up, err := s.upstreamRequest(ctx, req, cred)
		if err == nil {
			err = s.toUpstream(up, req, acct, cred) // a compatible upstream's URL, key, model (upstreams.go)
		}
		if err != nil {
			return errNotForwardable
		}
		s.beginCharge(req, acct.ID)
		resp, err := s.roundTrip(up)
		if err == nil && resp.StatusCode == http.StatusUnauthorized && cred.Kind == vault.KindOAuth {
			resp, err = s.retryRefused(ctx, req, acct, cred, resp)
		}
		if err != nil {
			if ctx.Err() != nil {
				return errClientGone
			}
			rte := &RoundTripError{Err: err, Sent: true} // unknown: assume sent
			errors.As(err, &rte)
			if cause, ok := unreachableCause(rte); ok {
				// Every account goes to the same host: one quick retry
				// (on another account if there is one), then the client
				// is told at once, with no backoff loop.
				if !req.quickRetried {
					req.quickRetried = true
					s.pool.ObserveNetworkError(acct.ID)
					continue
				}
				s.upstreamFailed(cause)
				return &unreachableError{host: s.upstreamHost(), cause: cause}
			}
			s.log.Warn("upstream request failed", "account", acct.Name, "err", err)
			s.pool.ObserveNetworkError(acct.ID)
			// A request that may have reached the upstream is never sent
			// again: a replay could run (and bill) it twice.
			if rte.Replayable() && s.backoff(ctx, req) {
				continue
			}
			return rte
		}
		s.upstreamReached()
		if s.route(acct.ID) != nil {
			resp = anthropicShaped(resp, cred.APIKey) // relayed and classified in Anthropic's shape
		}
		switch s.observe(req, acct, resp) {
		case pool.Failover:
			s.log.Info("account unavailable, failing over", "account", acct.Name, "status", resp.StatusCode)
			req.keepRefusal(resp)
			req.exclude[acct.ID] = true
			rec.Failovers++
			continue
		case pool.Retry:
			if s.backoff(ctx, req) {
				s.log.Info("upstream error, retrying", "account", acct.Name, "status", resp.StatusCode)
				discardBody(resp)
				continue
			}
		}
		s.relay(w, req, acct, resp)
		return nil
	}
}

// errNotForwardable: 400, the client's URL cannot be made into an
// upstream one; sending it again will not help.
var errNotForwardable = &httpError{status: http.StatusBadRequest, kind: errInvalidRequest, reason: journal.ReasonNotForwardable,
	msg: "Sluice cannot forward this request: its URL is not valid"}

// refusal is an upstream answer that made the request fail over but is the
// truest thing to tell the client if no account can serve it.
type refusal struct {
	status int
	header http.Header
	body   []byte
}

func (r *refusal) Error() string { return fmt.Sprintf("refused by every account (%d)", r.status) }

// maxRefusal bounds the refusal body kept: API error bodies are small.
const maxRefusal = 64 << 10

// keepRefusal closes resp, keeping a 403 (refused for this request, not for
// the account) to relay if every account refuses. Rate limits and 401s are
// answered by Sluice itself, with the reset time or the accounts to fix.
func (req *request) keepRefusal(resp *http.Response) {
	if resp.StatusCode != http.StatusForbidden {
		discardBody(resp)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRefusal))
	_ = resp.Body.Close()
	req.last = &refusal{status: resp.StatusCode, header: resp.Header.Clone(), body: body}
}

// backoff waits before a retry, if retries are left; false means give up.
func (s *Service) backoff(ctx context.Context, req *request) bool {
	if req.retries >= req.maxRetries {
		return false
	}
	req.retries++
	t := time.NewTimer(req.delay)
	defer t.Stop()
	req.delay = time.Duration(math.Min(float64(req.delay)*s.cfg.RetryBackoff, float64(time.Minute)))
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Service) upstreamRequest(ctx context.Context, req *request, cred vault.Credential) (*http.Request, error) {
	// The body was read once; each attempt reads it through a new reader
	// without copying it.
	up, err := http.NewRequestWithContext(ctx, req.r.Method, s.upstreamURL(req), http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("build upstream request: %w", err)
	}
	up.Header = upstreamHeader(req.r.Header, cred)
	req.setBody(up)
	return up, nil
}

// upstreamURL is the upstream address of a client request. The escaped
// path: %2F, %3F and %23 reach the upstream as the client wrote them, not
// decoded into a different request.
func (s *Service) upstreamURL(req *request) string {
	r := req.r
	p := r.URL.EscapedPath()
	if req.upstreamPath != "" {
		p = req.upstreamPath // a translated request's endpoint (chat.go)
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

// noAccount is the failure of a request the pool has no account left for.
// The pool's earliest reset already counts only the accounts the client's
// key may use.
func (s *Service) noAccount(req *request, err error) error {
	req.rec.AccountID = ""
	var limited *pool.LimitedError
	errors.As(err, &limited)
	if req.guard != pool.SignalNone {
		return s.guardRefused(req, limited)
	}
	switch {
	case limited != nil:
		// 429, as the API answers a rate limit, with the wait until the
		// first of the client's accounts frees up.
		wait := max(limited.Until.Sub(s.now()), time.Second)
		return &httpError{status: http.StatusTooManyRequests, kind: errRateLimit, reason: journal.ReasonAllLimited,
			retryAfter: wait, msg: s.limitedMessage(req, limited)}
	case req.last != nil:
		// Every account refused this request itself: the upstream's own
		// answer says why, and is relayed.
		return req.last
	case len(req.exclude) > 0:
		// 503, as the API's overloaded: every account was tried and
		// failed; a later retry may find one recovered.
		return &httpError{status: http.StatusServiceUnavailable, kind: errOverloaded, reason: journal.ReasonEveryAccountFailed,
			msg: "Every Sluice account was tried and none could serve this request." + s.loginHint() + " See `sluice accounts list`."}
	}
	// 503: nothing to try at all; the message says how to add one.
	return &httpError{status: http.StatusServiceUnavailable, kind: errOverloaded, reason: journal.ReasonNoAccount,
		msg: "Sluice has no usable account." + s.loginHint() + " Add one with `sluice accounts add-key NAME` (a Console API key, read from stdin) or `sluice accounts login NAME`, or resume a paused one."}
}

// whoseAccounts opens the "all limited" message: all of Sluice's accounts,
// or, for a scoped key, the ones it may use (others may well be free).
func whoseAccounts(req *request) string {
	switch {
	case req.apiKeysOnly:
		return "All the API-key accounts this client may use are"
	case req.scope != nil:
		return fmt.Sprintf("All the accounts Sluice client key %q may use are", req.keyName)
	}
	return "All Sluice accounts are"
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

// refresher is what Tokens offers when it can refresh an access token the
// API refused before it expired (vault.Refresher).
type refresher interface {
	Rejected(ctx context.Context, accountID, token string) (vault.Credential, error)
}

// retryRefused answers an OAuth 401: the access token may have been
// revoked or rotated elsewhere before its expiry. The token is refreshed
// once (one refresh per account however many requests were refused) and
// the request, which the upstream refused and so did not run, is sent
// again on the same account. Only if that fails does the 401 go on to
// mark the account as needing a new sign-in.
func (s *Service) retryRefused(ctx context.Context, req *request, acct pool.Account, cred vault.Credential, resp *http.Response) (*http.Response, error) {
	rf, ok := s.tokens.(refresher)
	if !ok {
		return resp, nil
	}
	fresh, err := rf.Rejected(ctx, acct.ID, cred.AccessToken)
	if err != nil {
		s.log.Warn("refreshing a refused token failed", "account", acct.Name, "err", err)
		return resp, nil
	}
	discardBody(resp)
	s.log.Info("the API refused an access token; refreshed it and sent the request again", "account", acct.Name)
	up, err := s.upstreamRequest(ctx, req, fresh)
	if err != nil {
		return nil, err
	}
	return s.roundTrip(up)
}
