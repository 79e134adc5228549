package proxy_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The harness's tables: every case against every target, then the slow
// streams.

// cases runs every case of the run against direct, Sluice, the bare Go
// proxy (when asked for) and nginx (when installed and asked for), writes
// the tables and lists what is invalid.
func (h *harnessRun) cases(t *testing.T, out *strings.Builder, problems *[]string) {
	scheme := "plain HTTP/1.1"
	if h.o.tls {
		scheme = "TLS + HTTP/2 (the fake's CA trusted through UpstreamCAFile)"
	}
	order := "SDK order (max_tokens, messages, model, stream)"
	if h.o.modelFirst {
		order = "model first"
	}
	fmt.Fprintf(out, "upstream: %s; body keys: %s; load average %s\n", scheme, order, loadAvg())
	targets := []harnessTarget{
		{name: "direct", base: h.fake.URL},
		{name: "Sluice", base: "http://" + h.addr, pids: func() []int { return []int{h.pid} }},
	}
	if h.bare != nil {
		targets = append(targets, harnessTarget{name: "bare Go", base: "http://" + h.bare.addr, pids: func() []int { return []int{h.bare.pid()} }})
	}
	if bin := nginxPath(); h.o.nginx && bin != "" {
		ng := startNginx(t, bin, h.fake.URL, h.ca)
		targets = append(targets, harnessTarget{name: "nginx", base: "http://" + ng.addr, pids: func() []int { return ng.pids(t) }})
		fmt.Fprintf(out, "nginx: %s, %d workers\n", bin, nginxWorkers)
	} else if h.o.nginx {
		fmt.Fprintf(out, "nginx: not installed or SLUICE_NGINX=off, skipped (SLUICE_NGINX=PATH names one)\n")
	}
	idle := readProc(t, h.pid)
	fmt.Fprintf(out, "engine idle: RssAnon %d KiB, RssFile %d KiB\n", idle.rssAnon, idle.rssFile)
	if h.bare != nil {
		b := readProc(t, h.bare.pid())
		fmt.Fprintf(out, "bare Go proxy (httputil.ReverseProxy, child process) idle: RssAnon %d KiB, RssFile %d KiB\n", b.rssAnon, b.rssFile)
	}
	fmt.Fprintf(out, "| case | load avg | direct req/s | through req/s | ratio | added p50 | p50 d/t | p90 d/t | p99 d/t | TTFB p50 d/t | errors d/t | CPU/req | RssAnon max | RssFile |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var side sideBySide
	var tlsOut strings.Builder
	for _, cs := range h.o.cases {
		mode, cstr, _ := strings.Cut(cs, "/")
		conc, _ := strconv.Atoi(cstr)
		res := h.runCase(t, targets, conc, harnessBody(mode == "stream", h.o.modelFirst))
		la := loadAvg()
		*problems = append(*problems, checkCase(cs, targets, res)...)
		d, s := res[0], res[1]
		fmt.Fprintf(out, "| %s c=%d | %s | %.0f | %.0f | **%.2fx** | %+.2f ms | %.2f/%.2f | %.2f/%.2f | %.2f/%.2f | %.2f/%.2f | %d/%d | %d µs | %.1f MiB | %.1f MiB |\n",
			mode, conc, la, d.rate(), s.rate(), s.rate()/d.rate(), msf(pct(s.lat, 50)-pct(d.lat, 50)),
			msf(pct(d.lat, 50)), msf(pct(s.lat, 50)), msf(pct(d.lat, 90)), msf(pct(s.lat, 90)),
			msf(pct(d.lat, 99)), msf(pct(s.lat, 99)), msf(pct(d.ttfb, 50)), msf(pct(s.ttfb, 50)),
			d.errs, s.errs, s.cpuPer().Microseconds(), float64(s.anonMax)/1024, float64(readProc(t, h.pid).rssFile)/1024)
		if h.o.tls {
			fmt.Fprintf(&tlsOut, "| %s c=%d |", mode, conc)
			for i := range targets {
				fmt.Fprintf(&tlsOut, " %.4f / %d |", float64(res[i].handshakes)/float64(max(res[i].ok, 1)), res[i].connsMax)
			}
			tlsOut.WriteString("\n")
		}
		*problems = append(*problems, side.add(fmt.Sprintf("%s c=%d", mode, conc), la, targets, res)...)
	}
	side.write(out)
	if tlsOut.Len() > 0 {
		fmt.Fprintf(out, "at the fake's TLS listener, per target: handshakes per request / connections open (peak)\n| case |")
		for _, tg := range targets {
			fmt.Fprintf(out, " %s |", tg.name)
		}
		fmt.Fprintf(out, "\n|---|%s\n", strings.Repeat("---|", len(targets)))
		out.WriteString(tlsOut.String())
	}
}

// slowTarget is the proxy the slow streams go through: its base URL, its
// process, and whether it takes peak snapshots (the engine only).
type slowTarget struct {
	name string
	base string
	pid  int
	peak bool
}

// slowStreams holds n streams open at once through tg (20 events, 100 ms
// apart: 2 s each), reports its memory per stream and returns its RssAnon
// per stream in KiB.
func (h *harnessRun) slowStreams(t *testing.T, out *strings.Builder, problems *[]string, tg slowTarget) float64 {
	n := h.o.slow
	for _, k := range loadAccounts {
		h.fake.Script(k, fakeapi.Behavior{Delay: 100 * time.Millisecond})
	}
	defer func() {
		for _, k := range loadAccounts {
			h.fake.Script(k, fakeapi.Behavior{})
		}
	}()
	before := readProc(t, tg.pid) // after the earlier cases: the heap they grew is reused

	tr := &http.Transport{MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	// The engine closes the oldest of more than 256 unauthenticated
	// connections from one peer (conns.go), and a burst of 1,000 new ones
	// under load outruns the reading of their headers: at most 128 are
	// opening at a time, each until its answer's headers arrive (by then
	// its key has been checked). Every stream is still open at the peak.
	// With -harness.peakprofile the child writes its snapshots just
	// before the streams and when all n are open (headers in, body not
	// yet read to the end).
	prefix := h.o.peak
	if !tg.peak {
		prefix = ""
	}
	if prefix != "" && h.o.tls {
		prefix += "-tls"
	}
	var open atomic.Int64
	var atPeak sync.Once
	peakAsked := make(chan error, 1)
	onOpen := func() {
		if open.Add(1) == int64(n) && prefix != "" {
			atPeak.Do(func() { peakAsked <- peakSnapshot(h.ctl, prefix) })
		}
	}
	var base map[string]uint64
	if prefix != "" {
		var err error
		if err = peakSnapshot(h.ctl, prefix+".base"); err == nil {
			base, err = readPeakMetrics(prefix + ".base")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	c := &http.Client{Transport: openingGate{tr, make(chan struct{}, 128), onOpen}, Timeout: time.Minute}
	body := harnessBody(true, h.o.modelFirst)
	var errs atomic.Int64
	var first atomic.Value
	var peak, conns atomic.Int64
	done := make(chan struct{})
	go func() {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				peak.Store(max(peak.Load(), readProc(t, tg.pid).rssAnon))
				_, open, _ := h.fake.TLSStats()
				conns.Store(max(conns.Load(), open))
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, err := harnessCall(c, tg.base, h.key, fmt.Sprint("slow-", i), body)
			open.Add(-1)
			if err != nil {
				if errs.Add(1) == 1 {
					first.Store(err.Error())
				}
			}
		})
	}
	wg.Wait()
	close(done)
	per := float64(peak.Load()-before.rssAnon) / float64(n)
	after := readProc(t, tg.pid)
	fmt.Fprintf(out, "%d concurrent slow streams through %s (load average %s): %d errors; RssAnon %.1f -> peak %.1f MiB: %.0f KiB per stream; CPU %.2f s",
		n, tg.name, loadAvg(), errs.Load(), float64(before.rssAnon)/1024, float64(peak.Load())/1024, per, (after.cpu - before.cpu).Seconds())
	if h.o.tls {
		fmt.Fprintf(out, "; connections open at the fake, peak %d", conns.Load())
	}
	out.WriteString("\n")
	if prefix != "" {
		select {
		case err := <-peakAsked:
			m, rerr := readPeakMetrics(prefix)
			if err == nil {
				err = rerr
			}
			if err != nil {
				*problems = append(*problems, "peak profile: "+err.Error())
			} else {
				out.WriteString(peakReport(base, m, n))
			}
		default:
			*problems = append(*problems, fmt.Sprintf("peak profile: the %d streams were never all open at once", n))
		}
	}
	if errs.Load() > 0 {
		*problems = append(*problems, fmt.Sprintf("slow streams through %s: %d errors (first: %v)", tg.name, errs.Load(), first.Load()))
	}
	return per
}

// openingGate lets at most cap(opening) requests wait for their
// answer's headers at once, and calls opened when they are in.
type openingGate struct {
	http.RoundTripper
	opening chan struct{}
	opened  func()
}

func (g openingGate) RoundTrip(r *http.Request) (*http.Response, error) {
	g.opening <- struct{}{}
	defer func() { <-g.opening }()
	resp, err := g.RoundTripper.RoundTrip(r)
	g.opened() // on an error too: harnessCall's return takes one off either way
	return resp, err
}
