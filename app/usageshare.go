package app

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// The Usage tab's window share: what part of each limit window (5-hour,
// weekly, a model's weekly cap) a session, project, client key or account
// spent, as the engine's quota ledger attributed it from the limit headers
// after each request.

// shareGroups are the groupings of the window share, as the engine names
// them (UsageQuery.By); the first is the default.
var shareGroups = []string{"session", "project", "key", "account"}

// shareName names r's group for people.
func shareName(r api.UsageRow, by string) string {
	switch by {
	case "session":
		return orNone(r.Session, "(no session)")
	case "project":
		return orNone(r.Project, "(no project)")
	case "key":
		return orNone(r.KeyName, "(no key)")
	}
	return orNone(r.AccountName, "(no account)")
}

// shorten shortens s to n runes, the last one an ellipsis when it was cut (a
// Claude Code session id is a 36-character UUID; its start tells it).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// shareText is a row's share of each window: "5h 3.0 %  7d 0.8 %".
func shareText(share map[string]float64) string {
	keys := api.WindowKeys(share)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %4.1f %%", k, share[k]*100)
	}
	return strings.Join(parts, "  ")
}

// shareLines lists the groups that spent part of a window, biggest 5-hour
// share first, and says when nothing did. Only rows whose account's
// answers carried window headers have a share: a Console key's limits are
// per-minute buckets, not windows, and it gets no row here. A share split
// among requests that ran at once on an account (by their tokens) is
// marked "estimate".
func shareLines(rows []api.UsageRow, by string) string {
	rows = slices.DeleteFunc(slices.Clone(rows), func(r api.UsageRow) bool { return len(r.WindowShare) == 0 })
	if len(rows) == 0 {
		// Short lines: the label is monospace and does not wrap.
		return "No share of a limit window in this range.\nShares come from a subscription's limit headers;\nConsole keys have per-minute limits, not windows."
	}
	slices.SortStableFunc(rows, func(a, b api.UsageRow) int {
		return cmp.Or(cmp.Compare(b.WindowShare["5h"], a.WindowShare["5h"]), cmp.Compare(b.WindowShare["7d"], a.WindowShare["7d"]))
	})
	var b strings.Builder
	for _, r := range rows {
		line := fmt.Sprintf("%-24s %4d req  %s", shorten(shareName(r, by), 24), r.Requests, shareText(r.WindowShare))
		if r.ShareEstimate {
			line += "  estimate"
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
