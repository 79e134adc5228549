package vault_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// A token endpoint that redirects must not get the refresh token (or the
// code and verifier) re-sent to the redirect's target.
func TestOAuthRefusesRedirects(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	defer thief.Close()
	for _, code := range []int{301, 302, 307, 308} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, thief.URL+"/steal", code)
		}))
		srv := oauthtest.New(t)
		o := newOAuth(srv)
		ep := srv.Endpoints()
		ep.TokenURL = redirector.URL + "/v1/oauth/token"
		ep.APIKeyURL = redirector.URL + "/create"
		o.Endpoints = ep
		if _, err := o.Refresh(context.Background(), "sk-ant-ort01-REFRESHSECRET"); err == nil || !strings.Contains(err.Error(), "redirect") {
			t.Errorf("%d: refresh through a redirect: err = %v", code, err)
		}
		if _, err := o.CreateAPIKey(context.Background(), "sk-ant-oat01-ACCESSSECRET"); err == nil {
			t.Errorf("%d: create API key through a redirect succeeded", code)
		}
		redirector.Close()
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}

// Text an outside party chooses must reach no terminal with its escapes.
func TestOAuthErrorTextStripsControlCharacters(t *testing.T) {
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant\u001b[2J","error_description":"bad\u001b]0;pwned\u0007 \u202e text\r\nforged line"}`))
	}))
	defer evil.Close()
	srv := oauthtest.New(t)
	o := newOAuth(srv)
	ep := srv.Endpoints()
	ep.TokenURL = evil.URL
	o.Endpoints = ep
	_, err := o.Refresh(context.Background(), "r")
	var oe *vault.OAuthError
	if !errors.As(err, &oe) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{err.Error(), oe.Code, oe.Description} {
		if strings.ContainsAny(s, "\x1b\x07\r\n\u202e") {
			t.Errorf("control characters reached the error: %q", s)
		}
	}
	if !strings.Contains(oe.Description, "forged line") {
		t.Errorf("the text itself was lost: %q", oe.Description)
	}
}
