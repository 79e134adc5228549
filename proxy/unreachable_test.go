package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// An upstream that refuses connections is answered at once in the
// client's dialect, saying why; /health and status report it until a
// request gets through, which clears it.
func TestUpstreamUnreachableAnsweredAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connections are refused
	e := newEnv(t, withConfig(func(c *proxy.Config) {
		c.Upstream = "http://" + addr
		c.RetryAttempts = 5 // the backoff loop a refused connection no longer takes
		c.RetryDelay = time.Second
	}))
	e.addKey("work", accountKey)
	events, stop := e.svc.Subscribe()
	defer stop()

	start := time.Now()
	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
	took := time.Since(start)
	if resp.Header.Get("X-Should-Retry") != "false" {
		t.Errorf("X-Should-Retry %q, want false", resp.Header.Get("X-Should-Retry"))
	}
	got := readError(t, resp, http.StatusBadGateway, "api_error")
	if took > 3*time.Second {
		t.Errorf("answered after %s, want within 3s", took)
	}
	if !strings.Contains(got.Error.Message, "cannot reach the Anthropic API") || !strings.Contains(got.Error.Message, "refused") {
		t.Errorf("message %q does not say the API cannot be reached and why", got.Error.Message)
	}
	// An OpenAI client is told in its own shape.
	oc := openaiClient(e)
	_, err = oc.Chat.Completions.New(context.Background(), chatParams())
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusBadGateway || !strings.Contains(oe.Message, "refused") {
		t.Errorf("OpenAI client got %v", err)
	}
	testkit.WaitFor(t, "an upstream event", func() bool {
		select {
		case ev := <-events:
			return ev.Kind == api.EventUpstream
		default:
			return false
		}
	})
	h := healthOf(t, e)
	if h.Status != "degraded" || !strings.Contains(h.UpstreamError, "refused") || h.UpstreamErrorSince.IsZero() {
		t.Errorf("/health while unreachable: %+v", h)
	}
	st, err := e.svc.Status(context.Background())
	if err != nil || st.UpstreamError == "" {
		t.Errorf("status while unreachable: %+v %v", st, err)
	}

	// The upstream comes back on the same address: the next request gets
	// through and clears the state.
	fake := fakeapi.NewUnstarted()
	if fake.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	fake.Start()
	defer fake.Close()
	resp = e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with the upstream back: %d", resp.StatusCode)
	}
	if h := healthOf(t, e); h.Status != "ok" || h.UpstreamError != "" {
		t.Errorf("/health once reachable again: %+v", h)
	}
}

func healthOf(t *testing.T, e *env) proxy.Health {
	t.Helper()
	resp, err := http.Get(e.srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h proxy.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// Each way the upstream cannot be reached is answered at once, naming
// the cause.
func TestUpstreamUnreachableCauses(t *testing.T) {
	plain := fakeapi.New(t) // speaks HTTP: a TLS client fails its handshake
	rows := []struct{ name, upstream, cause string }{
		{"DNS failure", "https://sluice-test.invalid", "does not resolve"},
		{"TLS error", "https://" + strings.TrimPrefix(plain.URL, "http://"), "TLS"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t, withUpstream(r.upstream))
			e.addKey("work", accountKey)
			start := time.Now()
			got := readError(t, e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[]}`, nil),
				http.StatusBadGateway, "api_error")
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("answered after %s", took)
			}
			if !strings.Contains(got.Error.Message, r.cause) {
				t.Errorf("message %q does not name the cause (%s)", got.Error.Message, r.cause)
			}
		})
	}
}
