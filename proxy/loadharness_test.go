package proxy_test

import (
	"bufio"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The ratio harness: the fake API and the load generator run in this
// process, a real engine (journal on, file keyring, StartProxy) in a child
// process, so its CPU time and memory can be read from /proc apart from
// theirs. Rounds alternate "direct" (client -> fake), "through"
// (client -> Sluice -> fake) and nginx when installed; on a shared machine
// the ratio of interleaved rounds is the honest figure, not the absolute
// rates. The full run (`make bench-load`, loadratios_test.go) is
//
//	go test -tags loadharness -run TestLoadRatios -v -timeout 30m ./proxy/
//
// and TestLoadHarnessShort runs one short case of each upstream mode in
// every `go test ./...`, so the harness cannot rot unseen: it fails on any
// error, an empty case, a ratio that is not a finite number, or a journal
// record dropped. It asserts nothing about speed.
var (
	harnessRound    = flag.Duration("harness.round", 3*time.Second, "length of one round")
	harnessRounds   = flag.Int("harness.rounds", 3, "direct/through round pairs per case")
	harnessCPUProf  = flag.String("harness.cpuprofile", "", "write the engine's CPU profile here")
	harnessMemProf  = flag.String("harness.memprofile", "", "write the engine's allocs profile here")
	harnessSlow     = flag.Int("harness.slow", 1000, "concurrent slow streams held open at the end (0: none)")
	harnessGOGC     = flag.Int("harness.gogc", 0, "the engine's GOGC (0: the runtime's default, as `sluice serve` runs)")
	harnessEnv      = flag.String("harness.env", "", "more of the engine child's environment, comma-separated K=V (e.g. GOMEMLIMIT=24MiB,GODEBUG=gctrace=1); the harness process keeps its own")
	harnessCases    = flag.String("harness.cases", "json/1,stream/1,json/32,stream/32,json/256,stream/256", "mode/concurrency list")
	harnessUpstream = flag.String("harness.upstream", "plain,tls", "upstream modes: plain (HTTP/1.1) and/or tls (TLS + HTTP/2, the real API's)")
	harnessOrder    = flag.String("harness.order", "sdk", "request keys' order: sdk (max_tokens, messages, model, as the official Python SDK) or model-first")
	harnessUnified  = flag.Bool("harness.unified", false, "answer with a subscription's unified 5h/7d headers, the 5-hour window rising per request (what the quota ledger and pace follow)")
)

const harnessChildEnv = "SLUICE_HARNESS_ENGINE_DIR"

// harnessOpts is one harness run.
type harnessOpts struct {
	test       string   // the test that runs as the engine child
	cases      []string // mode/concurrency, e.g. json/1
	round      time.Duration
	rounds     int
	warm       time.Duration // warm-up round per target and case
	slow       int           // slow streams at the end (0: none)
	tls        bool          // the fake over TLS + HTTP/2, trusted through UpstreamCAFile
	nginx      bool          // nginx in the same rounds, when installed
	modelFirst bool          // "model" as the body's first key instead of the SDK's order
	peak       string        // path prefix of the engine's snapshots at the slow streams' peak ("": none)
	bare       bool          // the bare Go proxy (bareharness_test.go) in the same rounds
	bareSlow   bool          // and through the slow streams after Sluice's (with bare)
}

// harnessBody is a ~20 KB Messages request, as a coding agent sends, with
// its keys in the order the official Python SDK sends them (model after
// the messages) unless modelFirst.
func harnessBody(stream, modelFirst bool) string {
	msgs := fmt.Sprintf(`"messages":[{"role":"user","content":%q}]`, strings.Repeat("lorem ipsum dolor sit amet ", 20<<10/27))
	if modelFirst {
		return fmt.Sprintf(`{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":%v,%s}`, stream, msgs)
	}
	return fmt.Sprintf(`{"max_tokens":1024,%s,"model":"claude-sonnet-4-5","stream":%v}`, msgs, stream)
}

// harnessChildRuntime applies the GOGC the harness asks of a child (the
// engine's or the bare proxy's) and starts its CPU profile if asked.
func harnessChildRuntime(t *testing.T) {
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
}

// harnessEngine serves until its stdin closes (writing the peak snapshots
// asked for on it meanwhile), then writes its profiles
// and the journal records it dropped.
func harnessEngine(t *testing.T, dir string) {
	switch {
	case os.Getenv("SLUICE_HARNESS_PEAKPROFILE") != "":
		runtime.MemProfileRate = 4 << 10 // a stream's buffers are a few KiB; the default samples one in 512 KiB
	case os.Getenv("SLUICE_HARNESS_MEMPROFILE") == "":
		// As in the sluice binary, which links no runtime.MemProfile, so
		// its linker turns memory profiling off; a test binary samples
		// every 512 KiB and keeps ~1.4 MiB of profile buckets by 32
		// streams, which RssAnon would count against the engine.
		runtime.MemProfileRate = 0
	}
	if os.Getenv(harnessBareEnv) != "" {
		harnessBare(t)
		return
	}
	harnessChildRuntime(t)
	cfg := proxy.Config{Version: "harness", UpstreamCAFile: os.Getenv("SLUICE_HARNESS_CA")}
	var watch *memWatch
	if os.Getenv("SLUICE_HARNESS_MEMWATCH") == "true" {
		watch = startMemWatch()
	}
	svc := startChildEngine(t, dir, cfg, loadAccounts...)
	harnessEngineControl(os.Stdin) // snapshots the harness asks for, until stdin closes
	if watch != nil {
		fmt.Println(watch.report())
	}
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

// TestLoadHarnessShort runs the harness for a few seconds, over plain HTTP
// and over TLS + HTTP/2, and fails if it measured nothing or measured
// failures. Correctness only: no figure is compared with a goal.
func TestLoadHarnessShort(t *testing.T) {
	if dir := os.Getenv(harnessChildEnv); dir != "" {
		harnessEngine(t, dir)
		return
	}
	// The bare Go proxy is in every round of both modes; its slow streams
	// (2 s) run over plain HTTP only, to keep this short.
	for _, tls := range []bool{false, true} {
		peak := filepath.Join(t.TempDir(), "peak")
		o := harnessOpts{test: "TestLoadHarnessShort", cases: []string{"json/1", "stream/8"},
			round: 300 * time.Millisecond, rounds: 1, warm: 100 * time.Millisecond, slow: 20, tls: tls, peak: peak,
			bare: *harnessBareFlag, bareSlow: !tls}
		report, problems := runHarness(t, o)
		t.Logf("tls=%v:\n%s", tls, report)
		for _, p := range problems {
			t.Errorf("tls=%v: %s", tls, p)
		}
		if tls {
			peak += "-tls"
		}
		if *harnessBareFlag && !strings.Contains(report, "Sluice ÷ bare Go") {
			t.Errorf("tls=%v: no bare Go proxy beside Sluice in the report", tls)
		}
		if !strings.Contains(report, "runtime/metrics at the peak") {
			t.Errorf("tls=%v: no runtime/metrics from the peak snapshot in the report", tls)
		}
		for _, f := range []string{".heap", ".goroutine", ".base.heap"} {
			if st, err := os.Stat(peak + f); err != nil || st.Size() == 0 {
				t.Errorf("tls=%v: peak profile %s: %v", tls, f, err)
			}
		}
	}
}

// harnessRun is what the engine child and the fake are, for one run.
type harnessRun struct {
	o     harnessOpts
	fake  *fakeapi.Server
	pid   int
	addr  string
	key   string
	roots *x509.CertPool // the fake's certificate, for the direct client (tls)
	ca    string         // the same as a PEM file, for the engine and nginx (tls)
	ctl   io.Writer      // the child's stdin: peak snapshot requests
	bare  *bareChild     // the bare Go proxy child (nil: not in this run)
}

// runHarness starts a fake and an engine child, runs every case and the
// slow streams, and returns the report and what makes the run invalid.
func runHarness(t *testing.T, o harnessOpts) (string, []string) {
	fake := fakeapi.NewUnstarted()
	fake.Chunks = 20
	fake.Forget = true
	fake.LoadLimits = true
	var ca string
	if o.tls {
		fake.StartTLS()
		ca = filepath.Join(t.TempDir(), "fake-ca.pem")
		if err := fake.WriteCAFile(ca); err != nil {
			t.Fatal(err)
		}
	} else {
		fake.Start()
	}
	defer fake.Close()
	if *harnessUnified {
		// A fixed reset: one that moved with the clock would read as a
		// new window every few minutes.
		reset := time.Now().Add(4 * time.Hour)
		for _, k := range loadAccounts {
			fake.Script(k, fakeapi.Behavior{Unified: true, Utilization: 0.1, UtilizationStep: 1e-6, ResetAt: reset})
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+o.test+"$")
	cmd.Env = append(os.Environ(), harnessChildEnv+"="+t.TempDir(), "SLUICE_TEST_UPSTREAM="+fake.URL,
		"SLUICE_HARNESS_CA="+ca, "SLUICE_HARNESS_CPUPROFILE="+*harnessCPUProf,
		"SLUICE_HARNESS_MEMPROFILE="+*harnessMemProf, "SLUICE_HARNESS_GOGC="+strconv.Itoa(*harnessGOGC),
		"SLUICE_HARNESS_PEAKPROFILE="+o.peak, "SLUICE_HARNESS_MEMWATCH="+strconv.FormatBool(*harnessMemWatch))
	if *harnessEnv != "" {
		cmd.Env = append(cmd.Env, strings.Split(*harnessEnv, ",")...) // later entries win
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	h := &harnessRun{o: o, fake: fake, pid: cmd.Process.Pid, ca: ca, ctl: stdin}
	h.addr, h.key = readChildEngine(t, sc)
	if o.tls {
		h.roots = x509.NewCertPool()
		h.roots.AddCert(fake.Certificate())
	}
	if o.bare {
		h.bare = startBare(t, h)
	}
	var out strings.Builder
	var problems []string
	h.cases(t, &out, &problems)
	if o.slow > 0 {
		sluice := h.slowStreams(t, &out, &problems, slowTarget{name: "Sluice", base: "http://" + h.addr, pid: h.pid, peak: true})
		if h.bare != nil && o.bareSlow {
			bare := h.slowStreams(t, &out, &problems, slowTarget{name: "bare Go", base: "http://" + h.bare.addr, pid: h.bare.pid()})
			fmt.Fprintf(&out, "RssAnon per slow stream: Sluice %.0f KiB, bare Go %.0f KiB (Sluice − bare Go: %+.0f KiB)\n", sluice, bare, sluice-bare)
		}
	}
	end := readProc(t, h.pid)
	fmt.Fprintf(&out, "engine peak: VmHWM %.1f MiB; at end RssAnon %.1f MiB, RssFile %.1f MiB\n",
		float64(end.vmHWM)/1024, float64(end.rssAnon)/1024, float64(end.rssFile)/1024)
	if h.bare != nil {
		b := readProc(t, h.bare.pid())
		fmt.Fprintf(&out, "bare Go peak: VmHWM %.1f MiB; at end RssAnon %.1f MiB, RssFile %.1f MiB\n",
			float64(b.vmHWM)/1024, float64(b.rssAnon)/1024, float64(b.rssFile)/1024)
		if err := h.bare.stop(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	_ = stdin.Close()
	dropped := ""
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "DROPPED "); ok {
			dropped = d
		}
		if m, ok := strings.CutPrefix(sc.Text(), "MEMPEAK "); ok {
			fmt.Fprintf(&out, "engine memory at its highest RssAnon (-harness.memwatch): %s\n", m)
		}
	}
	_ = cmd.Wait()
	fmt.Fprintf(&out, "journal records dropped: %s\n", dropped)
	if dropped != "0" {
		problems = append(problems, fmt.Sprintf("journal records dropped: %q, want 0", dropped))
	}
	return out.String(), problems
}

// finite reports whether x is a number a table can show: not NaN, not
// infinite, above zero.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) && x > 0 }

// checkCase lists what makes one case's results invalid: an error, a
// target that completed nothing, a ratio that is not a finite number, a
// proxy whose CPU time did not move.
func checkCase(name string, targets []harnessTarget, res []caseResult) []string {
	var p []string
	for i, r := range res {
		tg := targets[i].name
		if r.errs > 0 {
			p = append(p, fmt.Sprintf("%s %s: %d errors (first: %s)", name, tg, r.errs, r.firstErr))
		}
		if r.ok == 0 {
			p = append(p, fmt.Sprintf("%s %s: no request completed", name, tg))
		}
		if ratio := r.rate() / res[0].rate(); !finite(ratio) {
			p = append(p, fmt.Sprintf("%s %s: ratio to direct %v", name, tg, ratio))
		}
		if targets[i].pids != nil && r.cpu <= 0 {
			p = append(p, fmt.Sprintf("%s %s: no CPU time measured", name, tg))
		}
	}
	return p
}
