package app

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

func TestRealEngineSettingsChangeReachesTheEngine(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	if v.settings.capture.Checked {
		t.Fatal("capture on by default")
	}
	if !slices.Contains(texts(w), "file") {
		t.Error("Settings does not say which keyring backend holds the credentials (file)")
	}
	test.Tap(v.settings.capture)
	v.settings.reqAge.SetText("3")
	v.settings.maxDB.SetText("none")
	test.Tap(button(t, w, "Save"))
	ui.waitFor(t, "saved", showing(w, "Saved."))
	st := e.svc.Settings()
	if !st.Capture || st.RequestMaxAge != 3*24*time.Hour || st.MaxDBBytes >= 0 {
		t.Errorf("engine settings %+v", st)
	}
	v.settings.reqAge.SetText("soon")
	test.Tap(button(t, w, "Save"))
	ui.waitFor(t, "refused", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "Keep requests: a number of days") })
	})
	test.Tap(button(t, w, "Clean up now"))
	ui.waitFor(t, "cleaned", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "Cleaned up:") })
	})
}

// A box applies when ticked, as every checkbox of the tab does: payload
// capture no longer waits for Save, and a half-typed field is not sent
// with it.
func TestRealEngineCaptureBoxAppliesAtOnce(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	v.settings.reqAge.SetText("soon") // half typed: not for the engine
	test.Tap(v.settings.capture)
	ui.waitFor(t, "capture on in the engine", func() bool { return e.svc.Settings().Capture })
	ui.waitFor(t, "said so", showing(w, "Payload capture is on."))
	if e.svc.Settings().RequestMaxAge <= 0 {
		t.Error("the half-typed retention went with the box")
	}
}

func TestRealEngineCapturedPayloadInTheDetailPane(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{})
	ctx := context.Background()
	if _, err := e.svc.AddAPIKey(ctx, "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	st := e.svc.Settings()
	st.Capture = true
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	v, _, ui := shown(t, control.NewLocal(e.svc))
	if got := e.message(t); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	ui.waitFor(t, "the request", func() bool { return len(v.logs.rows) == 1 && v.logs.rows[0].HasPayload })
	v.logs.table.Select(widget.TableCellID{Row: 0, Col: 0})
	ui.waitFor(t, "the payload", func() bool { return strings.Contains(v.logs.detail.Text, `"content":"hi"`) })
}

func TestRealEngineKeysCreateRevealRevokeAndRequire(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "the first key listed", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "default") || strings.Contains(s, "sk-sluice-") })
	})
	v.settings.keys.name.SetText("laptop")
	test.Tap(button(t, w, "Create key"))
	ui.waitFor(t, "the reveal", showing(w, "Key laptop", "Copy key"))
	test.Tap(button(t, w, "Copy key"))
	secret := fyne.CurrentApp().Clipboard().Content()
	if !strings.HasPrefix(secret, "sk-sluice-") {
		t.Fatalf("copied %q", secret)
	}
	keys, _ := e.svc.Keys(context.Background())
	if !slices.ContainsFunc(keys, func(k api.KeyView) bool { return k.Name == "laptop" && !k.Revoked }) {
		t.Fatalf("keys %+v", keys)
	}
	// The window now hands that key out.
	if v.token != secret {
		t.Error("the created key is not the one the connection settings use")
	}
	test.Tap(button(t, w, "Done"))
	test.Tap(v.settings.keys.require)
	ui.waitFor(t, "the warning", func() bool { return v.settings.keys.warning.Visible() })
	ui.waitFor(t, "keys optional in the engine", func() bool { return !e.svc.RequireKey() })
}

// Changing the port in Settings moves the running proxy: the new address
// answers, and the tab says what clients must now use.
func TestRealEngineChangePortFromSettings(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.port.Text != "" })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	v.settings.port.SetText(strconv.Itoa(p))
	test.Tap(button(t, w, "Change port"))
	ui.waitFor(t, "the port change", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "The proxy now uses port "+strconv.Itoa(p)) })
	})
	if want := net.JoinHostPort("127.0.0.1", strconv.Itoa(p)); e.svc.Addr() != want {
		t.Fatalf("engine listens on %s, want %s", e.svc.Addr(), want)
	}
	resp, err := http.Get("http://" + e.svc.Addr() + "/health")
	if err != nil {
		t.Fatalf("the new port does not answer: %v", err)
	}
	resp.Body.Close()
	v.settings.port.SetText("http")
	test.Tap(button(t, w, "Change port"))
	ui.waitFor(t, "refused", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "Port: a number") })
	})
}
