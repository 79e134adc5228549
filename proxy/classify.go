package proxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
)

// requestModel reads the top-level "model" of a JSON request body, "" when
// there is none or the body is not a JSON object.
func requestModel(body []byte) string {
	// Scanned, not decoded, whatever the keys' order (bodyscan.go).
	m, _ := topLevelString(body, "model")
	return m
}

// maxSignalBody bounds what is read of a 400/429 body to classify it; API
// error bodies are small.
const maxSignalBody = 64 << 10

// bodySignals are the phrases of error bodies that speak of plan, extra
// usage and spend limits, as users of Claude Code and peer proxies report
// them (none is documented; matching is case-insensitive on the message).
var bodySignals = []struct {
	status int // 0: any of 400 and 429
	phrase string
	sig    pool.Signal
}{
	{http.StatusBadRequest, "draw from your extra usage", pool.SignalExtraUsage},
	{0, "extra usage is required", pool.SignalExtraUsageRequest},
	{0, "out of extra usage", pool.SignalPlanLimit},
	{0, "workspace api usage limit", pool.SignalSpendLimit},
	{0, "spend limit", pool.SignalSpendLimit},
	{0, "credit balance is too low", pool.SignalSpendLimit},
	{http.StatusTooManyRequests, "monthly", pool.SignalSpendLimit},
	{http.StatusTooManyRequests, "usage limit", pool.SignalSpendLimit},
}

// classifyBody reads the Anthropic error message of a 400 or 429 and says
// what it tells about limits. A 429 with a retry-after is a rate limit,
// never a spend cap (which lasts the month).
func classifyBody(status int, h http.Header, body []byte) pool.Signal {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return pool.SignalNone
	}
	msg := strings.ToLower(e.Error.Message)
	for _, b := range bodySignals {
		if (b.status == 0 || b.status == status) && strings.Contains(msg, b.phrase) {
			if b.sig == pool.SignalSpendLimit && status == http.StatusTooManyRequests && h.Get("Retry-After") != "" {
				return pool.SignalNone
			}
			return b.sig
		}
	}
	return pool.SignalNone
}

// observe hands an upstream answer to the pool, reading and classifying the
// body of a 400 or 429 first (the body is put back for relaying). A request
// the plan guard stopped is remembered in req, so the client learns why if no
// account is left.
func (s *Service) observe(req *request, acct pool.Account, resp *http.Response) pool.Verdict {
	if l := laneOf(resp.Header); l != "" {
		req.rec.Lane = l
	}
	if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusTooManyRequests {
		return s.pool.ObserveFor(acct.ID, req.model, resp.StatusCode, resp.Header)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSignalBody))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), rest), rest}
	if err != nil {
		return s.pool.ObserveFor(acct.ID, req.model, resp.StatusCode, resp.Header)
	}
	if why := familyRefusal(resp.StatusCode, body); why != "" {
		s.log.Info("upstream refused the model family", "account", acct.Name, "model", req.model, "reason", why)
		return s.pool.ObserveRefusedFamily(acct.ID, req.model, resp.Header, why)
	}
	sig := classifyBody(resp.StatusCode, resp.Header, body)
	v := s.pool.ObserveFor(acct.ID, req.model, resp.StatusCode, resp.Header)
	if sig != pool.SignalNone {
		v = s.pool.ObserveSignal(acct.ID, resp.StatusCode, resp.Header, sig)
	}
	if sig != pool.SignalNone {
		req.rec.Lane = sig.String()
		s.log.Info("upstream limit signal", "account", acct.Name, "status", resp.StatusCode, "signal", sig.String(), "verdict", v.String())
		if v == pool.Failover && sig != pool.SignalSpendLimit {
			req.guard = sig
		}
	}
	return v
}

// guardRefused is the failure of a request the plan guard stopped on every
// account: 429, in Anthropic's shape, saying so instead of a bare rate
// limit. limited, when set, is when the first of the client's accounts
// frees up.
func (s *Service) guardRefused(req *request, limited *pool.LimitedError) error {
	msg := "Sluice's plan guard stopped this request: every account that could serve it would have drawn paid extra usage, or has none left."
	if req.guard == pool.SignalExtraUsageRequest {
		msg = "Sluice's plan guard stopped this request: Anthropic requires extra usage for it (long context), and the guard keeps requests within plan limits."
	}
	e := &httpError{status: http.StatusTooManyRequests, kind: errRateLimit, reason: journal.ReasonPlanGuard.With(req.guard.String())}
	if limited != nil {
		e.retryAfter = max(limited.Until.Sub(s.now()), time.Second)
		msg += fmt.Sprintf(" The first account frees up at %s.", localTime(limited.Until))
	}
	e.msg = msg + s.guardOffHint()
	return e
}

// laneOf says from the unified headers whether a request drew on the plan
// or on extra usage; "" for API-key answers, which carry none.
func laneOf(h http.Header) string {
	const pre = "Anthropic-Ratelimit-Unified-"
	status := h.Get(pre + "Status")
	if status == "" {
		return ""
	}
	overage := h.Get(pre + "Overage-Status")
	if h.Get(pre+"Representative-Claim") == "overage" ||
		(status == "rejected" && (overage == "allowed" || overage == "allowed_warning")) {
		return "extra-usage"
	}
	return "plan"
}
