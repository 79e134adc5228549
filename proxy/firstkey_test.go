package proxy_test

import (
	"context"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Revoking another key leaves the first key on display; revoking the first
// key takes it away, since it no longer works.
func TestRevokeDismissesOnlyTheFirstKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first, _, ok := e.svc.FirstKey()
	if !ok {
		t.Fatal("no first key")
	}
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.svc.FirstKey(); !ok {
		t.Fatal("revoking another key hid the first key")
	}
	if err := e.svc.RevokeKey(ctx, first.Name); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := e.svc.FirstKey(); ok {
		t.Fatal("the revoked first key is still offered")
	}
}
