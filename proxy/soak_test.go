//go:build soak

package proxy_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The soak runs mixed traffic (JSON and streams from 16 sessions) through
// a whole engine while faults are scripted in turn (5xx answers that are
// retried, 429s that fail over, streams cut mid-way) and the journal is
// pruned under load, and reports RSS, goroutines and open fds every
// interval. It fails if they grew. `make soak` runs it for 30 minutes:
//
//	go test -tags soak -run TestSoak -v -timeout 40m ./proxy/ -soak.duration 30m
var (
	soakDuration = flag.Duration("soak.duration", 30*time.Minute, "how long the soak runs")
	soakEvery    = flag.Duration("soak.every", time.Minute, "how often the soak reports")
)

// selfStats are the process's resources that must stay flat.
type selfStats struct {
	rss, anon  int64 // KiB
	goroutines int
	fds        int
}

func readSelf(t *testing.T) selfStats {
	var s selfStats
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rss = n
		case "RssAnon":
			s.anon = n
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	s.fds = len(fds)
	s.goroutines = runtime.NumGoroutine()
	return s
}

// soakFaults are scripted in turn on one account at a time.
var soakFaults = []fakeapi.Behavior{
	{Statuses: []int{500, 529}},                 // retried
	{Statuses: []int{429}, BareRateLimit: true}, // fails over, benched briefly
	{CutAfterFirstEvent: true},                  // streams cut mid-way
	{},
}

func TestSoak(t *testing.T) {
	e := newEnv(t, func(c *proxy.Config, d *proxy.Deps) {
		d.Logger = slog.New(slog.DiscardHandler)
		d.Now = nil // real time: benches must expire
		c.RetryDelay = 10 * time.Millisecond
	})
	e.fake.Chunks = benchChunks // loadCall checks the answer's usage
	e.fake.Delay = time.Millisecond
	e.fake.Forget = true
	for i, k := range loadAccounts {
		e.addKey(fmt.Sprintf("soak-%d", i+1), k)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	stop := make(chan struct{})
	var ok, failed atomic.Int64
	var whyMu sync.Mutex
	why := map[string]int{} // failures by their first words
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := loadCall(client, e.srv.URL, e.key, fmt.Sprint("soak-", w), rng.IntN(2) == 0); err != nil {
					failed.Add(1) // faults are scripted: some requests must fail
					k := err.Error()
					k = k[:min(len(k), 60)]
					whyMu.Lock()
					why[k]++
					whyMu.Unlock()
				} else {
					ok.Add(1)
				}
			}
		})
	}
	wg.Go(func() { // faults, one account at a time
		tk := time.NewTicker(2 * time.Second)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tk.C:
				e.fake.Script(loadAccounts[i%len(loadAccounts)], soakFaults[i%len(soakFaults)])
			}
		}
	})

	start := time.Now()
	var samples []selfStats
	tk := time.NewTicker(*soakEvery)
	defer tk.Stop()
	t.Logf("%8s %10s %8s %9s %9s %10s %4s", "elapsed", "ok", "failed", "RSS MiB", "anon MiB", "goroutines", "fds")
	for time.Since(start) < *soakDuration {
		<-tk.C
		// Cleanup under load, as the hourly retention does.
		if _, err := e.db.Prune(context.Background(), time.Now().Add(-*soakEvery/2)); err != nil {
			t.Errorf("prune under load: %v", err)
		}
		s := readSelf(t)
		samples = append(samples, s)
		t.Logf("%8s %10d %8d %9.1f %9.1f %10d %4d", time.Since(start).Round(time.Second), ok.Load(), failed.Load(),
			float64(s.rss)/1024, float64(s.anon)/1024, s.goroutines, s.fds)
	}
	close(stop)
	wg.Wait()
	// A stream cut mid-way cannot fail over (bytes reached the client):
	// those failures are the scripted fault itself. Any other failure (a
	// 5xx or 429 reaching the client, a broken connection) is a finding.
	const cut = "incomplete answer (no event: message_stop)"
	for k, n := range why {
		t.Logf("%8d failed: %s", n, k)
		if k != cut {
			t.Errorf("%d requests failed other than by a scripted cut stream: %s", n, k)
		}
	}
	if ok.Load() == 0 {
		t.Errorf("no request succeeded")
	}
	if len(samples) < 2 {
		t.Fatalf("only %d samples: run longer than two intervals", len(samples))
	}
	// The first sample is the warmed-up baseline; later ones must stay near it.
	base, last := samples[0], samples[len(samples)-1]
	if last.anon > base.anon+base.anon/2+8<<10 {
		t.Errorf("anonymous memory grew from %d to %d KiB", base.anon, last.anon)
	}
	if last.goroutines > base.goroutines+32 || last.fds > base.fds+32 {
		t.Errorf("goroutines %d -> %d, fds %d -> %d: something leaks", base.goroutines, last.goroutines, base.fds, last.fds)
	}
}
