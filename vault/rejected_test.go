package vault_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
)

// A token the API refused before its expiry is refreshed once for all the
// requests it failed together; a token already replaced is not refreshed
// again; a refused refresh says the account needs a login.
func TestRejectedTokenRefreshedOnce(t *testing.T) {
	e := newRefreshEnv(t)
	old := e.seed(t, "acct", time.Hour) // not due for a refresh
	const callers = 20
	var wg sync.WaitGroup
	got := make([]vault.Credential, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = e.r.Rejected(context.Background(), "acct", old.AccessToken)
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || got[i].AccessToken == old.AccessToken || !e.srv.ValidAccessToken(got[i].AccessToken) {
			t.Fatalf("caller %d: %v, new token %v", i, errs[i], got[i].AccessToken != old.AccessToken)
		}
	}
	if n := e.srv.RefreshCalls(); n != 1 {
		t.Fatalf("%d refreshes for %d refused requests, want 1", n, callers)
	}
	// A late caller with the old token gets the replacement, no new refresh.
	if c, err := e.r.Rejected(context.Background(), "acct", old.AccessToken); err != nil || c.AccessToken != got[0].AccessToken {
		t.Fatalf("late caller: %v", err)
	}
	if n := e.srv.RefreshCalls(); n != 1 {
		t.Fatalf("a replaced token was refreshed again (%d refreshes)", n)
	}
	e.srv.FailRefresh(400, "invalid_grant")
	if _, err := e.r.Rejected(context.Background(), "acct", got[0].AccessToken); !errors.Is(err, vault.ErrNeedsLogin) {
		t.Fatalf("a refused refresh: %v, want ErrNeedsLogin", err)
	}
}
