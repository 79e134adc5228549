package control

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// A setting set by key over the socket is the engine's at once, Values
// reads every setting back, and each kind of refusal keeps its sentinel
// across the wire (the CLI maps a bad value to a usage error).
func TestSettingsRegistryCrossesTheSocket(t *testing.T) {
	dir, svc := serve(t)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	got, err := c.SetSetting(ctx, api.SettingCapture, "on")
	if err != nil || !got.Capture || !svc.Settings().Capture {
		t.Fatalf("set capture on: %v; returned %v, engine %v", err, got.Capture, svc.Settings().Capture)
	}
	if _, err := c.SetSetting(ctx, api.SettingTrayWindow, "5h"); err != nil || svc.ProxySettings().TrayWindow != "5h" {
		t.Fatalf("set tray-window 5h: %v; engine %q", err, svc.ProxySettings().TrayWindow)
	}
	v, err := c.Values(ctx)
	if err != nil || !v.Capture || v.TrayWindow != "5h" || v.Strategy != svc.ProxySettings().Strategy || v.RequireKey != svc.RequireKey() {
		t.Fatalf("Values over the socket %+v, %v", v, err)
	}
	for _, tc := range []struct {
		key, value string
		want       error
	}{
		{"nope", "1", api.ErrNoSuchSetting},
		{api.SettingMaxDBSize, "lots", api.ErrBadSetting},
		{api.SettingStartAtLogin, "on", api.ErrBadSetting},
	} {
		if _, err := c.SetSetting(ctx, tc.key, tc.value); !errors.Is(err, tc.want) {
			t.Errorf("set %s %s: %v, want %v", tc.key, tc.value, err, tc.want)
		}
	}
}
