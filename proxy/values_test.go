package proxy_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// Every setting the engine keeps, set as a user types it, is what the
// engine then reports, and what an engine reopened on the same SQLite
// file reports: the registry round-trips through the database. The
// values are this test's own, one per key; a key added to the registry
// without one here fails the test.
func TestEverySettingRoundTripsThroughSQLite(t *testing.T) {
	port := strconv.Itoa(testkit.FreePort(t))
	typed := map[string]struct{ in, shown string }{
		api.SettingPort:                {port, port},
		api.SettingRequireKey:          {"off", "off"},
		api.SettingStrategy:            {"least-used", "least-used"},
		api.SettingSessionWindow:       {"90m", "1h30m"},
		api.SettingRetries:             {"7", "7"},
		api.SettingRetryDelay:          {"250ms", "250ms"},
		api.SettingAllowedOrigins:      {"http://LOCALHOST:3000/, https://app.example", "http://localhost:3000,https://app.example"},
		api.SettingTrayWindow:          {"7D_Opus", "7d_opus"},
		api.SettingOpenAISubscriptions: {"on", "on"},
		api.SettingCapture:             {"yes", "on"},
		api.SettingCaptureMax:          {"1.5MB", "1536KB"},
		api.SettingRequestRetention:    {"14d", "14d"},
		api.SettingPayloadRetention:    {"forever", "forever"},
		api.SettingMaxDBSize:           {"2GB", "2GB"},
		api.SettingQuotaWarnings:       {"80,95", "80,95"},
	}
	dir := t.TempDir()
	fake := fakeapi.New(t)
	e := newEnvAt(t, dir, fake)
	ctx := context.Background()
	for _, s := range api.Registry() {
		if s.Store == api.StoreComputer {
			continue
		}
		v, ok := typed[s.Key]
		if !ok {
			t.Errorf("%s: no test value; add one", s.Key)
			continue
		}
		if v.shown == s.Default() {
			t.Fatalf("%s: the test value %q is the default: it proves nothing", s.Key, v.in)
		}
		got, err := e.svc.SetSetting(ctx, s.Key, v.in)
		if err != nil {
			t.Fatalf("set %s %q: %v", s.Key, v.in, err)
		}
		if f := s.Format(got); f != v.shown {
			t.Errorf("after set %s %q the engine has %q, want %q", s.Key, v.in, f, v.shown)
		}
	}
	e.close()

	again := newEnvAt(t, dir, fake)
	defer again.close()
	now := again.svc.Values()
	for _, s := range api.Registry() {
		if v, ok := typed[s.Key]; ok && s.Format(now) != v.shown {
			t.Errorf("after a restart %s is %q, want %q", s.Key, s.Format(now), v.shown)
		}
	}
	if _, err := again.svc.SetSetting(ctx, "no-such-key", "1"); !errors.Is(err, api.ErrNoSuchSetting) {
		t.Errorf("an unknown key: %v", err)
	}
	if _, err := again.svc.SetSetting(ctx, api.SettingRetries, "many"); !errors.Is(err, api.ErrBadSetting) {
		t.Errorf("a bad value: %v", err)
	}
	if _, err := again.svc.SetSetting(ctx, api.SettingStartAtLogin, "on"); !errors.Is(err, api.ErrBadSetting) {
		t.Errorf("start-at-login is the face's, yet the engine took it: %v", err)
	}
}

// A setting fixed on the command line refuses every change, whatever its
// store, and the refusal names the variable that fixes it.
func TestFixedSettingRefusalNamesTheVariable(t *testing.T) {
	fixed := map[string]string{}
	for _, s := range api.Registry() {
		if s.Env != "" {
			fixed[s.Key] = s.Env
		}
	}
	if len(fixed) < 6 {
		t.Fatalf("only %d settings can be fixed: %v", len(fixed), fixed)
	}
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Fixed = fixed }))
	defer e.close()
	before := e.svc.Values()
	for key, by := range fixed {
		def, _ := api.LookupSetting(key)
		// A value other than the one in force, so only "fixed" refuses it.
		value := map[string]string{api.SettingPort: "1", api.SettingRequireKey: "off", api.SettingStrategy: "priority",
			api.SettingSessionWindow: "2h", api.SettingRetries: "9", api.SettingRetryDelay: "2s",
			api.SettingAllowedOrigins: "http://localhost:1"}[key]
		if value == "" {
			t.Fatalf("%s: no test value", key)
		}
		_, err := e.svc.SetSetting(context.Background(), key, value)
		if !errors.Is(err, api.ErrSettingFixed) || !strings.Contains(err.Error(), by) {
			t.Errorf("set %s while %s fixes it: %v", key, by, err)
		}
		if after := e.svc.Values(); def.Format(after) != def.Format(before) {
			t.Errorf("%s changed from %q to %q though fixed", key, def.Format(before), def.Format(after))
		}
		if got := e.svc.Values().Fixed[key]; got != by {
			t.Errorf("Values().Fixed[%s] = %q, want %q", key, got, by)
		}
	}
	// The window's checkbox and `sluice keys require` call SetRequireKey
	// directly: refused the same way.
	if err := e.svc.SetRequireKey(context.Background(), !before.RequireKey); !errors.Is(err, api.ErrSettingFixed) ||
		!strings.Contains(err.Error(), "SLUICE_REQUIRE_KEY") || e.svc.RequireKey() != before.RequireKey {
		t.Errorf("SetRequireKey while SLUICE_REQUIRE_KEY fixes it: %v", err)
	}
}
