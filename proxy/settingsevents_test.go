package proxy_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Every setting the engine keeps, whatever its store (the journal's
// retention, capture and size cap among them), publishes a settings event
// carrying it when it changes: an open window or tray sees the change at
// once, not at its next resync. Each is set through SetSetting, the path
// `sluice settings set` and the window's journal form share.
func TestEverySettingChangePublishesItsEvent(t *testing.T) {
	e := newEnv(t)
	changes := map[string]string{
		api.SettingPort:                strconv.Itoa(testkit.FreePort(t)),
		api.SettingRequireKey:          "off",
		api.SettingStrategy:            "round-robin",
		api.SettingSessionWindow:       "2h",
		api.SettingRetries:             "5",
		api.SettingRetryDelay:          "3s",
		api.SettingAllowedOrigins:      "http://localhost:3000",
		api.SettingTrayWindow:          "7d",
		api.SettingOpenAISubscriptions: "on",
		api.SettingCapture:             "on",
		api.SettingCaptureMax:          "64 KB",
		api.SettingRequestRetention:    "9d",
		api.SettingPayloadRetention:    "2d",
		api.SettingMaxDBSize:           "123 MB",
		api.SettingQuotaWarnings:       "60,80",
	}
	events, stop := e.svc.Subscribe()
	defer stop()
	for _, def := range api.Registry() {
		if def.Store == api.StoreComputer {
			continue // kept by the face (start-at-login), not the engine
		}
		value, ok := changes[def.Key]
		if !ok {
			t.Errorf("no test value for the engine's setting %q: add one", def.Key)
			continue
		}
		t.Run(def.Key, func(t *testing.T) {
			v, err := e.svc.SetSetting(context.Background(), def.Key, value)
			if err != nil {
				t.Fatalf("set %s %q: %v", def.Key, value, err)
			}
			want := def.Format(v)
			if want == def.Format(api.DefaultValues()) {
				t.Fatalf("test value %q of %s is its default: the change proves nothing", value, def.Key)
			}
			deadline := time.After(testkit.WaitTimeout)
			for {
				select {
				case ev := <-events:
					if ev.Kind != api.EventSettings || ev.Values == nil || def.Format(*ev.Values) != want {
						continue
					}
					if ev.Settings == nil || ev.Settings.Strategy != ev.Values.Strategy {
						t.Errorf("settings event %+v: the proxy settings do not match its values", ev.Settings)
					}
					return
				case <-deadline:
					t.Fatalf("timed out after %s waiting for a settings event carrying %s = %s", testkit.WaitTimeout, def.Key, want)
				}
			}
		})
	}
}
