package control

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// The proxy settings cross the socket both ways: a change made through the
// client is what the engine then applies, every field survives the wire,
// and a refusal comes back with the engine's reason.
func TestProxySettingsCrossTheSocket(t *testing.T) {
	dir, svc := serve(t)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()

	ps, err := c.ProxySettings(ctx)
	if err != nil || ps.Strategy != svc.ProxySettings().Strategy || ps.SessionWindow != svc.ProxySettings().SessionWindow {
		t.Fatalf("ProxySettings over the socket %+v, %v; the engine has %+v", ps, err, svc.ProxySettings())
	}
	ps.Strategy, ps.SessionWindow, ps.RetryAttempts, ps.RetryDelay = "drain-soonest", 90*time.Minute, 7, 250*time.Millisecond
	ps.AllowedOrigins = []string{"https://app.example:8443"}
	if err := c.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	got := svc.ProxySettings()
	if got.Strategy != "drain-soonest" || got.SessionWindow != 90*time.Minute || got.RetryAttempts != 7 ||
		got.RetryDelay != 250*time.Millisecond || !slices.Equal(got.AllowedOrigins, []string{"https://app.example:8443"}) {
		t.Fatalf("the engine has %+v after the update over the socket", got)
	}
	if back, err := c.ProxySettings(ctx); err != nil || back.Strategy != "drain-soonest" || back.RetryDelay != 250*time.Millisecond {
		t.Errorf("read back over the socket: %+v", back)
	}
	ps.Strategy = "fastest"
	if err := c.UpdateProxySettings(ctx, ps); err == nil || !strings.Contains(err.Error(), "unknown strategy") {
		t.Errorf("a bad strategy over the socket: %v", err)
	}
}
