package pool

import (
	"bytes"
	"maps"
	"math"
	"net/http"
	"slices"
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

	// Windows is every usage window the headers or the usage endpoint
	// named, account-wide or model-scoped, in the order first seen. It is
	// never modified in place (snapshots share it).
	Windows []Window `json:"windows,omitempty"`

	// FiveHour, SevenDay, SevenDayOpus and SevenDaySonnet are derived from
	// Windows (zero when the window is unknown) for callers that show the
	// classic four; Windows is what the pool decides on.
	FiveHour       Window `json:"five_hour,omitzero"`
	SevenDay       Window `json:"seven_day,omitzero"`
	SevenDayOpus   Window `json:"seven_day_opus,omitzero"`
	SevenDaySonnet Window `json:"seven_day_sonnet,omitzero"`

	RepresentativeClaim string  `json:"representative_claim,omitempty"`
	OverageStatus       string  `json:"overage_status,omitempty"`
	OverageUtilization  float64 `json:"overage_utilization,omitempty"`
	FallbackPercentage  float64 `json:"fallback_percentage,omitempty"`

	Requests     Tier `json:"requests,omitzero"`
	Tokens       Tier `json:"tokens,omitzero"`
	InputTokens  Tier `json:"input_tokens,omitzero"`
	OutputTokens Tier `json:"output_tokens,omitzero"`

	RetryAfter time.Duration `json:"retry_after,omitempty"`

	// Spend is the usage endpoint's extra-usage spend block, when sent.
	Spend Spend `json:"spend,omitzero"`

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
	hasWindows
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
	var wins map[string]*Window
	var lowerBuf [64]byte // a name lowered without allocating, when it is ASCII and short
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
		// Most names are the known ones set reads: lowered in lowerBuf,
		// they cost no string (ToLower allocated one per header per
		// answer); the others are made strings, as they are kept.
		lower, ascii := lowerASCII(lowerBuf[:0], key[len(ratelimitPrefix):])
		var name string
		if ascii {
			if bit := l.set(lower, v, now); bit != 0 {
				mask |= bit
				continue
			}
			name = string(lower)
		} else {
			name = strings.ToLower(key[len(ratelimitPrefix):])
			if bit := l.set([]byte(name), v, now); bit != 0 {
				mask |= bit
				continue
			}
		}
		if wn, field, ok := unifiedWindow(name); ok {
			if wins == nil {
				wins = make(map[string]*Window)
			}
			w := wins[wn]
			if w == nil {
				w = &Window{Name: wn}
				w.Kind, w.Scope = windowMeta(wn)
				wins[wn] = w
			}
			switch field {
			case "status":
				w.Status = v
			case "utilization":
				w.Utilization = parseFraction(v)
			case "reset":
				w.ResetsAt = parseReset(v, now)
			}
			mask |= hasWindows
			continue
		}
		if l.Extra == nil {
			l.Extra = make(map[string]string)
		}
		l.Extra[name] = v
		mask |= hasExtra
	}
	if len(wins) > 0 {
		names := slices.Sorted(maps.Keys(wins))
		ws := make([]Window, 0, len(names))
		for _, n := range names {
			ws = append(ws, *wins[n])
		}
		l.Windows = upsertAll(nil, ws)
	}
	// An API key's per-minute buckets are windows too, so every view and
	// strategy sees them like the subscription's.
	var tierBuf [4]Window
	if tw := l.tierWindows(mask, tierBuf[:0]); len(tw) > 0 {
		l.Windows = upsertAll(l.Windows, tw)
		mask |= hasWindows
	}
	l.derive()
	if mask != 0 {
		l.UpdatedAt = now
	}
	return l, mask
}

// unifiedWindow splits "unified-<window>-<field>" for any window name but
// the overage bucket, so a window Anthropic adds later is kept like 5h.
func unifiedWindow(name string) (window, field string, ok bool) {
	rest, ok := strings.CutPrefix(name, "unified-")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 {
		return "", "", false
	}
	window, field = rest[:i], rest[i+1:]
	switch field {
	case "status", "utilization", "reset":
	default:
		return "", "", false
	}
	if window == "overage" || strings.ContainsAny(window, " \t") {
		return "", "", false
	}
	return window, field, true
}

// set stores one known header (name without the prefix) and returns its
// presence bit, or 0 when the name is unknown.
func (l *Limits) set(name []byte, v string, now time.Time) int {
	switch string(name) { // no allocation: compared in place
	case "unified-status":
		l.Status = v
		return hasUnified
	case "unified-reset":
		l.ResetsAt = parseReset(v, now)
		return hasUnified
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
	i := bytes.LastIndexByte(name, '-')
	if i <= 0 {
		return 0
	}
	tier, field := name[:i], name[i+1:]
	var t *Tier
	var bit int
	switch string(tier) {
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
	switch string(field) {
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
	// A date is not tried as a number first: the failed ParseFloat
	// allocates its error, on every answer that sends dates.
	if strings.ContainsAny(v, "T:") {
		p, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}
		}
		return validReset(p, now)
	}
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
	l.normalize()
	if mask&hasUnified != 0 {
		l.Status, l.ResetsAt = n.Status, n.ResetsAt
		l.RepresentativeClaim, l.FallbackPercentage = n.RepresentativeClaim, n.FallbackPercentage
	}
	if mask&hasWindows != 0 {
		l.Windows = upsertAll(l.Windows, n.Windows)
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
	l.derive()
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

// planExhausted reports whether the plan refuses every request: an
// account-wide window says rejected, or the unified status does while no
// model-scoped window explains it (a Fable-only rejection also sets the
// unified status, and must not bench the account for other models).
func (l *Limits) planExhausted() bool {
	scoped := false
	for _, w := range l.Windows {
		if w.Status != statusReject || isMinuteKind(w.Kind) {
			continue // a per-minute bucket is no plan limit: retry-after rules it
		}
		if w.Scope == "" {
			return true
		}
		scoped = true
	}
	return l.Status == statusReject && !scoped
}

// scopedRejected returns the model-scoped windows that say rejected.
func (l *Limits) scopedRejected() []Window {
	var out []Window
	for _, w := range l.Windows {
		if w.Scope != "" && w.Status == statusReject {
			out = append(out, w)
		}
	}
	return out
}

// planReset is when the exhausted plan limit frees up: the unified reset when
// the unified status is rejected, else the latest reset among rejected
// account-wide windows (all must reset before a request passes), else the
// unified reset (it belongs to the representative claim), else zero.
func (l *Limits) planReset() time.Time {
	if !l.planExhausted() {
		return time.Time{}
	}
	if l.Status == statusReject && !l.ResetsAt.IsZero() {
		return l.ResetsAt
	}
	var t time.Time
	for _, w := range l.Windows {
		if w.Scope == "" && w.Status == statusReject && !isMinuteKind(w.Kind) && w.ResetsAt.After(t) {
			t = w.ResetsAt
		}
	}
	if t.IsZero() {
		t = l.ResetsAt
	}
	return t
}

// bindingKey names the account-wide window that benches the account (the
// rejected one resetting last), "" when no window says so. The usage poll
// lifts the bench early when that window reopened.
func (l *Limits) bindingKey() string {
	var k string
	var t time.Time
	for _, w := range l.Windows {
		if w.Scope == "" && w.Status == statusReject && !isMinuteKind(w.Kind) && (k == "" || w.ResetsAt.After(t)) {
			k, t = w.key(), w.ResetsAt
		}
	}
	return k
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
// still applies (the window concerned has not reset since). Model-scoped
// windows do not count: they concern one model family only.
func (l *Limits) warning(now time.Time) bool {
	if l.Status == statusWarning && (l.ResetsAt.IsZero() || l.ResetsAt.After(now)) {
		return true
	}
	for _, w := range l.Windows {
		if w.Scope == "" && w.Status == statusWarning && w.live(now) {
			return true
		}
	}
	if !l.drawingOverage() {
		return false
	}
	r := l.planReset()
	return r.IsZero() || r.After(now)
}

// fiveHourUtil is the 5-hour utilization, 0 once its window has reset or
// when the plan has none.
func (l *Limits) fiveHourUtil(now time.Time) float64 {
	w, _ := l.Find(KindSession, "")
	return w.util(now)
}
