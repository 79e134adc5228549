package vault_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

type refreshEnv struct {
	srv   *oauthtest.Server
	store *vault.Store
	clock *testkit.Clock
	r     *vault.Refresher
	dir   string // the file keyring's directory
}

func newRefreshEnv(t *testing.T) *refreshEnv {
	t.Helper()
	srv := oauthtest.New(t)
	clk := testkit.NewClock(testNow)
	dir := t.TempDir()
	store := openFileStore(t, dir, testPassword)
	o := &vault.OAuth{Endpoints: srv.Endpoints(), HTTP: srv.Client(), Now: clk.Now}
	return &refreshEnv{srv: srv, store: store, clock: clk, r: vault.NewRefresher(store, o, clk.Now), dir: dir}
}

// seed stores a server-issued credential expiring in d from the test clock.
func (e *refreshEnv) seed(t *testing.T, id string, d time.Duration) vault.Credential {
	t.Helper()
	c := e.srv.Issue()
	c.ExpiresAt = e.clock.Now().Add(d).UnixMilli()
	if err := e.store.Put(id, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRefresherConcurrentCallersShareOneRefresh(t *testing.T) {
	e := newRefreshEnv(t)
	e.srv.SetExpiresIn(8 * time.Hour)
	old := e.seed(t, "acct", 4*time.Minute) // within the 5-minute margin

	const callers = 50
	results := make([]vault.Credential, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = e.r.Credential(context.Background(), "acct")
		})
	}
	close(start)
	wg.Wait()

	if n := e.srv.RefreshCalls(); n != 1 {
		t.Fatalf("%d refresh requests for %d concurrent callers, want 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Fatalf("caller %d got a different credential", i)
		}
	}
	fresh := results[0]
	if fresh.AccessToken == old.AccessToken || !e.srv.ValidAccessToken(fresh.AccessToken) {
		t.Fatal("callers did not get the new access token")
	}
	if want := testNow.Add(8 * time.Hour).UnixMilli(); fresh.ExpiresAt != want {
		t.Errorf("ExpiresAt = %d, want %d", fresh.ExpiresAt, want)
	}
	stored, err := e.store.Get("acct")
	if err != nil {
		t.Fatal(err)
	}
	if stored.RefreshToken == old.RefreshToken || stored != fresh {
		t.Error("the rotated refresh token was not persisted in the store")
	}
	// The next call finds a fresh token and makes no request.
	if _, err := e.r.Credential(context.Background(), "acct"); err != nil || e.srv.RefreshCalls() != 1 {
		t.Errorf("a fresh token was refreshed again (%d calls, err %v)", e.srv.RefreshCalls(), err)
	}
}

func TestRefresherLeavesValidTokensAndAPIKeys(t *testing.T) {
	e := newRefreshEnv(t)
	c := e.seed(t, "fresh", 6*time.Minute)
	key := vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}
	if err := e.store.Put("key", key); err != nil {
		t.Fatal(err)
	}
	if got, err := e.r.Credential(context.Background(), "fresh"); err != nil || got != c {
		t.Errorf("fresh token: %v, %v", got, err)
	}
	if got, err := e.r.Credential(context.Background(), "key"); err != nil || got != key {
		t.Errorf("API key: %v, %v", got, err)
	}
	if n := e.srv.RefreshCalls(); n != 0 {
		t.Errorf("%d refresh requests, want 0", n)
	}
	// One minute later the token is inside the margin.
	e.clock.Advance(time.Minute + time.Millisecond)
	if got, err := e.r.Credential(context.Background(), "fresh"); err != nil || got.AccessToken == c.AccessToken {
		t.Errorf("token within the margin not refreshed: %v", err)
	}
	if _, err := e.r.Credential(context.Background(), "missing"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("missing account: %v, want ErrNotFound", err)
	}
}

func TestRefresherInvalidGrantNeedsLogin(t *testing.T) {
	e := newRefreshEnv(t)
	old := e.seed(t, "acct", -time.Minute)
	e.srv.FailRefresh(400, "invalid_grant")
	_, err := e.r.Credential(context.Background(), "acct")
	if !errors.Is(err, vault.ErrNeedsLogin) {
		t.Fatalf("err = %v, want ErrNeedsLogin", err)
	}
	assertNoSecrets(t, err, old.AccessToken, old.RefreshToken)
	// Within the backoff window the same answer comes without a request.
	_, err = e.r.Credential(context.Background(), "acct")
	if !errors.Is(err, vault.ErrNeedsLogin) || e.srv.RefreshCalls() != 1 {
		t.Fatalf("second call: err = %v after %d requests", err, e.srv.RefreshCalls())
	}
	// A new login replaces the refresh token: it is tried at once, backoff
	// or not.
	e.srv.FailRefresh(0, "")
	e.seed(t, "acct", -time.Minute)
	if _, err := e.r.Credential(context.Background(), "acct"); err != nil {
		t.Fatalf("after a new login: %v", err)
	}
	if n := e.srv.RefreshCalls(); n != 2 {
		t.Errorf("%d refresh requests, want 2", n)
	}
}

func TestRefresherBacksOff(t *testing.T) {
	e := newRefreshEnv(t)
	e.seed(t, "acct", -time.Minute) // expired: no fallback token
	e.srv.FailRefresh(500, "server_error")
	call := func(wantCalls int64) {
		t.Helper()
		_, err := e.r.Credential(context.Background(), "acct")
		var oe *vault.OAuthError
		if !errors.As(err, &oe) || oe.Status != 500 {
			t.Fatalf("err = %v, want the server's 500", err)
		}
		if n := e.srv.RefreshCalls(); n != wantCalls {
			t.Fatalf("%d refresh requests, want %d", n, wantCalls)
		}
	}
	call(1)
	call(1) // immediately again: the last error, no request
	e.clock.Advance(e.r.MinBackoff)
	call(2) // window over
	e.clock.Advance(e.r.MinBackoff)
	call(2) // the second window is twice as long
	e.clock.Advance(e.r.MinBackoff)
	call(3)
	e.clock.Advance(time.Hour)
	e.srv.FailRefresh(0, "")
	if _, err := e.r.Credential(context.Background(), "acct"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRefresherKeepsValidTokenOnTransientFailure(t *testing.T) {
	e := newRefreshEnv(t)
	c := e.seed(t, "acct", 2*time.Minute) // inside the margin, not expired
	e.srv.FailRefresh(503, "temporarily_unavailable")
	got, err := e.r.Credential(context.Background(), "acct")
	if err != nil || got != c {
		t.Fatalf("got %v, %v; want the still valid token", got, err)
	}
	if n := e.srv.RefreshCalls(); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
}

func TestRefresherCallerCancelDoesNotFailOthers(t *testing.T) {
	e := newRefreshEnv(t)
	e.seed(t, "acct", -time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// It gets Canceled, or the token if the refresh beat the select.
	if _, err := e.r.Credential(ctx, "acct"); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	// The refresh started for it still completes for the next caller.
	if _, err := e.r.Credential(context.Background(), "acct"); err != nil {
		t.Fatalf("next caller: %v", err)
	}
	if n := e.srv.RefreshCalls(); n != 1 {
		t.Errorf("%d refresh requests, want 1", n)
	}
}
