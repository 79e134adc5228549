package proxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

func TestCheckAPIKey(t *testing.T) {
	fake := fakeapi.New(t)
	fake.RefuseUnknown = true
	fake.Script("sk-good", fakeapi.Behavior{})
	e := newEnvAt(t, t.TempDir(), fake)
	ctx := context.Background()

	if err := e.svc.CheckAPIKey(ctx, "sk-good"); err != nil {
		t.Errorf("good key: %v", err)
	}
	err := e.svc.CheckAPIKey(ctx, "sk-bad-secret")
	if !errors.Is(err, api.ErrKeyRefused) {
		t.Fatalf("bad key: %v, want ErrKeyRefused", err)
	}
	if strings.Contains(err.Error(), "sk-bad-secret") {
		t.Errorf("error shows the key: %v", err)
	}
	got := fake.Received()
	if last := got[len(got)-1]; last.Method != http.MethodGet || last.Path != "/v1/models" || last.Credential != "sk-bad-secret" {
		t.Errorf("check sent %s %s with %q, want GET /v1/models with the key", last.Method, last.Path, last.Credential)
	}
}

func TestCheckAPIKeyUnreachable(t *testing.T) {
	// An upstream that is gone: the key cannot be checked, which is not a
	// refusal.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	fake := fakeapi.New(t)
	e := newEnvAt(t, t.TempDir(), fake, withConfig(func(c *proxy.Config) { c.Upstream = gone.URL }))
	err := e.svc.CheckAPIKey(context.Background(), "sk-any")
	var unverified *api.KeyUnverifiedError
	if !errors.As(err, &unverified) || errors.Is(err, api.ErrKeyRefused) {
		t.Fatalf("unreachable upstream: %v, want *KeyUnverifiedError", err)
	}
}

func TestReplaceAPIKey(t *testing.T) {
	e := newEnv(t)
	e.fake.RefuseUnknown = true
	e.fake.Script("sk-new", fakeapi.Behavior{})
	e.addKey("work", "sk-old-mistyped")
	ctx := context.Background()

	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the mistyped key was accepted upstream")
	}

	if err := e.svc.ReplaceAPIKey(ctx, "work", "sk-new"); err != nil {
		t.Fatal(err)
	}
	accts, err := e.svc.Accounts(ctx)
	if err != nil || len(accts) != 1 {
		t.Fatalf("accounts %v, %v", accts, err)
	}
	resp = e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after replacing the key: status %d", resp.StatusCode)
	}
	if got := e.fake.Received(); got[len(got)-1].Credential != "sk-new" {
		t.Errorf("upstream got %q, want the new key", got[len(got)-1].Credential)
	}
	if err := e.svc.ReplaceAPIKey(ctx, "nobody", "sk-x"); err == nil {
		t.Error("replacing the key of a missing account succeeded")
	}
}
