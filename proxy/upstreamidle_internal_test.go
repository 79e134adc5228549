package proxy

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// tenMinutes is the pause after which the first request must still find
// its upstream connection open.
const tenMinutes = 10 * time.Minute

// scaled is p with every duration multiplied by f: the settable idle knob
// that lets a test live through "10 minutes" in seconds. Ping timeouts are
// kept at 1 s or more, so a loaded machine's scheduling delay is not read
// as a dead connection.
func (p idlePolicy) scaled(f float64) idlePolicy {
	m := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return idlePolicy{idleConn: m(p.idleConn), pingAfter: m(p.pingAfter), pingTimeout: max(m(p.pingTimeout), time.Second)}
}

// tlsFake is the fake API over TLS with HTTP/2, and a transport built by
// newTransport that trusts it through a CA file, with idle policy p.
func tlsFake(t testing.TB, p idlePolicy) (*fakeapi.Server, *http.Transport) {
	fake := fakeapi.NewUnstarted()
	fake.StartTLS()
	t.Cleanup(fake.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := fake.WriteCAFile(ca); err != nil {
		t.Fatal(err)
	}
	tr, err := newTransport(ca, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return fake, tr
}

// firstByte sends one small Messages request and returns the time to its
// first body byte and the protocol it went over.
func firstByte(t testing.TB, tr *http.Transport, base string) (time.Duration, string) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/messages",
		strings.NewReader(`{"max_tokens":16,"messages":[{"role":"user","content":"hi"}],"model":"claude-sonnet-4-5"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Api-Key", "sk-ant-api03-idle")
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b [1]byte
	if _, err := io.ReadFull(resp.Body, b[:]); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	ttfb := time.Since(start)
	_, _ = io.Copy(io.Discard, resp.Body)
	return ttfb, resp.Proto
}

// After a pause of ten minutes (scaled: the policy's durations and the
// pause shrink alike) the first request goes over the connection the last
// one used: no new TLS handshake, while HTTP/2 PINGs checked it meanwhile.
// With the transport's former 90 s idle timeout it fails: the connection
// was closed at "90 s" and the request pays a handshake.
func TestUpstreamConnectionOutlivesTenIdleMinutes(t *testing.T) {
	f := 1.0 / 200 // ten minutes in 3 s
	fake, tr := tlsFake(t, upstreamIdle().scaled(f))
	if _, proto := firstByte(t, tr, fake.URL); proto != "HTTP/2.0" {
		t.Fatalf("upstream request over %s, want HTTP/2.0", proto)
	}
	h0, open0, acc0 := fake.TLSStats()
	if h0 != 1 || open0 != 1 || acc0 != 1 {
		t.Fatalf("after the first request: %d handshakes, %d open, %d accepted; want 1, 1, 1", h0, open0, acc0)
	}
	time.Sleep(time.Duration(float64(tenMinutes) * f)) // the pause under test, not a wait on a condition
	firstByte(t, tr, fake.URL)
	if h, open, acc := fake.TLSStats(); h != 1 || open != 1 || acc != 1 {
		t.Fatalf("first request after ten idle minutes: %d handshakes, %d open, %d accepted in all; want the first connection reused (1, 1, 1)", h, open, acc)
	}
}

// A CA file that cannot be read, or holds no certificate, stops the
// engine from starting instead of silently trusting only the system.
func TestUpstreamCAFileMustHoldACertificate(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing.pem"), empty} {
		if _, err := newTransport(p, upstreamIdle()); err == nil {
			t.Errorf("newTransport(%s): no error", filepath.Base(p))
		}
	}
}

// BenchmarkFirstRequestAfterIdle is the first byte of the first request
// after a scaled ten-minute pause, against the fake over TLS + HTTP/2:
// "90s" is the former policy (connection closed meanwhile: a new TCP and
// TLS handshake), "kept" today's. The pause is not timed.
//
//	go test -run '^$' -bench FirstRequestAfterIdle -benchtime 20x ./proxy/
func BenchmarkFirstRequestAfterIdle(b *testing.B) {
	f := 1.0 / 1200 // ten minutes in 0.5 s
	former := upstreamIdle()
	former.idleConn = 90 * time.Second
	for _, c := range []struct {
		name string
		p    idlePolicy
	}{{"90s", former}, {"kept", upstreamIdle()}} {
		b.Run(c.name, func(b *testing.B) {
			fake, tr := tlsFake(b, c.p.scaled(f))
			firstByte(b, tr, fake.URL)
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				time.Sleep(time.Duration(float64(tenMinutes) * f))
				b.StartTimer()
				d, _ := firstByte(b, tr, fake.URL)
				total += d
			}
			h, _, _ := fake.TLSStats()
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs-first-byte")
			b.ReportMetric(float64(h-1)/float64(b.N), "handshakes/op")
		})
	}
}
