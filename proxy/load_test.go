package proxy_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"
)

// The load harness drives a whole engine (real journal, real file keyring,
// loopback HTTP) in front of the fake API with many concurrent clients.
// TestLoadHarness is opt-in; TestLoadSmoke is its small always-on sibling.
var (
	loadFlag        = flag.Bool("load", false, "run TestLoadHarness (or set SLUICE_LOAD=1)")
	loadDuration    = flag.Duration("load.duration", 30*time.Second, "how long TestLoadHarness sends requests")
	loadConcurrency = flag.Int("load.concurrency", 64, "concurrent clients in TestLoadHarness")
	loadStream      = flag.Float64("load.stream", 0.5, "share of streamed requests (0..1) in TestLoadHarness")
)

// loadAccounts are the pooled accounts; each client is its own session so
// affinity spreads the clients over all three.
var loadAccounts = []string{
	"sk-ant-api03-LOADSECRET-account-one",
	"sk-ant-api03-LOADSECRET-account-two",
	"sk-ant-api03-LOADSECRET-account-three",
}

// loadConfig says how much load to send. Requests stop at whichever of
// Requests (total, 0: no cap) or Duration (0: none) comes first.
type loadConfig struct {
	Concurrency int
	Requests    int64
	Duration    time.Duration
	StreamShare float64
}

// loadResult is what a run measured.
type loadResult struct {
	Sent, Errors       int64
	FirstErrors        []string // up to 5, for the failure message
	Elapsed            time.Duration
	JSONLat, StreamLat []time.Duration
	TTFB               []time.Duration // streams: until the first body byte
}

// newLoadEnv is an engine with the three load accounts.
func newLoadEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.fake.Chunks = benchChunks
	for i, k := range loadAccounts {
		e.addKey(fmt.Sprintf("load-%d", i+1), k)
	}
	return e
}

// runLoad sends cfg's load to the engine and waits for every request. It
// only ever targets loopback: the harness must never load a real API.
func runLoad(t *testing.T, e *env, cfg loadConfig) loadResult {
	t.Helper()
	u, err := url.Parse(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		t.Fatalf("load target %s is not loopback", e.srv.URL)
	}
	tr := &http.Transport{MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency}
	defer tr.CloseIdleConnections()
	// The client timeout bounds a run even if the engine hangs.
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var stop time.Time
	if cfg.Duration > 0 {
		stop = time.Now().Add(cfg.Duration)
	}
	var tickets atomic.Int64
	var res loadResult
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for w := range cfg.Concurrency {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			session := fmt.Sprintf("load-session-%d", w)
			var jsonLat, streamLat, ttfb []time.Duration
			var errs []string
			for {
				if cfg.Requests > 0 && tickets.Add(1) > cfg.Requests {
					break
				}
				if !stop.IsZero() && time.Now().After(stop) {
					break
				}
				stream := rng.Float64() < cfg.StreamShare
				lat, first, err := loadCall(client, e.srv.URL, e.key, session, stream)
				switch {
				case err != nil:
					errs = append(errs, err.Error())
				case stream:
					streamLat, ttfb = append(streamLat, lat), append(ttfb, first)
				default:
					jsonLat = append(jsonLat, lat)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Sent += int64(len(jsonLat) + len(streamLat) + len(errs))
			res.Errors += int64(len(errs))
			res.JSONLat = append(res.JSONLat, jsonLat...)
			res.StreamLat = append(res.StreamLat, streamLat...)
			res.TTFB = append(res.TTFB, ttfb...)
			for _, e := range errs {
				if len(res.FirstErrors) < 5 {
					res.FirstErrors = append(res.FirstErrors, e)
				}
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// timedPost sends one /v1/messages request as a client session and reads
// the answer whole, timing its first byte and its end; a status other than
// 200 is an error.
func timedPost(c *http.Client, base, key, session, body string) (lat, ttfb time.Duration, rest []byte, err error) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages", strings.NewReader(body))
	if err != nil {
		return 0, 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("X-Claude-Code-Session-Id", session)
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, nil, err
	}
	defer resp.Body.Close()
	var first [1]byte
	if _, err := io.ReadFull(resp.Body, first[:]); err != nil {
		return 0, 0, nil, fmt.Errorf("status %d, no body: %w", resp.StatusCode, err)
	}
	ttfb = time.Since(start)
	rest, err = io.ReadAll(resp.Body)
	lat = time.Since(start)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("status %d, body cut: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, 0, nil, fmt.Errorf("status %d: %.200s", resp.StatusCode, append(first[:], rest...))
	}
	return lat, ttfb, rest, nil
}

// loadCall sends one request as a client session and checks the answer is
// whole: a JSON message with its usage, or a stream through message_stop.
func loadCall(c *http.Client, base, key, session string, stream bool) (lat, ttfb time.Duration, err error) {
	body := benchJSONBody
	if stream {
		body = benchStreamBody
	}
	lat, ttfb, rest, err := timedPost(c, base, key, session, body)
	if err != nil {
		return 0, 0, err
	}
	want := `"output_tokens":30`
	if stream {
		want = "event: message_stop"
	}
	if !strings.Contains(string(rest), want) {
		return 0, 0, fmt.Errorf("incomplete answer (no %s)", want)
	}
	return lat, ttfb, nil
}

// checkLoad fails t unless every request succeeded, the fake API received
// exactly one request per request sent (none lost, none doubled by a
// retry), the accounts shared them, and the journal has one record each.
func checkLoad(t *testing.T, e *env, res loadResult) {
	t.Helper()
	if res.Errors != 0 {
		t.Errorf("%d of %d requests failed; first: %q", res.Errors, res.Sent, res.FirstErrors)
	}
	if got := e.fake.Count(); got != res.Sent {
		t.Errorf("fake API received %d requests, clients sent %d", got, res.Sent)
	}
	served := e.fake.Served()
	var total int64
	for i, k := range loadAccounts {
		if served[k] == 0 {
			t.Errorf("account load-%d served no request; affinity should spread %d sessions over 3 accounts", i+1, len(served))
		}
		total += int64(served[k])
	}
	if total != res.Sent {
		t.Errorf("accounts served %d requests in all (%v), want %d", total, servedCounts(served), res.Sent)
	}
	// Closing the service flushes the journal writer (the journal itself
	// stays open until cleanup); then every request must be there.
	if err := e.svc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tot := journalTotal(t, e); tot != res.Sent {
		t.Errorf("journal holds %d records, want %d", tot, res.Sent)
	}
}

func servedCounts(m map[string]int) []int {
	out := make([]int, 0, len(loadAccounts))
	for _, k := range loadAccounts {
		out = append(out, m[k])
	}
	return out
}

// TestLoadSmoke is the harness at CI size: 600 requests, 50 at a time, a
// third streamed, over three accounts, under five seconds.
func TestLoadSmoke(t *testing.T) {
	e := newLoadEnv(t)
	res := runLoad(t, e, loadConfig{Concurrency: 50, Requests: 600, StreamShare: 1.0 / 3})
	if res.Sent != 600 {
		t.Fatalf("sent %d requests, want 600", res.Sent)
	}
	checkLoad(t, e, res)
	t.Logf("\n%s", loadTable(res))
}

// TestLoadHarness is the opt-in load run. The -load flags go after the
// package: before it, go test would take ./proxy/ as -load's value.
//
//	go test -run TestLoadHarness -v ./proxy/ -load
//	go test -run TestLoadHarness -v ./proxy/ -load -load.duration 10s -load.concurrency 16 -load.stream 1
func TestLoadHarness(t *testing.T) {
	if !*loadFlag && os.Getenv("SLUICE_LOAD") != "1" {
		t.Skip("load harness is opt-in: pass -load or set SLUICE_LOAD=1")
	}
	cfg := loadConfig{Concurrency: *loadConcurrency, Duration: *loadDuration, StreamShare: *loadStream}
	if cfg.Concurrency < 1 || cfg.Duration <= 0 || cfg.StreamShare < 0 || cfg.StreamShare > 1 {
		t.Fatalf("bad load settings %+v", cfg)
	}
	e := newLoadEnv(t)
	res := runLoad(t, e, cfg)
	t.Logf("concurrency %d, %s, %.0f%% streamed (%d events each), 3 accounts",
		cfg.Concurrency, cfg.Duration, cfg.StreamShare*100, benchChunks+5)
	t.Logf("\n%s", loadTable(res))
	checkLoad(t, e, res)
}

// loadTable renders a run's figures.
func loadTable(res loadResult) string {
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\trequests\terrors\treq/s\tp50\tp90\tp99\tmax\t\n")
	row := func(name string, lat []time.Duration, errs int64) {
		slices.Sort(lat)
		var top time.Duration
		if len(lat) > 0 {
			top = lat[len(lat)-1]
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t\n", name, len(lat)+int(errs), errs,
			float64(len(lat))/res.Elapsed.Seconds(),
			ms(percentile(lat, 50)), ms(percentile(lat, 90)), ms(percentile(lat, 99)), ms(top))
	}
	all := append(append([]time.Duration(nil), res.JSONLat...), res.StreamLat...)
	row("all", all, res.Errors)
	row("json", res.JSONLat, 0)
	row("stream", res.StreamLat, 0)
	row("stream TTFB", res.TTFB, 0)
	_ = tw.Flush()
	return sb.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

// journalTotal counts the records the engine journaled.
func journalTotal(t testing.TB, e *env) int64 {
	t.Helper()
	tot, err := e.db.Totals(context.Background(), "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return tot.Requests
}
