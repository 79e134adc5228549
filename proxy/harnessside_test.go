package proxy_test

import (
	"fmt"
	"strings"
	"time"
)

// The proxies side by side: nginx (the goal), the bare Go proxy (the
// floor of a net/http proxy) and Sluice, in the same rounds of each case.

// sideTargets are the proxies of the side-by-side tables, in their order.
var sideTargets = []string{"nginx", "bare Go", "Sluice"}

// sideBySide collects the two side-by-side tables, case by case: rate and
// latency per proxy, and cost (CPU per request, RssAnon) with the ratios
// issue 21 asks about.
type sideBySide struct {
	rate, cost strings.Builder
	present    map[string]bool // proxies in this run
}

// add writes one case's rows (cs names it, la is the load average after
// it) and returns what is invalid: a cost ratio that is not a finite
// number. It writes nothing when Sluice is the only proxy of the run.
func (sb *sideBySide) add(cs, la string, targets []harnessTarget, res []caseResult) []string {
	at := map[string]int{}
	for i, tg := range targets {
		at[tg.name] = i
	}
	if len(at) <= 2 { // direct and Sluice: nothing beside it
		return nil
	}
	if sb.present == nil {
		sb.present = map[string]bool{}
		for _, name := range sideTargets {
			_, sb.present[name] = at[name]
		}
	}
	d := res[at["direct"]]
	for _, name := range sideTargets {
		i, ok := at[name]
		if !ok {
			continue
		}
		r := res[i]
		fmt.Fprintf(&sb.rate, "| %s | %s | %s | %.0f | %.2fx | %+.2f ms | %+.2f ms | %+.2f ms | %d |\n",
			cs, la, name, r.rate(), r.rate()/d.rate(), msf(pct(r.lat, 50)-pct(d.lat, 50)),
			msf(pct(r.lat, 99)-pct(d.lat, 99)), msf(pct(r.ttfb, 50)-pct(d.ttfb, 50)), r.errs)
	}
	var problems []string
	cell := func(name string, f func(caseResult) string) string {
		if i, ok := at[name]; ok {
			return f(res[i])
		}
		return "-"
	}
	// ratio is a/b of a cost, "-" when either proxy is absent.
	ratio := func(what, a, b string, cost func(caseResult) float64) string {
		ia, oka := at[a]
		ib, okb := at[b]
		if !oka || !okb {
			return "-"
		}
		x := cost(res[ia]) / cost(res[ib])
		if !finite(x) {
			problems = append(problems, fmt.Sprintf("%s: %s ÷ %s %s %v", cs, a, b, what, x))
		}
		return fmt.Sprintf("%.2fx", x)
	}
	cpu := func(r caseResult) float64 { return float64(r.cpuPer()) / float64(time.Microsecond) }
	anon := func(r caseResult) float64 { return float64(r.anonMax) / 1024 }
	cpuCell := func(r caseResult) string { return fmt.Sprintf("%.0f µs", cpu(r)) }
	anonCell := func(r caseResult) string { return fmt.Sprintf("%.1f MiB", anon(r)) }
	fmt.Fprintf(&sb.cost, "| %s | %s | %s | %s | %s | %s | **%s** | %s | %s | %s | %s | %s | **%s** |\n", cs, la,
		cell("nginx", cpuCell), cell("bare Go", cpuCell), cell("Sluice", cpuCell),
		ratio("CPU/req", "bare Go", "nginx", cpu), ratio("CPU/req", "Sluice", "bare Go", cpu), ratio("CPU/req", "Sluice", "nginx", cpu),
		cell("nginx", anonCell), cell("bare Go", anonCell), cell("Sluice", anonCell),
		ratio("RssAnon", "bare Go", "nginx", anon), ratio("RssAnon", "Sluice", "bare Go", anon))
	return problems
}

// write puts the tables in out, if any case had a proxy beside Sluice.
func (sb *sideBySide) write(out *strings.Builder) {
	if sb.rate.Len() == 0 {
		return
	}
	var absent []string
	for _, name := range sideTargets {
		if !sb.present[name] {
			absent = append(absent, name)
		}
	}
	fmt.Fprintf(out, "proxies in the same rounds (nginx: master + workers; bare Go: httputil.ReverseProxy in its own process)")
	if len(absent) > 0 {
		fmt.Fprintf(out, "; not in this run: %s", strings.Join(absent, ", "))
	}
	fmt.Fprintf(out, "\n| case | load avg | proxy | req/s | ratio to direct | added p50 | added p99 | TTFB added p50 | errors |\n|---|---|---|---|---|---|---|---|---|\n")
	out.WriteString(sb.rate.String())
	fmt.Fprintf(out, "cost per proxy: CPU per request (its processes' user+sys over its rounds ÷ requests) and RssAnon max in its rounds\n")
	fmt.Fprintf(out, "| case | load avg | nginx CPU/req | bare Go CPU/req | Sluice CPU/req | bare Go ÷ nginx CPU | Sluice ÷ bare Go CPU | Sluice ÷ nginx CPU "+
		"| nginx RssAnon | bare Go RssAnon | Sluice RssAnon | bare Go ÷ nginx RssAnon | Sluice ÷ bare Go RssAnon |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	out.WriteString(sb.cost.String())
}
