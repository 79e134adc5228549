package proxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// withTransport gives the engine its own upstream transport.
func withTransport(rt http.RoundTripper) envOption {
	return func(_ *proxy.Config, d *proxy.Deps) { d.Transport = rt }
}

// withUpstream points the engine at another upstream than its fake.
func withUpstream(url string) envOption {
	return withConfig(func(c *proxy.Config) { c.Upstream = url })
}

// misbehaving is an upstream that reads each request in full, counts it,
// and then does what then says instead of answering.
type misbehaving struct {
	*httptest.Server
	requests atomic.Int64
}

func newMisbehaving(t *testing.T, then func(w http.ResponseWriter, r *http.Request)) *misbehaving {
	t.Helper()
	m := &misbehaving{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		m.requests.Add(1)
		then(w, r)
	}))
	t.Cleanup(m.Close)
	return m
}

// resetConn hijacks the connection and closes it with an RST (linger 0).
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// lastRecord waits for the journal to hold n records and returns the last.
func lastRecord(t *testing.T, e *env, n int) journal.Record {
	t.Helper()
	var recs []journal.Record
	testkit.WaitFor(t, "journal records", func() bool {
		var err error
		recs, err = e.db.Records(context.Background(), journal.Query{})
		return err == nil && len(recs) >= n
	})
	return recs[0]
}

// anthropicError decodes an error answer, failing unless it has the API's shape.
func anthropicError(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var body struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if body.Type != "error" || body.Error.Type == "" || body.Error.Message == "" {
		t.Fatalf("error body not in Anthropic's shape: %+v", body)
	}
	return body.Error.Type
}

func TestStallAfterRequestSentIsNotReplayed(t *testing.T) {
	release := make(chan struct{})
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before up.Close
	tr := &http.Transport{ResponseHeaderTimeout: 300 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	e := newEnv(t, withUpstream(up.URL), withStrategy("priority"), withTransport(tr))
	threeAccounts(e)

	resp := e.do("POST", "/v1/messages", `{"model":"m","max_tokens":1,"messages":[]}`, nil)
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	if typ := anthropicError(t, resp); typ != "api_error" {
		t.Errorf("error type %q", typ)
	}
	if n := up.requests.Load(); n != 1 {
		t.Fatalf("upstream received %d requests, want exactly 1: a sent request was replayed", n)
	}
	rec := lastRecord(t, e, 1)
	if rec.Status != http.StatusGatewayTimeout || !strings.Contains(string(rec.Error), "timed out after the request was sent") {
		t.Errorf("journal: status %d error %q", rec.Status, rec.Error)
	}
}

func TestResetAfterRequestSentIsNotReplayed(t *testing.T) {
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) { resetConn(t, w) })
	e := newEnv(t, withUpstream(up.URL), withStrategy("priority"))
	threeAccounts(e)

	resp := e.do("POST", "/v1/messages", `{"model":"m","max_tokens":1,"messages":[]}`, nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	anthropicError(t, resp)
	if n := up.requests.Load(); n != 1 {
		t.Fatalf("upstream received %d requests, want exactly 1: a sent request was replayed", n)
	}
	rec := lastRecord(t, e, 1)
	if rec.Status != http.StatusBadGateway || !strings.Contains(string(rec.Error), "lost after the request was sent") {
		t.Errorf("journal: status %d error %q", rec.Status, rec.Error)
	}
}

func TestRefusedDialRetriedOnNextAccount(t *testing.T) {
	fake := fakeapi.New(t)
	// A port nobody listens on: the first dial is refused for real.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	_ = l.Close()
	var dials atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			addr = dead
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	e := newEnvAt(t, t.TempDir(), fake, withStrategy("priority"), withTransport(tr))
	threeAccounts(e)

	resp := e.do("POST", "/v1/messages", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d (%s), want 200 after retrying the refused dial", resp.StatusCode, body)
	}
	if dials.Load() < 2 {
		t.Fatalf("%d dials: the refused one was not retried", dials.Load())
	}
	got := received(fake)
	if got[keyA] != 0 || got[keyB] != 1 || len(fake.Received()) != 1 {
		t.Fatalf("upstream received %v, want exactly one request, on account b", got)
	}
	if rec := lastRecord(t, e, 1); rec.Attempts != 2 || rec.Status != http.StatusOK {
		t.Errorf("journal: attempts %d status %d, want 2 and 200", rec.Attempts, rec.Status)
	}
}
