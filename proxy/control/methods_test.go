package control

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// TestKeysJournalAndLimitsCrossTheSocket drives the methods the CLI's keys,
// logs, usage, settings and limit commands use through a real socket, and
// checks each against the engine itself, so a method that is wired to the
// wrong engine call or loses a field on the wire fails here.
func TestKeysJournalAndLimitsCrossTheSocket(t *testing.T) {
	dir, svc := serve(t)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	k, secret, err := c.CreateKey(ctx, api.KeyOptions{Name: "laptop", RPM: 30})
	if err != nil || !strings.HasPrefix(secret, "sk-sluice-") || k.Name != "laptop" {
		t.Fatalf("CreateKey = %+v, secret of %d bytes, %v", k, len(secret), err)
	}
	local, err := svc.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, lk := range local {
		found = found || (lk.Name == "laptop" && lk.RPM == 30)
	}
	if !found {
		t.Fatalf("the engine has no key laptop with rpm 30: %+v", local)
	}
	if err := c.RevokeKey(ctx, "nosuch"); !errors.Is(err, api.ErrKeyNotFound) {
		t.Fatalf("RevokeKey(nosuch) = %v, want ErrKeyNotFound", err)
	}
	if err := c.RevokeKey(ctx, "laptop"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetRequireKey(ctx, false); err != nil || svc.RequireKey() {
		t.Fatalf("SetRequireKey(false): %v; engine %v", err, svc.RequireKey())
	}
	if on, err := c.RequireKey(ctx); err != nil || on {
		t.Fatalf("client RequireKey: %v, %v", on, err)
	}

	st, err := c.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Capture = true
	if _, err := c.UpdateSettings(ctx, st); err != nil || !svc.Settings().Capture {
		t.Fatalf("UpdateSettings(capture on): %v; engine has %+v", err, svc.Settings())
	}
	if _, err := c.Request(ctx, "nosuch"); !errors.Is(err, api.ErrNoSuchRequest) {
		t.Fatalf("Request(nosuch) = %v, want ErrNoSuchRequest", err)
	}
	if _, err := c.Logs(ctx, api.LogFilter{Limit: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage(ctx, api.UsageQuery{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Doctor(ctx, false); err != nil {
		t.Fatal(err)
	}

	if _, err := c.AddAPIKey(ctx, "work", "sk-ant-api03-SOCKET"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPlanGuard(ctx, "work", true); err != nil {
		t.Fatal(err)
	}
	if err := c.ClearLimit(ctx, "nosuch"); !errors.Is(err, api.ErrNoSuchAccount) {
		t.Fatalf("ClearLimit(nosuch) = %v", err)
	}
	if err := c.SetHeadroom(ctx, "work", "weekly", 80); err != nil {
		t.Fatal(err)
	}
	views, err := svc.Accounts(ctx)
	if err != nil || len(views) != 1 || views[0].Headroom["weekly"] != 80 {
		t.Fatalf("accounts %+v %v; want work with an 80%% weekly headroom cap", views, err)
	}
	if got, err := c.Config(ctx); err != nil || got.Port != svc.Config().Port {
		t.Errorf("Config over the socket has port %d (%v), the engine %d", got.Port, err, svc.Config().Port)
	}
}
