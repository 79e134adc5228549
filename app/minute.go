package app

import (
	"fmt"
	"slices"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Labels of an API key's per-minute windows, by the engine's window kind.
var minuteLabels = map[string]string{
	"rpm":        "Requests / min",
	"input_tpm":  "Input tokens / min",
	"output_tpm": "Output tokens / min",
	"tpm":        "Tokens / min",
}

// cardWindows is what a card shows: windowsOf, with an API key's per-minute
// buckets named for people. A Console key has no 5-hour or weekly window,
// so before its first answer it shows empty per-minute bars instead, and
// the combined tokens bucket is left out when the input and output ones
// (which tell more) are known.
func cardWindows(a api.AccountView) []limitWindow {
	if len(a.Windows) == 0 && a.Kind == api.KindAPIKey {
		return []limitWindow{
			{minuteLabels["rpm"], api.Window{}},
			{minuteLabels["input_tpm"], api.Window{}},
			{minuteLabels["output_tpm"], api.Window{}},
		}
	}
	split := slices.ContainsFunc(a.Windows, func(w api.Window) bool {
		return w.Scope == "" && (w.Kind == "input_tpm" || w.Kind == "output_tpm")
	})
	ws := windowsOf(a)
	out := ws[:0:0]
	for _, w := range ws {
		l, ok := minuteLabels[w.Kind]
		switch {
		case !ok || w.Scope != "":
		case w.Kind == "tpm" && split:
			continue
		default:
			w.Label = l
		}
		out = append(out, w)
	}
	return out
}

// statsLine says what Sluice counted for a. The count runs over the
// account's 5-hour window when it has one; an account without one (a
// Console key, a weekly-only plan) is counted over 5 hours from its first
// request, and the line says so rather than name a window it does not have.
func statsLine(a api.AccountView) string {
	hasSession := slices.ContainsFunc(a.Windows, func(w api.Window) bool { return w.Kind == "session" && w.Scope == "" })
	fresh := len(a.Windows) == 0 && a.Kind != api.KindAPIKey // a subscription not heard from yet
	if hasSession || fresh {
		return fmt.Sprintf("%s, %s tokens in the current 5-hour window", requests(a.WindowRequests), tokens(a.WindowTokens))
	}
	return fmt.Sprintf("%s, %s tokens in Sluice's own 5-hour count (no 5-hour limit on this account)", requests(a.WindowRequests), tokens(a.WindowTokens))
}

// requests says n requests in English: "1 request", "2 requests".
func requests(n int64) string {
	if n == 1 {
		return "1 request"
	}
	return fmt.Sprintf("%d requests", n)
}
