package pool

// Kinds of an API key's per-minute windows, one per token bucket Anthropic
// reports in anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-*.
const (
	KindRPM       = "rpm"        // requests per minute
	KindTPM       = "tpm"        // tokens (input and output) per minute
	KindInputTPM  = "input_tpm"  // input tokens per minute
	KindOutputTPM = "output_tpm" // output tokens per minute
)

// tierWindows are the per-minute windows of the tiers a header set carried
// (mask), in a fixed order. A tier without a positive limit says nothing
// about use and gives no window. They are appended to dst (the caller's
// array on its stack: they are copied into the limits' windows).
func (l *Limits) tierWindows(mask int, dst []Window) []Window {
	tiers := [...]struct {
		bit  int
		kind string
		t    Tier
	}{
		{hasRequests, KindRPM, l.Requests},
		{hasTokens, KindTPM, l.Tokens},
		{hasInput, KindInputTPM, l.InputTokens},
		{hasOutput, KindOutputTPM, l.OutputTokens},
	}
	out := dst
	for _, tr := range tiers {
		if mask&tr.bit == 0 || tr.t.Limit <= 0 {
			continue
		}
		out = append(out, tierWindow(tr.kind, tr.t))
	}
	return out
}

// tierWindow is a token bucket as a window: utilization 1-remaining/limit
// (remaining above the limit reads as unused), the bucket's refill time as
// its reset, and status rejected when nothing remains.
func tierWindow(kind string, t Tier) Window {
	w := Window{Name: kind, Kind: kind, Utilization: 1 - float64(min(t.Remaining, t.Limit))/float64(t.Limit), ResetsAt: t.ResetsAt}
	if t.exhausted() {
		w.Status = statusReject
	}
	return w
}

// exhaustedTier is the per-minute window that ran out, the one refilling
// last when several did; false when none did.
func (l *Limits) exhaustedTier() (Window, bool) {
	var out Window
	found := false
	for _, w := range l.Windows {
		if isMinuteKind(w.Kind) && w.Status == statusReject && (!found || w.ResetsAt.After(out.ResetsAt)) {
			out, found = w, true
		}
	}
	return out, found
}

// isMinuteKind reports whether kind is one of an API key's per-minute windows.
func isMinuteKind(kind string) bool {
	switch kind {
	case KindRPM, KindTPM, KindInputTPM, KindOutputTPM:
		return true
	}
	return false
}

// minuteLabel names a per-minute window for reasons and logs.
func minuteLabel(kind string) string {
	switch kind {
	case KindRPM:
		return "requests per minute"
	case KindTPM:
		return "tokens per minute"
	case KindInputTPM:
		return "input tokens per minute"
	case KindOutputTPM:
		return "output tokens per minute"
	}
	return kind
}
