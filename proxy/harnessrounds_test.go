package proxy_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The harness's rounds: targets, the load generator, /proc readings.

// procStat reads a process's CPU time (user+sys) and memory from /proc.
type procStat struct {
	cpu                     time.Duration
	rssAnon, rssFile, vmHWM int64 // KiB
}

func readProc(t *testing.T, pid int) procStat {
	var ps procStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) start at state.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	ps.cpu = time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "RssAnon":
			ps.rssAnon = n
		case "RssFile":
			ps.rssFile = n
		case "VmHWM":
			ps.vmHWM = n
		}
	}
	return ps
}

// loadAvg is /proc/loadavg's first three fields: the machine's load, to
// print beside every figure measured on a shared machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// roundResult is one round against one target.
type roundResult struct {
	ok, errs  int64
	elapsed   time.Duration
	lat, ttfb []time.Duration
	firstErr  string
}

// runRound sends back-to-back requests from c clients for d.
func runRound(c *http.Client, base, key string, conc int, body string, d time.Duration) roundResult {
	var res roundResult
	var mu sync.Mutex
	var ok, errs atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range conc {
		wg.Go(func() {
			var lat, ttfb []time.Duration
			session := fmt.Sprint("harness-", i)
			for time.Now().Before(deadline) {
				l, tf, err := harnessCall(c, base, key, session, body)
				if err != nil {
					errs.Add(1)
					mu.Lock()
					if res.firstErr == "" {
						res.firstErr = err.Error()
					}
					mu.Unlock()
					continue
				}
				ok.Add(1)
				lat, ttfb = append(lat, l), append(ttfb, tf)
			}
			mu.Lock()
			res.lat, res.ttfb = append(res.lat, lat...), append(res.ttfb, ttfb...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed, res.ok, res.errs = time.Since(start), ok.Load(), errs.Load()
	return res
}

// harnessCall sends one request with the engine's client key; the fake
// upstream, called directly, serves any key.
func harnessCall(c *http.Client, base, key, session, body string) (lat, ttfb time.Duration, err error) {
	lat, ttfb, rest, err := timedPost(c, base, key, session, body)
	if err == nil && len(rest) < 99 {
		err = fmt.Errorf("a %d-byte answer", len(rest)+1)
	}
	return lat, ttfb, err
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[(len(d)-1)*p/100]
}

// harnessTarget is where one kind of round sends its requests: direct to
// the fake, or through a proxy whose processes (pids) are measured.
type harnessTarget struct {
	name string
	base string
	pids func() []int // nil for direct: nothing of ours to measure
}

// caseResult is one target's rounds of one case, with the proxy's CPU
// time and peak anonymous memory over its own rounds, and what the fake's
// TLS listener saw meanwhile.
type caseResult struct {
	roundResult
	cpu        time.Duration
	anonMax    int64 // KiB
	handshakes int64 // at the fake, during this target's rounds
	connsMax   int64 // connections open at the fake, peak
}

func (r caseResult) rate() float64 { return float64(r.ok) / r.elapsed.Seconds() }

// cpuPer is the proxy's CPU time per request it completed.
func (r caseResult) cpuPer() time.Duration {
	if r.ok == 0 {
		return 0
	}
	return r.cpu / time.Duration(r.ok)
}

func msf(d time.Duration) float64 { return float64(d) / 1e6 }

// client is the load generator's: HTTP/1.1 to the proxies (as Claude
// Code and the SDKs talk to a local base URL), HTTP/2 over TLS to the fake
// when it serves TLS, trusting only its certificate.
func (h *harnessRun) client(conc, targets int) (*http.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConns: 2 * conc * targets, MaxIdleConnsPerHost: conc, IdleConnTimeout: time.Minute}
	if h.roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: h.roots}
		tr.ForceAttemptHTTP2 = true
	}
	return &http.Client{Transport: tr, Timeout: time.Minute}, tr
}

// runCase runs the rounds of every target at concurrency conc, rotating
// which target goes first, and returns their results in the order of
// targets, latencies sorted.
func (h *harnessRun) runCase(t *testing.T, targets []harnessTarget, conc int, body string) []caseResult {
	c, tr := h.client(conc, len(targets))
	defer tr.CloseIdleConnections()
	for _, tg := range targets { // warm connections
		runRound(c, tg.base, h.key, conc, body, h.o.warm)
	}
	res := make([]caseResult, len(targets))
	for r := range h.o.rounds {
		for j := range targets {
			i := (j + r) % len(targets) // rotate which goes first
			tg := targets[i]
			var pids []int
			if tg.pids != nil {
				pids = tg.pids()
			}
			done := make(chan struct{})
			type peaks struct{ anon, conns int64 }
			sampled := make(chan peaks, 1)
			go func() {
				var pk peaks
				tk := time.NewTicker(100 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-done:
						sampled <- pk
						return
					case <-tk.C:
						if pids != nil {
							pk.anon = max(pk.anon, readProcs(t, pids).rssAnon)
						}
						_, open, _ := h.fake.TLSStats()
						pk.conns = max(pk.conns, open)
					}
				}
			}()
			hs0, _, _ := h.fake.TLSStats()
			before := readProcs(t, pids)
			rr := runRound(c, tg.base, h.key, conc, body, h.o.round)
			after := readProcs(t, pids)
			hs1, open, _ := h.fake.TLSStats()
			close(done)
			pk := <-sampled
			res[i].cpu += after.cpu - before.cpu
			res[i].anonMax = max(res[i].anonMax, pk.anon, after.rssAnon)
			res[i].handshakes += hs1 - hs0
			res[i].connsMax = max(res[i].connsMax, pk.conns, open)
			res[i].ok += rr.ok
			res[i].errs += rr.errs
			res[i].elapsed += rr.elapsed
			res[i].lat = append(res[i].lat, rr.lat...)
			res[i].ttfb = append(res[i].ttfb, rr.ttfb...)
			if res[i].firstErr == "" {
				res[i].firstErr = rr.firstErr
			}
		}
	}
	for i := range res {
		slices.Sort(res[i].lat)
		slices.Sort(res[i].ttfb)
	}
	return res
}
