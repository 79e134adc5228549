package proxy_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

type apiError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// readError decodes an Anthropic-shaped error and checks its status.
func readError(t *testing.T, resp *http.Response, status int, typ string) apiError {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", body)
	}
	if e.Type != "error" || e.Error.Type != typ || e.Error.Message == "" {
		t.Fatalf("error shape %+v, want type %q", e, typ)
	}
	return e
}

func TestNoAccountIs503WithHowTo(t *testing.T) {
	e := newEnv(t)
	e2 := readError(t, e.do("POST", "/v1/messages", `{}`, nil), http.StatusServiceUnavailable, "overloaded_error")
	if !strings.Contains(e2.Error.Message, "sluice accounts add-key") {
		t.Errorf("message does not say how to add an account: %q", e2.Error.Message)
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Errorf("upstream called %d times with no account", n)
	}
}

func TestUpstreamUnreachableIs502(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Close() // nothing listens there any more
	readError(t, e.do("POST", "/v1/messages", `{}`, nil), http.StatusBadGateway, "api_error")
}

func TestMalformedRoutesAre404(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	for _, path := range []string{"/", "/v2/messages", "/v1/", "/v1//messages", "/index.html"} {
		readError(t, e.do("GET", path, "", nil), http.StatusNotFound, "not_found_error")
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Errorf("malformed routes reached the upstream %d times", n)
	}
}

func TestBodyLimitIs413(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.BodyLimit = 1024 }))
	e.addKey("work", accountKey)
	readError(t, e.do("POST", "/v1/messages", strings.Repeat("x", 2048), nil), http.StatusRequestEntityTooLarge, "request_too_large")
}

func TestTelemetryIsAnsweredNotForwarded(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	resp := e.do("POST", "/api/event_logging/batch", `{"events":[{"user":"me"}]}`, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("telemetry answered %d", resp.StatusCode)
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Fatalf("telemetry forwarded upstream under an account (%d requests)", n)
	}
	if strings.Contains(e.logs.String(), "level=WARN") || strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("telemetry produced noisy logs:\n%s", e.logs.String())
	}
}

func TestDNSRebindingAndCORSGuards(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.AllowedOrigins = []string{"http://localhost:3000"} }))
	e.addKey("work", accountKey)
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/messages", strings.NewReader(`{}`))
	req.Host = "evil.example:8788"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	readError(t, resp, http.StatusMisdirectedRequest, "permission_error")

	readError(t, e.do("POST", "/v1/messages", `{}`, map[string]string{"Origin": "https://evil.example"}), http.StatusForbidden, "permission_error")
	// An <img> or form GET from a web page carries no Origin, only Sec-Fetch-Site.
	readError(t, e.do("GET", "/v1/models", "", map[string]string{"Sec-Fetch-Site": "cross-site"}), http.StatusForbidden, "permission_error")

	resp = e.do("OPTIONS", "/v1/messages", "", map[string]string{"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Errorf("guarded requests reached the upstream %d times", n)
	}
}

func TestHealthReportsAccountsWithoutSecrets(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", accountKey)
	e.addKey("b", accountKey+"-2")
	if err := e.svc.PauseAccount(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	resp := e.do("GET", "/health", "", nil)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h proxy.Health
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.Version != "test" || h.UsableAccounts != 1 || h.Accounts != 2 {
		t.Errorf("health %+v", h)
	}
	if strings.Contains(string(body), "ACCOUNTSECRET") {
		t.Errorf("health leaks a key")
	}
}

// After traffic, the key must be nowhere in the data dir outside the
// keyring's encrypted items, nor in the logs, nor in `accounts` output.
func TestNoKeyInDatabaseOrLogs(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	for i := 0; i < 5; i++ {
		resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`, map[string]string{"x-api-key": e.key})
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	e.fake.Script(accountKey, fakeBehaviorStatuses(401))
	resp := e.do("POST", "/v1/messages", `{}`, map[string]string{"Authorization": "Bearer " + e.key})
	resp.Body.Close()
	views, err := e.svc.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(views)
	e.close() // flush the journal and the WAL
	e.grepDataDir(accountKey, "ACCOUNTSECRET", e.key)
	for _, s := range []string{"ACCOUNTSECRET", e.key} {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("log contains %s:\n%s", s, e.logs.String())
		}
		if strings.Contains(string(out), s) {
			t.Errorf("accounts view contains %s", s)
		}
	}
	recs := e.fake.Received()
	if len(recs) != 6 {
		t.Fatalf("upstream saw %d requests, want 6", len(recs))
	}
}

func TestGracefulStopLetsStreamsFinish(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Host = "127.0.0.1"; c.Port = 0 }))
	e.addKey("work", accountKey)
	e.fake.Pace = make(chan struct{})
	e.fake.Chunks = 2
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := e.svc.Addr()
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(`{"model":"m","stream":true}`))
	e.authorize(req)
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	stopped := make(chan error, 1)
	go func() { stopped <- e.svc.StopProxy(context.Background()) }()
	// The stream is mid-flight: the proxy must wait for it, while new
	// requests hear that it is off (the port stays bound).
	testkit.WaitFor(t, "the proxy answering as off", func() bool {
		c, err := http.Get("http://" + addr + "/health")
		if err != nil {
			return false
		}
		c.Body.Close()
		return c.StatusCode == http.StatusServiceUnavailable
	})
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case e.fake.Pace <- struct{}{}:
			case <-done:
				return
			}
		}
	}()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream cut by shutdown: %v", err)
	}
	if !strings.Contains(string(body), "message_stop") {
		t.Fatalf("stream did not finish:\n%s", body)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if e.svc.ProxyRunning() {
		t.Error("proxy still reports running")
	}
}

func TestPortInUse(t *testing.T) {
	e := newEnv(t)
	busy := strings.TrimPrefix(e.srv.URL, "http://")
	_, port, _ := strings.Cut(busy, ":")
	e2 := newEnv(t, withConfig(func(c *proxy.Config) { c.Port = atoi(t, port) }))
	events, stop := e2.svc.Subscribe()
	defer stop()
	err := e2.svc.StartProxy(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("StartProxy on a busy port: %v", err)
	}
	// The tray and the window show why the proxy is off: the Snapshot
	// carries the reason, and an event tells them to read it.
	snap, err := e2.svc.Snapshot(context.Background())
	if err != nil || !strings.Contains(snap.StartError, "already in use") || snap.ProxyRunning {
		t.Errorf("Snapshot after a failed start: running %v, StartError %q, %v", snap.ProxyRunning, snap.StartError, err)
	}
	select {
	case ev := <-events:
		if ev.Kind != api.EventProxyState || ev.Proxy == nil || ev.Proxy.Running || !strings.Contains(ev.Proxy.StartError, "already in use") {
			t.Errorf("event %+v after a failed start, want %v carrying the start error", ev, api.EventProxyState)
		}
	default:
		t.Error("no event after a failed start")
	}
	// Turned off on purpose, the proxy has no start error to show.
	if err := e2.svc.StopProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if snap, _ := e2.svc.Snapshot(context.Background()); snap.StartError != "" {
		t.Errorf("StartError %q after a stop", snap.StartError)
	}
}

// Escaped bytes in the path reach the upstream as the client wrote them,
// and a control character cannot crash the handler.
func TestEscapedPathsForwardedAsSent(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	for _, p := range []string{"/v1/files/a%2Fb", "/v1/models%0A", "/v1/x%3Fy%23z"} {
		resp := e.do("GET", p, "", nil)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d", p, resp.StatusCode)
		}
	}
	got := e.fake.Received()
	if len(got) != 3 {
		t.Fatalf("upstream saw %d requests", len(got))
	}
	for i, want := range []string{"/v1/files/a/b", "/v1/models\n", "/v1/x?y#z"} {
		if got[i].Path != want {
			t.Errorf("upstream path %q, want %q (decoded from what the client sent)", got[i].Path, want)
		}
	}
}

// A client hanging up mid-stream is journaled as such, not logged as an
// upstream failure, and the usage already streamed is kept.
func TestClientHangUpMidStream(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Chunks = 3
	e.fake.Pace = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/v1/messages", strings.NewReader(`{"model":"m","stream":true}`))
	e.authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	if _, err := resp.Body.Read(buf); err != nil { // message_start has arrived
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	var rec journal.Record
	testkit.WaitFor(t, "the request journaled", func() bool {
		recs, _ := e.db.Records(context.Background(), journal.Query{})
		if len(recs) == 1 {
			rec = recs[0]
		}
		return len(recs) == 1
	})
	if rec.Error != "client went away" || rec.InputTokens == 0 || rec.EndReason != journal.EndClientCancelled {
		t.Fatalf("record %+v, want 'client went away' with the input tokens seen", rec)
	}
	if strings.Contains(e.logs.String(), "level=WARN") {
		t.Fatalf("a client hang-up was logged as a warning:\n%s", e.logs.String())
	}
}
