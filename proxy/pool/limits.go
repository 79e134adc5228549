package pool

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Unified rate-limit statuses as Anthropic sends them.
const (
	statusAllowed = "allowed"
	statusWarning = "allowed_warning"
	statusReject  = "rejected"
)

// maxResetAhead bounds how far ahead a reset may lie and still be believed.
// The longest real window is 7 days; anything beyond a day more is a clock
// or parsing fault, and trusting it would bench an account for weeks.
const maxResetAhead = 8 * 24 * time.Hour

// Window is one of an account's usage windows (5-hour, 7-day, ...).
type Window struct {
	Status      string    `json:"status,omitempty"` // allowed, allowed_warning, rejected ("" from the usage endpoint)
	Utilization float64   `json:"utilization"`      // 0..1; above 1 only while extra usage is drawn
	ResetsAt    time.Time `json:"resets_at,omitzero"`
}

// Tier is one of the classic API-key limits (requests, tokens, ...) per minute.
type Tier struct {
	Limit     int64     `json:"limit,omitempty"`
	Remaining int64     `json:"remaining,omitempty"`
	ResetsAt  time.Time `json:"resets_at,omitzero"`
}

// exhausted reports whether the tier is known and used up.
func (t Tier) exhausted() bool { return t.Limit > 0 && t.Remaining <= 0 }

// Limits is what Anthropic told us about an account's limits, from response
// headers (ParseHeaders) or the OAuth usage endpoint (ParseUsage). Resets
// that were in the past or more than 8 days ahead when parsed are left zero.
type Limits struct {
	Status   string    `json:"status,omitempty"` // anthropic-ratelimit-unified-status
	ResetsAt time.Time `json:"resets_at,omitzero"`

	FiveHour       Window `json:"five_hour,omitzero"`
	SevenDay       Window `json:"seven_day,omitzero"`
	SevenDayOpus   Window `json:"seven_day_opus,omitzero"`   // usage endpoint only
	SevenDaySonnet Window `json:"seven_day_sonnet,omitzero"` // usage endpoint only

	RepresentativeClaim string  `json:"representative_claim,omitempty"`
	OverageStatus       string  `json:"overage_status,omitempty"`
	OverageUtilization  float64 `json:"overage_utilization,omitempty"`
	FallbackPercentage  float64 `json:"fallback_percentage,omitempty"`

	Requests     Tier `json:"requests,omitzero"`
	Tokens       Tier `json:"tokens,omitzero"`
	InputTokens  Tier `json:"input_tokens,omitzero"`
	OutputTokens Tier `json:"output_tokens,omitzero"`

	RetryAfter time.Duration `json:"retry_after,omitempty"`

	// Extra keeps anthropic-ratelimit-* headers this package does not know
	// (lower-cased name without the prefix), so a new header shows up in the
	// UI instead of being lost or failing the parse. Never mutated once set.
	Extra map[string]string `json:"extra,omitempty"`

	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// Presence bits: which groups of fields a header set carried, so a partial
// set (a 429 with only retry-after) does not wipe what earlier responses
// told us.
const (
	hasUnified = 1 << iota
	hasFive
	hasSeven
	hasOverage
	hasRequests
	hasTokens
	hasInput
	hasOutput
	hasRetry
	hasExtra
)

const ratelimitPrefix = "anthropic-ratelimit-"

// ParseHeaders reads Anthropic's rate-limit headers. The bool reports whether
// any limit header (anthropic-ratelimit-* or retry-after) was present.
// Unparsable values are skipped, never fatal; unknown anthropic-ratelimit-*
// headers go to Extra.
func ParseHeaders(h http.Header, now time.Time) (Limits, bool) {
	l, mask := parseHeaders(h, now)
	return l, mask != 0
}

func parseHeaders(h http.Header, now time.Time) (Limits, int) {
	var l Limits
	mask := 0
	for key, vals := range h {
		if len(vals) == 0 {
			continue
		}
		v := strings.TrimSpace(vals[0])
		if strings.EqualFold(key, "retry-after") {
			mask |= hasRetry
			l.RetryAfter = parseRetryAfter(v, now)
			continue
		}
		if len(key) <= len(ratelimitPrefix) || !strings.EqualFold(key[:len(ratelimitPrefix)], ratelimitPrefix) {
			continue
		}
		name := strings.ToLower(key[len(ratelimitPrefix):])
		if bit := l.set(name, v, now); bit != 0 {
			mask |= bit
			continue
		}
		if l.Extra == nil {
			l.Extra = make(map[string]string)
		}
		l.Extra[name] = v
		mask |= hasExtra
	}
	if mask != 0 {
		l.UpdatedAt = now
	}
	return l, mask
}

// set stores one known header (name without the prefix) and returns its
// presence bit, or 0 when the name is unknown.
func (l *Limits) set(name, v string, now time.Time) int {
	switch name {
	case "unified-status":
		l.Status = v
		return hasUnified
	case "unified-reset":
		l.ResetsAt = parseReset(v, now)
		return hasUnified
	case "unified-5h-status":
		l.FiveHour.Status = v
		return hasFive
	case "unified-5h-utilization":
		l.FiveHour.Utilization = parseFraction(v)
		return hasFive
	case "unified-5h-reset":
		l.FiveHour.ResetsAt = parseReset(v, now)
		return hasFive
	case "unified-7d-status":
		l.SevenDay.Status = v
		return hasSeven
	case "unified-7d-utilization":
		l.SevenDay.Utilization = parseFraction(v)
		return hasSeven
	case "unified-7d-reset":
		l.SevenDay.ResetsAt = parseReset(v, now)
		return hasSeven
	case "unified-representative-claim":
		l.RepresentativeClaim = v
		return hasUnified
	case "unified-fallback-percentage":
		l.FallbackPercentage = parseFraction(v)
		return hasUnified
	case "unified-overage-status":
		l.OverageStatus = v
		return hasOverage
	case "unified-overage-utilization":
		l.OverageUtilization = parseFraction(v)
		return hasOverage
	}
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return 0
	}
	tier, field := name[:i], name[i+1:]
	var t *Tier
	var bit int
	switch tier {
	case "requests":
		t, bit = &l.Requests, hasRequests
	case "tokens":
		t, bit = &l.Tokens, hasTokens
	case "input-tokens":
		t, bit = &l.InputTokens, hasInput
	case "output-tokens":
		t, bit = &l.OutputTokens, hasOutput
	default:
		return 0
	}
	switch field {
	case "limit":
		t.Limit = parseCount(v)
	case "remaining":
		t.Remaining = parseCount(v)
	case "reset":
		t.ResetsAt = parseReset(v, now)
	default:
		return 0
	}
	return bit
}

// parseReset accepts Unix seconds (the unified headers) or RFC 3339 (the
// tier headers) and keeps only resets in (now, now+8 days]: a reset in the
// past says nothing about when to try again, and one far ahead is a fault.
func parseReset(v string, now time.Time) time.Time {
	var t time.Time
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1e11 {
			return time.Time{}
		}
		sec, frac := math.Modf(f)
		t = time.Unix(int64(sec), int64(frac*1e9))
	} else if p, err := time.Parse(time.RFC3339Nano, v); err == nil {
		t = p
	} else {
		return time.Time{}
	}
	return validReset(t, now)
}

// validReset returns t when it lies in (now, now+8 days], else zero.
func validReset(t, now time.Time) time.Time {
	if !t.After(now) || t.Sub(now) > maxResetAhead {
		return time.Time{}
	}
	return t.UTC() // one zone everywhere: equal resets compare and print equal
}

// parseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || f <= 0 || f > maxResetAhead.Seconds() {
			return 0
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if t = validReset(t, now); !t.IsZero() {
			return t.Sub(now)
		}
	}
	return 0
}

// parseFraction reads a utilization-like number; garbage and negatives are 0.
func parseFraction(v string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}

func parseCount(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// merge folds a header set into what we knew: groups the headers carried
// replace ours, the others (notably the Opus/Sonnet windows, which only the
// usage endpoint reports) are kept.
func (l Limits) merge(n Limits, mask int) Limits {
	if mask&hasUnified != 0 {
		l.Status, l.ResetsAt = n.Status, n.ResetsAt
		l.RepresentativeClaim, l.FallbackPercentage = n.RepresentativeClaim, n.FallbackPercentage
	}
	if mask&hasFive != 0 {
		l.FiveHour = n.FiveHour
	}
	if mask&hasSeven != 0 {
		l.SevenDay = n.SevenDay
	}
	// Overage headers are absent while overage is not in play, so their
	// absence in a set that carries the unified status clears them.
	if mask&(hasOverage|hasUnified) != 0 {
		l.OverageStatus, l.OverageUtilization = n.OverageStatus, n.OverageUtilization
	}
	if mask&hasRequests != 0 {
		l.Requests = n.Requests
	}
	if mask&hasTokens != 0 {
		l.Tokens = n.Tokens
	}
	if mask&hasInput != 0 {
		l.InputTokens = n.InputTokens
	}
	if mask&hasOutput != 0 {
		l.OutputTokens = n.OutputTokens
	}
	if mask&hasExtra != 0 {
		l.Extra = n.Extra
	}
	l.RetryAfter = n.RetryAfter // per response, never carried over
	if mask != 0 {
		l.UpdatedAt = n.UpdatedAt
	}
	return l
}

// overageAllowed reports whether extra usage would pay for requests past the
// plan's limits.
func (l *Limits) overageAllowed() bool {
	return l.OverageStatus == statusAllowed || l.OverageStatus == statusWarning
}

// drawingOverage is the plan guard's trigger. The next request would be paid
// as extra usage when either
//   - a plan limit is exhausted (unified, 5-hour or 7-day status "rejected")
//     while overage-status is "allowed" or "allowed_warning" — the server
//     keeps answering 200, billed beyond the subscription; or
//   - the representative claim names the overage bucket ("overage"), i.e.
//     the binding limit is already the paid one.
//
// OverageUtilization alone is not a trigger: it is month-to-date spend and
// can be non-zero long after the plan window reset.
func (l *Limits) drawingOverage() bool {
	if l.RepresentativeClaim == "overage" {
		return true
	}
	return l.planExhausted() && l.overageAllowed()
}

// planExhausted reports whether any plan-level window says rejected.
func (l *Limits) planExhausted() bool {
	return l.Status == statusReject || l.FiveHour.Status == statusReject || l.SevenDay.Status == statusReject
}

// planReset is when the exhausted plan limit frees up: the unified reset when
// the unified status is rejected, else the latest reset among rejected
// windows (all must reset before a request passes), else the unified reset
// (it belongs to the representative claim), else zero.
func (l *Limits) planReset() time.Time {
	if l.Status == statusReject && !l.ResetsAt.IsZero() {
		return l.ResetsAt
	}
	var t time.Time
	for _, w := range [...]Window{l.FiveHour, l.SevenDay} {
		if w.Status == statusReject && w.ResetsAt.After(t) {
			t = w.ResetsAt
		}
	}
	if t.IsZero() && l.planExhausted() {
		t = l.ResetsAt
	}
	return t
}

// tierReset is the latest reset among exhausted API-key tiers.
func (l *Limits) tierReset() time.Time {
	var t time.Time
	for _, tr := range [...]Tier{l.Requests, l.Tokens, l.InputTokens, l.OutputTokens} {
		if tr.exhausted() && tr.ResetsAt.After(t) {
			t = tr.ResetsAt
		}
	}
	return t
}

// warning reports whether Anthropic flagged the account as close to a limit,
// or it is drawing extra usage (possible only without PlanGuard), and that
// still applies (the window concerned has not reset since).
func (l *Limits) warning(now time.Time) bool {
	live := func(status string, reset time.Time) bool {
		return status == statusWarning && (reset.IsZero() || reset.After(now))
	}
	if live(l.Status, l.ResetsAt) || live(l.FiveHour.Status, l.FiveHour.ResetsAt) ||
		live(l.SevenDay.Status, l.SevenDay.ResetsAt) {
		return true
	}
	if !l.drawingOverage() {
		return false
	}
	r := l.planReset()
	return r.IsZero() || r.After(now)
}

// fiveHourUtil is the 5-hour utilization, 0 once its window has reset.
func (l *Limits) fiveHourUtil(now time.Time) float64 {
	if !l.FiveHour.ResetsAt.IsZero() && !now.Before(l.FiveHour.ResetsAt) {
		return 0
	}
	return l.FiveHour.Utilization
}
