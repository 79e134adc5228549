package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// shareText is a window share for people: "5h 3.0 %, 7d 0.4 %", with
// "(estimate)" when divided among concurrent requests; "-" for none.
func shareText(share map[string]float64, estimate bool) string {
	if len(share) == 0 {
		return "-"
	}
	keys := api.WindowKeys(share)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.1f %%", k, share[k]*100)
	}
	s := strings.Join(parts, ", ")
	if estimate {
		s += " (estimate)"
	}
	return s
}

// printPace prints the pool's runway and the quota warnings in force.
func printPace(w io.Writer, st api.Status) {
	for _, r := range st.Runway {
		what := "the pool"
		if r.Family != "" {
			what += " for " + r.Family
		}
		line := fmt.Sprintf("Runway:    at this pace %s runs out at %s", what, r.RunsOutAt.Local().Format("15:04"))
		if !r.Until.IsZero() {
			line += " until " + r.Until.Local().Format("15:04") + " (another account or a Console API key would help)"
		}
		fmt.Fprintln(w, line)
	}
	for _, x := range st.Warnings {
		fmt.Fprintln(w, "Warning:   "+x.Message)
	}
}
