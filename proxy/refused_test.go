package proxy_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// An access token the API refuses before its expiry (revoked, rotated by
// another client) is refreshed once, however many requests were refused
// together, and the requests are sent again: the account is not marked as
// needing a sign-in.
func TestOAuth401RefreshesOnceAndRetries(t *testing.T) {
	auth := oauthtest.New(t)
	e := newEnv(t, withRefresher(auth))
	cred := auth.Issue() // valid for an hour: no refresh would be due
	if _, err := e.svc.AddCredential(context.Background(), "max", cred); err != nil {
		t.Fatal(err)
	}
	const n = 5
	e.fake.Script(cred.AccessToken, fakeapi.Behavior{Statuses: []int{401, 401, 401, 401, 401}})
	codes := make(chan int, n)
	for range n {
		go func() {
			resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for range n {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("a request refused with a stale token ended %d, want 200 after the refresh", c)
		}
	}
	if got := auth.RefreshCalls(); got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}
	for _, r := range e.fake.Received() {
		if r.Credential != cred.AccessToken && !auth.ValidAccessToken(r.Credential) {
			t.Error("a retry went out with an unknown token")
		}
	}
	views, _ := e.svc.Accounts(context.Background())
	if views[0].State != api.StateOK {
		t.Errorf("account state %q after a successful refresh, want ok", views[0].State)
	}
}

// When the refresh is refused too, the 401 stands: the account needs a
// new sign-in.
func TestOAuth401WithRefusedRefreshNeedsLogin(t *testing.T) {
	auth := oauthtest.New(t)
	e := newEnv(t, withRefresher(auth))
	cred := auth.Issue()
	if _, err := e.svc.AddCredential(context.Background(), "max", cred); err != nil {
		t.Fatal(err)
	}
	e.fake.Script(cred.AccessToken, fakeapi.Behavior{Statuses: []int{401, 401}})
	auth.FailRefresh(400, "invalid_grant")
	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a refused token with a refused refresh was answered 200")
	}
	if got := auth.RefreshCalls(); got != 1 {
		t.Errorf("%d refreshes, want 1", got)
	}
	views, _ := e.svc.Accounts(context.Background())
	if views[0].State != api.StateNeedsLogin {
		t.Errorf("account state %q, want needs-login", views[0].State)
	}
}
