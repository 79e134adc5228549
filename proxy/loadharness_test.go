//go:build loadharness

package proxy_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The ratio harness: the fake API and the load generator run in this
// process, a real engine (journal on, file keyring, StartProxy) in a child
// process, so its CPU time and memory can be read from /proc apart from
// theirs. Rounds alternate "direct" (client -> fake) and "through"
// (client -> Sluice -> fake); on a shared machine the ratio of interleaved
// rounds is the honest figure, not the absolute rates. Run with
//
//	go test -tags loadharness -run TestLoadRatios -v -timeout 15m ./proxy/
//
// -harness.round sets each round's length, -harness.rounds the pairs per
// case; -harness.cpuprofile/-harness.memprofile write the engine's profiles.
// The engine lives through every case, so memory is reported as it grows:
// cases run from the lightest to the heaviest.
var (
	harnessRound   = flag.Duration("harness.round", 3*time.Second, "length of one round")
	harnessRounds  = flag.Int("harness.rounds", 3, "direct/through round pairs per case")
	harnessCPUProf = flag.String("harness.cpuprofile", "", "write the engine's CPU profile here")
	harnessMemProf = flag.String("harness.memprofile", "", "write the engine's allocs profile here")
	harnessSlow    = flag.Int("harness.slow", 1000, "concurrent slow streams held open at the end (0: none)")
	harnessGOGC    = flag.Int("harness.gogc", 0, "the engine's GOGC (0: the runtime's default, as `sluice serve` runs)")
	harnessCases   = flag.String("harness.cases", "json/1,stream/1,json/32,stream/32,json/256,stream/256", "mode/concurrency list")
)

const harnessChildEnv = "SLUICE_HARNESS_ENGINE_DIR"

// harnessBody is a ~20 KB Messages request, as a coding agent sends.
func harnessBody(stream bool) string {
	return fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":%v,"messages":[{"role":"user","content":%q}]}`,
		stream, strings.Repeat("lorem ipsum dolor sit amet ", 20<<10/27))
}

// harnessEngine serves until its stdin closes, then writes its profiles.
func harnessEngine(t *testing.T, dir string) {
	if g, _ := strconv.Atoi(os.Getenv("SLUICE_HARNESS_GOGC")); g > 0 {
		debug.SetGCPercent(g)
	}
	if p := os.Getenv("SLUICE_HARNESS_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
	}
	svc := startChildEngine(t, dir, proxy.Config{Version: "harness"}, loadAccounts...)
	_, _ = io.Copy(io.Discard, os.Stdin)
	pprof.StopCPUProfile()
	if p := os.Getenv("SLUICE_HARNESS_MEMPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
	}
	fmt.Println("DROPPED", svc.Health().DroppedRecords)
	os.Exit(0)
}

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

func TestLoadRatios(t *testing.T) {
	if dir := os.Getenv(harnessChildEnv); dir != "" {
		harnessEngine(t, dir)
		return
	}
	fake := fakeapi.NewUnstarted()
	fake.Chunks = 20
	fake.Forget = true
	fake.Start()
	defer fake.Close()
	for _, k := range loadAccounts {
		fake.Script(k, fakeapi.Behavior{})
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadRatios$")
	cmd.Env = append(os.Environ(), harnessChildEnv+"="+t.TempDir(), "SLUICE_TEST_UPSTREAM="+fake.URL,
		"SLUICE_HARNESS_CPUPROFILE="+*harnessCPUProf, "SLUICE_HARNESS_MEMPROFILE="+*harnessMemProf,
		"SLUICE_HARNESS_GOGC="+strconv.Itoa(*harnessGOGC))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	addr, key := readChildEngine(t, sc)
	pid := cmd.Process.Pid
	idle := readProc(t, pid)

	// The proxies measured beside direct: Sluice, and nginx when installed.
	targets := []harnessTarget{
		{name: "direct", base: fake.URL},
		{name: "Sluice", base: "http://" + addr, pids: func() []int { return []int{pid} }},
	}
	var out strings.Builder
	if bin := nginxPath(); bin != "" {
		ng := startNginx(t, bin, fake.URL)
		targets = append(targets, harnessTarget{name: "nginx", base: "http://" + ng.addr, pids: func() []int { return ng.pids(t) }})
		fmt.Fprintf(&out, "nginx: %s, %d workers\n", bin, nginxWorkers)
	} else {
		fmt.Fprintf(&out, "nginx: not installed or SLUICE_NGINX=off, skipped (SLUICE_NGINX=PATH names one)\n")
	}
	fmt.Fprintf(&out, "engine idle: RssAnon %d KiB, RssFile %d KiB\n", idle.rssAnon, idle.rssFile)
	fmt.Fprintf(&out, "| case | direct req/s | through req/s | ratio | added p50 | p50 d/t | p90 d/t | p99 d/t | TTFB p50 d/t | errors d/t | CPU/req | RssAnon max | RssFile |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var ngOut strings.Builder
	for _, cs := range strings.Split(*harnessCases, ",") {
		if cs == "" {
			continue
		}
		mode, cstr, _ := strings.Cut(cs, "/")
		conc, _ := strconv.Atoi(cstr)
		res := runCase(t, targets, key, conc, harnessBody(mode == "stream"))
		for i := range res {
			if res[i].firstErr != "" {
				t.Logf("%s %s: first error: %s", cs, targets[i].name, res[i].firstErr)
			}
		}
		d, s := res[0], res[1]
		fmt.Fprintf(&out, "| %s c=%d | %.0f | %.0f | **%.2fx** | %+.2f ms | %.2f/%.2f | %.2f/%.2f | %.2f/%.2f | %.2f/%.2f | %d/%d | %d µs | %.1f MiB | %.1f MiB |\n",
			mode, conc, d.rate(), s.rate(), s.rate()/d.rate(), msf(pct(s.lat, 50)-pct(d.lat, 50)),
			msf(pct(d.lat, 50)), msf(pct(s.lat, 50)), msf(pct(d.lat, 90)), msf(pct(s.lat, 90)),
			msf(pct(d.lat, 99)), msf(pct(s.lat, 99)), msf(pct(d.ttfb, 50)), msf(pct(s.ttfb, 50)),
			d.errs, s.errs, s.cpuPer().Microseconds(), float64(s.anonMax)/1024, float64(readProc(t, pid).rssFile)/1024)
		if len(res) > 2 {
			n := res[2]
			fmt.Fprintf(&ngOut, "| %s c=%d | %.0f | **%.2fx** | %.2fx | %+.2f ms | %+.2f ms | %d | %d µs | %d µs | **%.2fx** | %.1f MiB | %.1f MiB |\n",
				mode, conc, n.rate(), n.rate()/d.rate(), s.rate()/d.rate(), msf(pct(n.lat, 50)-pct(d.lat, 50)),
				msf(pct(n.ttfb, 50)-pct(d.ttfb, 50)), n.errs, n.cpuPer().Microseconds(), s.cpuPer().Microseconds(),
				float64(s.cpuPer())/float64(max(n.cpuPer(), 1)), float64(n.anonMax)/1024, float64(s.anonMax)/1024)
		}
	}
	if ngOut.Len() > 0 {
		fmt.Fprintf(&out, "nginx in the same rounds (CPU and RssAnon: master + workers):\n")
		fmt.Fprintf(&out, "| case | nginx req/s | nginx ratio | Sluice ratio | nginx added p50 | nginx TTFB added | errors | nginx CPU/req | Sluice CPU/req | Sluice/nginx CPU | nginx RssAnon max | Sluice RssAnon max |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		out.WriteString(ngOut.String())
	}
	if *harnessSlow > 0 {
		slowStreams(t, &out, fake, "http://"+addr, key, pid, *harnessSlow)
	}
	end := readProc(t, pid)
	fmt.Fprintf(&out, "engine peak: VmHWM %.1f MiB; at end RssAnon %.1f MiB, RssFile %.1f MiB\n",
		float64(end.vmHWM)/1024, float64(end.rssAnon)/1024, float64(end.rssFile)/1024)
	_ = stdin.Close()
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "DROPPED "); ok {
			fmt.Fprintf(&out, "journal records dropped: %s\n", d)
		}
	}
	_ = cmd.Wait()
	fmt.Print(out.String())
}

// slowStreams holds n streams open at once through the engine (20 events,
// 100 ms apart: 2 s each) and reports the engine's memory per stream.
func slowStreams(t *testing.T, out *strings.Builder, fake *fakeapi.Server, base, key string, pid, n int) {
	for _, k := range loadAccounts {
		fake.Script(k, fakeapi.Behavior{Delay: 100 * time.Millisecond})
	}
	defer func() {
		for _, k := range loadAccounts {
			fake.Script(k, fakeapi.Behavior{})
		}
	}()
	before := readProc(t, pid) // after the earlier cases: the heap they grew is reused

	tr := &http.Transport{MaxIdleConnsPerHost: n}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	body := harnessBody(true)
	var errs atomic.Int64
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				peak.Store(max(peak.Load(), readProc(t, pid).rssAnon))
			}
		}
	}()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, _, err := harnessCall(c, base, key, fmt.Sprint("slow-", i), body); err != nil {
				if errs.Add(1) == 1 {
					t.Logf("slow stream: %v", err)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	per := float64(peak.Load()-before.rssAnon) / float64(n)
	fmt.Fprintf(out, "%d concurrent slow streams: %d errors; engine RssAnon %.1f -> peak %.1f MiB: %.0f KiB per stream\n",
		n, errs.Load(), float64(before.rssAnon)/1024, float64(peak.Load())/1024, per)
}

// harnessTarget is where one kind of round sends its requests: direct to
// the fake, or through a proxy whose processes (pids) are measured.
type harnessTarget struct {
	name string
	base string
	pids func() []int // nil for direct: nothing of ours to measure
}

// caseResult is one target's rounds of one case, with the proxy's CPU
// time and peak anonymous memory over its own rounds.
type caseResult struct {
	roundResult
	cpu     time.Duration
	anonMax int64 // KiB
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

// runCase runs -harness.rounds rounds against every target at concurrency
// conc, rotating which target goes first, and returns their results in
// the order of targets, latencies sorted.
func runCase(t *testing.T, targets []harnessTarget, key string, conc int, body string) []caseResult {
	tr := &http.Transport{MaxIdleConns: 2 * conc * len(targets), MaxIdleConnsPerHost: conc, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	for _, tg := range targets { // warm connections
		runRound(c, tg.base, key, conc, body, 500*time.Millisecond)
	}
	res := make([]caseResult, len(targets))
	for r := range *harnessRounds {
		for j := range targets {
			i := (j + r) % len(targets) // rotate which goes first
			tg := targets[i]
			var pids []int
			if tg.pids != nil {
				pids = tg.pids()
			}
			done := make(chan struct{})
			sampled := make(chan int64, 1)
			go func() {
				var peak int64
				tk := time.NewTicker(100 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-done:
						sampled <- peak
						return
					case <-tk.C:
						if pids != nil {
							peak = max(peak, readProcs(t, pids).rssAnon)
						}
					}
				}
			}()
			before := readProcs(t, pids)
			rr := runRound(c, tg.base, key, conc, body, *harnessRound)
			after := readProcs(t, pids)
			close(done)
			res[i].cpu += after.cpu - before.cpu
			res[i].anonMax = max(res[i].anonMax, <-sampled, after.rssAnon)
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
