package vault_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// runLogin runs Login in the background and returns its result, failing
// the test when it takes longer than 5 s.
func runLogin(t *testing.T, ctx context.Context, srv *oauthtest.Server, opts vault.LoginOptions) (vault.Credential, error) {
	t.Helper()
	type result struct {
		c   vault.Credential
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := newOAuth(srv).Login(ctx, opts)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("Login is still waiting for OpenBrowser to return")
		return vault.Credential{}, nil
	}
}

// pkg/browser's OpenURL waits for the browser command to exit; xdg-open
// starting Firefox in the foreground never does. The sign-in completes
// anyway, and the URL is printed for the user from the start.
func TestLoginDoesNotWaitForOpenBrowser(t *testing.T) {
	srv := oauthtest.New(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	b := &browser{client: srv.Client()}
	open := func(raw string) error {
		go func() { _ = b.open(raw) }() // the user signs in in the browser...
		<-release                       // ...whose command has not exited
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out testkit.Buffer
	c, err := runLogin(t, ctx, srv, vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open, Out: &out})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if !srv.ValidAccessToken(c.AccessToken) {
		t.Error("Login returned a token the server did not issue")
	}
	if !strings.Contains(out.String(), srv.Endpoints().MaxAuthorizeURL+"?") {
		t.Errorf("the authorize URL was not printed: %q", out.String())
	}
	b.wait(t)
}

// Cancel ends a sign-in whose OpenBrowser never returns, and that
// OpenBrowser failing afterwards writes nothing more to Out (the caller may
// have moved on to other output).
func TestLoginCancelDoesNotWaitForOpenBrowser(t *testing.T) {
	srv := oauthtest.New(t)
	// In a synctest bubble, a late write is either done or never coming
	// once synctest.Wait returns, where a sleep could only hope so.
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		release, returned := make(chan struct{}), make(chan struct{})
		var cleanup sync.Once
		t.Cleanup(func() { cleanup.Do(func() { close(release) }) })
		open := func(string) error {
			defer close(returned)
			cancel() // the user clicks Cancel
			<-release
			return errors.New("xdg-open: no method available")
		}
		var out testkit.Buffer
		_, err := runLogin(t, ctx, srv, vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open, Out: &out})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		before := out.String()
		cleanup.Do(func() { close(release) })
		<-returned
		synctest.Wait() // every goroutine Login started has ended or is blocked for good
		if after := out.String(); after != before {
			t.Errorf("Out written after Login returned: %q", strings.TrimPrefix(after, before))
		}
	})
}
