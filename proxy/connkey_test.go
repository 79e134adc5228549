package proxy_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// Issue 17 items 1 and 2: the connection key is never a revoked one, and
// it survives a restart (its secret is in the keyring, not the journal).
func TestConnectionKeyReplacesARevokedKeyAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	e := newEnvAt(t, dir, fakeapi.New(t))
	e.addKey("work", accountKey)
	ctx := context.Background()

	// The first key is the connection key until it is revoked.
	first, firstSecret, ok := e.svc.FirstKey()
	if !ok {
		t.Fatal("no first key")
	}
	view, secret, minted, err := e.svc.ConnectionKey(ctx)
	if err != nil || minted || view.ID != first.ID || secret != firstSecret {
		t.Fatalf("ConnectionKey = %s, minted %v, %v; want the first key", view.Name, minted, err)
	}
	if err := e.svc.RevokeKey(ctx, first.Name); err != nil {
		t.Fatal(err)
	}
	view, secret, minted, err = e.svc.ConnectionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !minted || view.Revoked || view.ID == first.ID || secret == firstSecret {
		t.Fatalf("after revoking: ConnectionKey = %+v, minted %v; want a new live key", view, minted)
	}
	if again, s2, m2, err := e.svc.ConnectionKey(ctx); err != nil || m2 || again.ID != view.ID || s2 != secret {
		t.Fatalf("asked again: %s, minted %v, %v; want the same key", again.Name, m2, err)
	}
	e.close()

	e2 := newEnvAt(t, dir, e.fake)
	got, gotSecret, minted, err := e2.svc.ConnectionKey(ctx)
	if err != nil || minted || got.ID != view.ID || gotSecret != secret {
		t.Fatalf("after restart: ConnectionKey = %s, minted %v, %v; want the key from before", got.Name, minted, err)
	}
	resp := e2.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`, keyed("bearer", gotSecret))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a request with the connection key after restart: %d", resp.StatusCode)
	}
}
