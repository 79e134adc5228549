package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// withRefresher makes the engine hand out credentials through the real
// refresher, against a fake authorization server.
func withRefresher(auth *oauthtest.Server) envOption {
	return func(_ *proxy.Config, d *proxy.Deps) {
		o := &vault.OAuth{Endpoints: auth.Endpoints(), HTTP: auth.Client()}
		d.Tokens = vault.NewRefresher(d.Keyring.(*vault.Store), o, d.Now)
	}
}

func TestExpiringTokenIsRefreshedOnceUnderLoad(t *testing.T) {
	auth := oauthtest.New(t)
	e := newEnv(t, withRefresher(auth))
	cred := auth.Issue()
	cred.ExpiresAt = e.clock.Now().Add(time.Minute).UnixMilli() // inside the 5-minute margin
	if _, err := e.svc.AddCredential(context.Background(), "max", cred); err != nil {
		t.Fatal(err)
	}
	const n = 50
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			resp := e.do("POST", "/v1/messages", `{"model":"m"}`, nil)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- io.ErrUnexpectedEOF
				return
			}
			errs <- nil
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal("a request failed during the refresh")
		}
	}
	if got := auth.RefreshCalls(); got != 1 {
		t.Fatalf("%d refreshes for %d concurrent requests, want 1", got, n)
	}
	for _, r := range e.fake.Received() {
		if r.Credential == cred.AccessToken || !auth.ValidAccessToken(r.Credential) {
			t.Fatal("a request went out with the old or an unknown token")
		}
		if !strings.Contains(r.Header.Get("Anthropic-Beta"), "oauth-2025-04-20") {
			t.Fatal("OAuth request without the oauth beta flag")
		}
	}
}

func TestInvalidGrantMarksNeedsLogin(t *testing.T) {
	auth := oauthtest.New(t)
	e := newEnv(t, withRefresher(auth))
	cred := auth.Issue()
	cred.ExpiresAt = e.clock.Now().Add(-time.Minute).UnixMilli()
	if _, err := e.svc.AddCredential(context.Background(), "max", cred); err != nil {
		t.Fatal(err)
	}
	events, cancel := e.svc.Subscribe()
	defer cancel()
	auth.FailRefresh(400, "invalid_grant")
	resp := e.do("POST", "/v1/messages", `{}`, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	views, _ := e.svc.Accounts(context.Background())
	if len(views) != 1 || views[0].State != "needs-login" {
		t.Fatalf("account state %+v", views)
	}
	got := false
	for !got {
		select {
		case ev := <-events:
			got = ev.Kind == api.EventAccounts || ev.Kind == api.EventAccountState
		case <-time.After(5 * time.Second):
			t.Fatal("no event for the needs-login change")
		}
	}
	// A new login clears it.
	if err := e.svc.Reauthenticate(context.Background(), "max", auth.Issue()); err != nil {
		t.Fatal(err)
	}
	views, _ = e.svc.Accounts(context.Background())
	if views[0].State != "ok" {
		t.Fatalf("after re-login: %+v", views[0])
	}
}
