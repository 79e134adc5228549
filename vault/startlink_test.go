package vault_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// With StartLink, what goes on the browser's command line is a loopback
// link without the state; the browser following it still signs in.
func TestLoginStartLinkKeepsStateOffTheCommandLine(t *testing.T) {
	srv := oauthtest.New(t)
	b := &browser{client: srv.Client()}
	var given string
	open := func(u string) error {
		given = u
		return b.open(u)
	}
	c, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open, StartLink: true, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if !srv.ValidAccessToken(c.AccessToken) {
		t.Fatal("no valid token")
	}
	b.wait(t)
	if !strings.HasPrefix(given, "http://localhost:") || !strings.Contains(given, "/start/") || strings.Contains(given, "state") {
		t.Fatalf("browser was given %q", given)
	}
}

// A start link opened twice (another user read it first) ends the sign-in.
func TestLoginStartLinkOpenedTwiceAborts(t *testing.T) {
	srv := oauthtest.New(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(u string) error {
		for i := 0; i < 2; i++ {
			resp, err := noFollow.Get(u)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if want := []int{http.StatusFound, http.StatusGone}[i]; resp.StatusCode != want {
				t.Errorf("visit %d: status %d, want %d", i+1, resp.StatusCode, want)
			}
		}
		return nil
	}
	_, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open, StartLink: true, Timeout: time.Minute})
	if !errors.Is(err, vault.ErrStartReused) {
		t.Fatalf("Login: %v, want ErrStartReused", err)
	}
}
