package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// saying reports whether a text on the window starts with prefix (wrapped
// labels split into lines).
func saying(w fyne.Window, prefix string) func() bool {
	return func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, prefix) })
	}
}

// The strategy chosen in the Settings tab's Select, with the other proxy
// settings, reaches the real engine on Save; the tab says it applies at
// once; a bad value is refused with the reason; and a change made outside
// the window (the CLI) shows up in it.
func TestRealEngineProxySettingsFromSettings(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	px := v.settings.px
	ui.waitFor(t, "the strategy", func() bool { return px.strategy.Selected == "session" && px.window.Text == "5h" })

	px.strategy.SetSelected("round-robin")
	px.window.SetText("90m")
	px.retries.SetText("1")
	px.delay.SetText("250ms")
	px.origins.SetText("http://localhost:5173, HTTPS://App.Example")
	ui.waitFor(t, "the round-robin description", saying(w, "API-key accounts take turns"))
	test.Tap(button(t, w, "Save proxy settings"))
	ui.waitFor(t, "saved", saying(w, "Saved: the proxy uses these settings"))
	ps := e.svc.ProxySettings()
	if ps.Strategy != "round-robin" || ps.SessionWindow != 90*time.Minute || ps.RetryAttempts != 1 || ps.RetryDelay != 250*time.Millisecond ||
		!slices.Equal(ps.AllowedOrigins, []string{"http://localhost:5173", "https://app.example"}) {
		t.Fatalf("the engine has %+v after Save", ps)
	}
	ui.waitFor(t, "the origins as the engine keeps them", func() bool {
		return px.origins.Text == "http://localhost:5173, https://app.example" && px.window.Text == "1h30m"
	})

	px.retries.SetText("50")
	test.Tap(button(t, w, "Save proxy settings"))
	ui.waitFor(t, "the refusal", saying(w, "Not saved: proxy settings: retries must be between 0 and 10"))
	if e.svc.ProxySettings().RetryAttempts != 1 {
		t.Fatal("a refused value reached the engine")
	}
	px.retries.SetText("1")
	px.window.SetText("soon")
	test.Tap(button(t, w, "Save proxy settings"))
	ui.waitFor(t, "the parse error", saying(w, "Session window: a duration like 5h"))

	// Changed elsewhere: the untouched fields follow, the edited one stays.
	ps.Strategy, ps.RetryAttempts = "priority", 4
	if err := e.svc.UpdateProxySettings(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	ui.waitFor(t, "the strategy changed from the CLI", func() bool { return px.strategy.Selected == "priority" && px.retries.Text == "4" })
	if px.window.Text != "soon" {
		t.Errorf("a field being edited was overwritten with %q", px.window.Text)
	}
}

// A value fixed on the command line is disabled, with the variable named.
func TestFixedProxySettingIsDisabledWithItsVariable(t *testing.T) {
	eng := newFakeEngine(true)
	eng.px = api.ProxySettings{Strategy: "priority", SessionWindow: time.Hour, RetryAttempts: 2, RetryDelay: time.Second,
		Fixed: map[string]string{api.SettingStrategy: "SLUICE_STRATEGY"}}
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(3)
	px := v.settings.px
	ui.waitFor(t, "the fixed strategy", func() bool { return px.strategy.Selected == "priority" && px.strategy.Disabled() })
	ui.waitFor(t, "the hint", saying(w, "Strategy is set by SLUICE_STRATEGY when Sluice starts"))
	if px.window.Disabled() || px.retries.Disabled() || px.origins.Disabled() {
		t.Error("values not fixed are disabled")
	}
	px.retries.SetText("5")
	test.Tap(button(t, w, "Save proxy settings"))
	ui.waitFor(t, "saved", saying(w, "Saved:"))
	if got, _ := eng.ProxySettings(context.Background()); got.RetryAttempts != 5 || got.Strategy != "priority" {
		t.Fatalf("fake engine has %+v", got)
	}
}

// The tray-window setting has a control in the Settings tab: the
// default (closest to its limit), the 5-hour and weekly windows and each
// model's weekly cap an account reports; the choice reaches the engine
// with Save, and a change made elsewhere shows up.
func TestTrayWindowChosenInSettings(t *testing.T) {
	opus := api.AccountView{Name: "max", Windows: []api.Window{
		{Name: "5h", Kind: "session", Utilization: 0.2},
		{Name: "7d_opus", Kind: "weekly", Scope: "opus", Utilization: 0.5},
	}}
	eng := newFakeEngine(true, opus)
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(3)
	px := v.settings.px
	ui.waitFor(t, "the tray's choices", func() bool {
		return px.tray.Selected == "Closest to its limit" && slices.Contains(px.tray.Options, "Weekly cap for opus (7d_opus)")
	})
	for _, want := range []string{"5-hour window", "Weekly window"} {
		if !slices.Contains(px.tray.Options, want) {
			t.Errorf("no %q among %q", want, px.tray.Options)
		}
	}
	px.tray.SetSelected("Weekly cap for opus (7d_opus)")
	test.Tap(button(t, w, "Save proxy settings"))
	ui.waitFor(t, "saved", saying(w, "Saved:"))
	if got, _ := eng.ProxySettings(context.Background()); got.TrayWindow != "7d_opus" {
		t.Fatalf("the engine's tray window is %q after Save", got.TrayWindow)
	}
	ps, _ := eng.ProxySettings(context.Background())
	ps.TrayWindow = "5h"
	if err := eng.UpdateProxySettings(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	go v.reload()
	ui.waitFor(t, "the window chosen from the CLI", func() bool { return px.tray.Selected == "5-hour window" })
}

// The port and the key requirement, when a variable or flag fixes them,
// are disabled in the tab with the variable named, as the proxy settings
// are.
func TestFixedPortAndRequireKeyAreDisabled(t *testing.T) {
	eng := newFakeEngine(true)
	eng.px = api.ProxySettings{Strategy: "session", SessionWindow: time.Hour, RetryAttempts: 2, RetryDelay: time.Second,
		Fixed: map[string]string{api.SettingPort: "SLUICE_PORT", api.SettingRequireKey: "SLUICE_REQUIRE_KEY"}}
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(3)
	s := v.settings
	ui.waitFor(t, "the fixed port", func() bool { return s.port.Disabled() && s.movePort.Disabled() && s.keys.require.Disabled() })
	ui.waitFor(t, "the hint", saying(w, "Port is set by SLUICE_PORT when Sluice starts"))
	ui.waitFor(t, "the hint", saying(w, "Require a client key is set by SLUICE_REQUIRE_KEY when Sluice starts"))
	if s.px.strategy.Disabled() {
		t.Error("the strategy, not fixed, is disabled")
	}
}
