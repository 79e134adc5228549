package vault_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
)

// The server rotates the refresh token before Sluice can store the new
// one. When that write fails, the new credential is still handed out and
// kept in memory (the old refresh token is dead), written on a later read,
// and used for the next refresh.
func TestRefresherKeepsRotatedTokenWhenStoreFails(t *testing.T) {
	e := newRefreshEnv(t)
	old := e.seed(t, "acct", -time.Minute)
	kr := vault.InjectFaults(e.store)
	kr.FailSets(1)
	fresh, err := e.r.Credential(context.Background(), "acct")
	if err != nil {
		t.Fatalf("refresh whose result could not be stored: %v", err)
	}
	if fresh.RefreshToken == old.RefreshToken || !e.srv.ValidAccessToken(fresh.AccessToken) {
		t.Fatal("did not get the refreshed credential")
	}
	if n := kr.Sets(); n != 1 {
		t.Fatalf("%d keyring writes, want 1 (the failed one)", n)
	}
	// The next read hands out the rotated credential and retries the write.
	if got, err := e.store.Get("acct"); err != nil || got != fresh {
		t.Fatalf("Get after the failed write: %v; want the refreshed credential", err)
	}
	if n := kr.Sets(); n != 2 {
		t.Fatalf("%d keyring writes, want 2 (a retry on read)", n)
	}
	if got, err := openFileStore(t, e.dir, testPassword).Get("acct"); err != nil || got != fresh {
		t.Fatalf("the keyring does not hold the refreshed credential after the retry: %v", err)
	}
	if _, err := e.store.Get("acct"); err != nil || kr.Sets() != 2 {
		t.Errorf("written credential written again (%d writes, err %v)", kr.Sets(), err)
	}
	// The next refresh uses the rotated refresh token, which the server accepts.
	e.clock.Advance(24 * time.Hour)
	next, err := e.r.Credential(context.Background(), "acct")
	if err != nil || next.RefreshToken == fresh.RefreshToken {
		t.Fatalf("next refresh: %v", err)
	}
}

// An unsaved credential is served from memory, never from the keyring's
// stale copy, and each read retries its write until one succeeds.
func TestStoreRetriesUnsavedCredential(t *testing.T) {
	e := newRefreshEnv(t)
	e.seed(t, "acct", -time.Minute)
	kr := vault.InjectFaults(e.store)
	kr.FailSets(3)
	fresh, err := e.r.Credential(context.Background(), "acct")
	if err != nil {
		t.Fatal(err)
	}
	gets := kr.Gets()
	for i := range 3 {
		if got, err := e.store.Get("acct"); err != nil || got != fresh {
			t.Fatalf("read %d: %v; want the unsaved credential", i, err)
		}
	}
	if n := kr.Sets(); n != 4 {
		t.Errorf("%d keyring writes, want 4 (1 + a retry per read until one succeeds)", n)
	}
	if n := kr.Gets() - gets; n != 0 {
		t.Errorf("%d keyring reads while the keyring's copy is stale, want 0", n)
	}
}

// When the refresher cannot read the keyring (locked, or a hung Secret
// Service taking seconds per call), the failure backs off like a failed
// refresh: requests within the window do not each read the keyring again.
func TestRefresherBacksOffUnreadableKeyring(t *testing.T) {
	e := newRefreshEnv(t)
	e.seed(t, "acct", -time.Minute) // expired, and cached by Put
	kr := vault.InjectFaults(e.store)
	kr.FailGets(true)
	for i := range 5 {
		if _, err := e.r.Credential(context.Background(), "acct"); err == nil {
			t.Fatalf("call %d: no error from an unreadable keyring", i)
		}
	}
	if n := kr.Gets(); n != 1 {
		t.Errorf("%d keyring reads for 5 calls within the backoff window, want 1", n)
	}
	// After the window the keyring is read again, and the refresh goes on.
	kr.FailGets(false)
	e.clock.Advance(e.r.MinBackoff)
	if _, err := e.r.Credential(context.Background(), "acct"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if n := kr.Gets(); n != 2 || e.srv.RefreshCalls() != 1 {
		t.Errorf("%d keyring reads and %d refreshes after the window, want 2 and 1", n, e.srv.RefreshCalls())
	}
}

// Two Sluice processes refresh the same account: B reads the refresh token
// just before A rotates it, so the server refuses B's refresh. The keyring
// holds A's valid credential, and B hands that out instead of asking for a
// new sign-in.
func TestRefresherUsesAnotherProcessRefresh(t *testing.T) {
	a := newRefreshEnv(t)
	a.srv.SetExpiresIn(8 * time.Hour)
	a.seed(t, "acct", -time.Minute)
	storeB := openFileStore(t, a.dir, testPassword)
	oB := &vault.OAuth{Endpoints: a.srv.Endpoints(), HTTP: a.srv.Client(), Now: a.clock.Now}
	b := vault.NewRefresher(storeB, oB, a.clock.Now)
	if _, err := storeB.Get("acct"); err != nil { // B caches the old credential
		t.Fatal(err)
	}
	var fromA vault.Credential
	vault.InjectFaults(storeB).AfterNextGet(func() {
		// B's refresher has read the old refresh token; A refreshes now.
		var err error
		if fromA, err = a.r.Credential(context.Background(), "acct"); err != nil {
			t.Errorf("A's refresh: %v", err)
		}
	})
	got, err := b.Credential(context.Background(), "acct")
	if err != nil {
		t.Fatalf("B: %v; want the credential A stored", err)
	}
	if got != fromA {
		t.Error("B did not return the credential A stored")
	}
	if n := a.srv.RefreshCalls(); n != 2 {
		t.Errorf("%d refresh requests, want 2 (A's, and B's refused one)", n)
	}
}
