package proxy_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The benchmarks compare one client calling the fake API directly with the
// same client calling it through Sluice; the difference is what Sluice adds.
// Numbers and the commands that made them are in docs/BENCHMARKS.md.

const (
	benchJSONBody   = `{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[{"role":"user","content":"Hello"}]}`
	benchStreamBody = `{"model":"claude-sonnet-4-5","max_tokens":256,"stream":true,"messages":[{"role":"user","content":"Hello"}]}`
	// benchChunks text deltas make a 20-event stream: message_start,
	// content_block_start, 15 deltas, content_block_stop, message_delta,
	// message_stop.
	benchChunks = 15
)

// newBenchEnv is newEnv (real journal, real file keyring, served on
// loopback, in front of a fresh fake API sending benchChunks deltas) with
// one API-key account, wired for measuring: the real clock rather than the
// test clock, a discarded log as at the command line's default level, and,
// when transport is set, that upstream transport instead of the network.
// Credentials come from the keyring through vault.Store, as cli/engine.go
// wires it.
func newBenchEnv(tb testing.TB, transport http.RoundTripper) *env {
	tb.Helper()
	e := newEnv(tb, func(_ *proxy.Config, d *proxy.Deps) {
		d.Logger = slog.New(slog.DiscardHandler)
		d.Now = nil // time.Now
		d.Transport = transport
	})
	e.fake.Chunks = benchChunks
	e.addKey("bench", accountKey)
	return e
}

// benchClient is a keep-alive client over loopback, with enough idle
// connections that parallel benchmarks never redial.
func benchClient(tb testing.TB) *http.Client {
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// call sends one request and reads the whole answer; it returns how many
// body bytes arrived, or an error for anything but a 200.
func call(c *http.Client, url, key, body string) (int64, error) {
	req, err := http.NewRequest(http.MethodPost, url+"/v1/messages", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("X-Api-Key", key)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, &statusError{resp.StatusCode}
	}
	return n, nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.code) }

// benchCase is one kind of request measured both ways.
type benchCase struct {
	name string
	body string
}

var benchCases = []benchCase{{"json", benchJSONBody}, {"stream", benchStreamBody}}

// BenchmarkDirect is the baseline: the client calls the fake API itself.
func BenchmarkDirect(b *testing.B) {
	for _, bc := range benchCases {
		target := func(b *testing.B) (string, string) {
			fake := fakeapi.New(b)
			fake.Chunks = benchChunks
			return fake.URL, accountKey
		}
		b.Run(bc.name, func(b *testing.B) { runSerial(b, bc.body, target) })
		b.Run(bc.name+"-parallel", func(b *testing.B) { runParallel(b, bc.body, target) })
	}
}

// BenchmarkViaSluice is the same client calling the fake API through Sluice
// served over loopback HTTP, wired as the command line wires it.
func BenchmarkViaSluice(b *testing.B) {
	for _, bc := range benchCases {
		target := func(b *testing.B) (string, string) {
			e := newBenchEnv(b, nil)
			return e.srv.URL, e.key
		}
		b.Run(bc.name, func(b *testing.B) { runSerial(b, bc.body, target) })
		b.Run(bc.name+"-parallel", func(b *testing.B) { runParallel(b, bc.body, target) })
	}
}

// expectLen makes one direct call to learn the answer's exact size: every
// measured answer must have it, so a proxy that truncates or mangles the
// body fails the benchmark instead of looking fast.
func expectLen(b *testing.B, body string) int64 {
	b.Helper()
	fake := fakeapi.New(b)
	fake.Chunks = benchChunks
	n, err := call(benchClient(b), fake.URL, accountKey, body)
	if err != nil {
		b.Fatalf("reference call: %v", err)
	}
	return n
}

func runSerial(b *testing.B, body string, target func(*testing.B) (string, string)) {
	want := expectLen(b, body)
	url, key := target(b)
	c := benchClient(b)
	if _, err := call(c, url, key, body); err != nil { // open the connections
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		n, err := call(c, url, key, body)
		lat = append(lat, time.Since(start))
		if err != nil || n != want {
			b.Fatalf("got %d bytes, err %v; want %d bytes", n, err, want)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// runParallel runs 8 requests in flight per CPU, as concurrent sessions do.
func runParallel(b *testing.B, body string, target func(*testing.B) (string, string)) {
	want := expectLen(b, body)
	url, key := target(b)
	c := benchClient(b)
	var mu sync.Mutex
	var all []time.Duration
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		lat := make([]time.Duration, 0, 1024)
		for pb.Next() {
			start := time.Now()
			n, err := call(c, url, key, body)
			lat = append(lat, time.Since(start))
			if err != nil || n != want {
				b.Errorf("got %d bytes, err %v; want %d bytes", n, err, want)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatency(b, all)
}

// reportLatency adds the p50 and p99 of the per-request latencies.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 50))/1e3, "p50-µs")
	b.ReportMetric(float64(percentile(lat, 99))/1e3, "p99-µs")
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// BenchmarkHandler measures the proxy alone: Service.Handler() is called
// in the benchmark goroutine with an in-memory request and response writer,
// and the upstream is an in-memory transport replaying an answer recorded
// from the fake API, one event per read as a network would deliver it.
// What remains is the engine's own work per request: guards, account pick,
// credential lookup, header rewrite, relay, usage metering, the journal
// record and its SQLite insert (the async writer runs in another goroutine,
// but the allocation count is process-wide so it is included). The
// "fixture" case runs only the request and replay plumbing; subtract it.
func BenchmarkHandler(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) { benchHandler(b, bc.body) })
	}
	b.Run("fixture", func(b *testing.B) {
		rp := recordAnswer(b, benchStreamBody)
		runHandler(b, nil, "", benchStreamBody, rp)
	})
}

func benchHandler(b *testing.B, body string) {
	rp := recordAnswer(b, body)
	e := newBenchEnv(b, rp)
	runHandler(b, e.svc.Handler(), e.key, body, rp)
	// Every request must have left a record; records the bounded
	// queue dropped would be work missing from the figures. Closing the
	// service flushes them (the journal stays open until cleanup).
	if err := e.svc.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(int64(b.N)+1-journalTotal(b, e))/float64(b.N), "dropped-records/op")
}

// runHandler serves b.N requests to h in this goroutine (h nil: only build
// the request and drain the replayed answer). One untimed request warms up.
func runHandler(b *testing.B, h http.Handler, key, body string, rp *replay) {
	tmpl := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8788/v1/messages", nil)
	tmpl.Header.Set("Content-Type", "application/json")
	tmpl.Header.Set("Anthropic-Version", "2023-06-01")
	tmpl.Header.Set("X-Api-Key", key)
	raw := []byte(body)
	w := &sinkWriter{h: http.Header{}}
	serve := func() {
		r := *tmpl
		br := &bodyReader{}
		br.Reset(raw)
		r.Body = br
		clear(w.h)
		w.n, w.status = 0, 0
		if h != nil {
			h.ServeHTTP(w, &r)
			return
		}
		resp, _ := rp.RoundTrip(&r)
		n, _ := io.Copy(io.Discard, resp.Body)
		w.n, w.status = n, resp.StatusCode
	}
	serve()
	if w.status != http.StatusOK || w.n != int64(len(rp.body)) {
		b.Fatalf("warm-up: status %d, %d bytes; want 200, %d bytes", w.status, w.n, len(rp.body))
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		serve()
		lat = append(lat, time.Since(start))
		if w.status != http.StatusOK || w.n != int64(len(rp.body)) {
			b.Fatalf("status %d, %d bytes; want 200, %d bytes", w.status, w.n, len(rp.body))
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// bodyReader is a request body in one allocation.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// sinkWriter is a flushable ResponseWriter that counts what it is given.
type sinkWriter struct {
	h      http.Header
	status int
	n      int64
}

func (w *sinkWriter) Header() http.Header { return w.h }
func (w *sinkWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *sinkWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += int64(len(p))
	return len(p), nil
}
func (w *sinkWriter) Flush() {}

// replay is an upstream in memory: it answers every request with one
// answer recorded from the fake API.
type replay struct {
	status int
	header http.Header
	body   []byte
}

// recordAnswer asks a fake API once and keeps its answer.
func recordAnswer(b *testing.B, body string) *replay {
	b.Helper()
	fake := fakeapi.New(b)
	fake.Chunks = benchChunks
	req, err := http.NewRequest(http.MethodPost, fake.URL+"/v1/messages", strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("X-Api-Key", accountKey)
	resp, err := benchClient(b).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("record answer: status %d, err %v", resp.StatusCode, err)
	}
	return &replay{status: resp.StatusCode, header: resp.Header.Clone(), body: raw}
}

// RoundTrip answers from memory. The header map is shared between
// answers: the proxy only reads an upstream's header.
func (rp *replay) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: rp.status, Header: rp.header, Request: r,
		Body: &eventReader{rest: rp.body}, ContentLength: -1,
	}, nil
}

// eventReader hands out its text one server-sent event (up to a blank
// line) per Read, so the relay copies and flushes event by event as it does
// off a real connection. A JSON answer has no blank line: one Read.
type eventReader struct{ rest []byte }

func (r *eventReader) Read(p []byte) (int, error) {
	if len(r.rest) == 0 {
		return 0, io.EOF
	}
	end := len(r.rest)
	if i := bytes.Index(r.rest, []byte("\n\n")); i >= 0 {
		end = i + 2
	}
	n := copy(p, r.rest[:end])
	r.rest = r.rest[n:]
	return n, nil
}

func (*eventReader) Close() error { return nil }
