package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
)

var (
	work = api.AccountView{ID: "a1", Name: "work", Kind: "oauth", State: "ok",
		Windows: []api.Window{
			{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.42},
			{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.071}}}
	spare = api.AccountView{ID: "a2", Name: "spare", Kind: "api-key", State: "limited",
		LimitedUntil: time.Date(2026, 3, 1, 14, 5, 0, 0, time.Local)}
)

// shown starts a view of eng in a test window and returns it with the UI
// loop that drives it.
func shown(t *testing.T, eng Engine) (*view, fyne.Window, *uiLoop) {
	t.Helper()
	test.NewTempApp(t)
	ui := newUILoop()
	v := newView(eng, ui.do)
	v.debounce = 10 * time.Millisecond
	w := test.NewTempWindow(t, v.content())
	w.Resize(WindowSize)
	w.Canvas().SetOnTypedKey(v.typedKey)
	v.win = w
	events, cancel, err := eng.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.watch(events)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return v, w, ui
}

// visible lists what the window and its dialogs show, dialogs last (the
// topmost at the end): it walks the rendered tree, skipping hidden subtrees.
func visible(w fyne.Window) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch o := o.(type) {
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c)
			}
		}
	}
	walk(w.Content())
	for _, o := range w.Canvas().Overlays().List() {
		walk(o)
	}
	return out
}

// texts lists the visible text in the window and its dialogs, as a user
// would read it.
func texts(w fyne.Window) []string {
	var out []string
	for _, o := range visible(w) {
		if o, ok := o.(*canvas.Text); ok && o.Text != "" {
			out = append(out, o.Text)
		}
	}
	return out
}

// showing reports whether every want is among the window's texts.
func showing(w fyne.Window, want ...string) func() bool {
	return func() bool {
		got := texts(w)
		for _, s := range want {
			if !slices.Contains(got, s) {
				return false
			}
		}
		return true
	}
}

func TestWindowShowsProxyAndAccounts(t *testing.T) {
	eng := newFakeEngine(true, work, spare)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "status and accounts", showing(w,
		"Proxy on at 127.0.0.1:8788", "Turn proxy off",
		"work", "Claude subscription", "ok", "5-hour", "42%", "Weekly", "7%",
		"spare", "Console API key", "limited until 14:05", "–",
		AddAccountHint))
	if v.toggle.Disabled() {
		t.Error("toggle disabled once the state is known")
	}
	if slices.Contains(texts(w), "No accounts yet") {
		t.Error("empty-list note shown next to accounts")
	}
}

func TestWindowWithoutAccountsSaysHowToAdd(t *testing.T) {
	_, w, ui := shown(t, newFakeEngine(false))
	ui.waitFor(t, "empty state", showing(w, "Proxy off", "Turn proxy on", "No accounts yet", "Add an account",
		"export ANTHROPIC_BASE_URL=http://127.0.0.1:8788", "export ANTHROPIC_AUTH_TOKEN=<your client key>"))
	if !slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "No client key to show") }) {
		t.Errorf("no hint where keys come from: %q", texts(w))
	}
}

// The key made on first start is the one to paste, with a banner to copy
// it until dismissed.
func TestFirstKeyBannerUntilDismissed(t *testing.T) {
	eng := newFakeEngine(false)
	eng.firstKey = "sk-sluice-first-0123456789"
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the first key", showing(w, "export ANTHROPIC_AUTH_TOKEN=sk-sluice-first-0123456789", "Dismiss"))
	if slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "No client key to show") }) {
		t.Error("the no-key hint shows next to a key")
	}
	test.Tap(button(t, w, "Dismiss"))
	ui.waitFor(t, "banner gone", func() bool { return !v.first.Visible() })
	ui.waitFor(t, "dismissed in the engine", func() bool { _, _, ok, _ := eng.FirstKey(context.Background()); return !ok })
}

func TestWindowFollowsEngineEvents(t *testing.T) {
	eng := newFakeEngine(true, work)
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "first account", showing(w, "work"))

	eng.change(func(f *fakeEngine) { f.Accts = append(f.Accts, spare) })
	eng.Publish(api.EventAccounts)
	ui.waitFor(t, "added account", showing(w, "work", "spare", "limited until 14:05"))

	eng.change(func(f *fakeEngine) {
		f.Accts[0].State = "warning"
		// A fresh slice: the old one is shared with the package's work.
		f.Accts[0].Windows = slices.Clone(f.Accts[0].Windows)
		f.Accts[0].Windows[0].Utilization = 0.93
	})
	eng.Publish(api.EventAccountState)
	ui.waitFor(t, "new limits", showing(w, "warning", "93%"))

	// Turned off elsewhere (the CLI, the tray): the window follows.
	eng.change(func(f *fakeEngine) { f.Running = false })
	eng.Publish(api.EventProxyState)
	ui.waitFor(t, "proxy off", showing(w, "Proxy off", "Turn proxy on"))
}

func TestToggleButtonStopsAndStarts(t *testing.T) {
	eng := newFakeEngine(true)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "proxy on", showing(w, "Turn proxy off"))

	test.Tap(v.toggle)
	if !v.toggle.Disabled() {
		t.Error("toggle stays enabled while the proxy stops")
	}
	ui.waitFor(t, "proxy off", showing(w, "Proxy off", "Turn proxy on"))
	if _, stops := eng.Counts(); stops != 1 {
		t.Fatalf("StopProxy called %d times, want 1", stops)
	}

	ui.waitFor(t, "toggle enabled", func() bool { return !v.toggle.Disabled() })
	test.Tap(v.toggle)
	ui.waitFor(t, "proxy on", showing(w, "Proxy on at 127.0.0.1:8788", "Turn proxy off"))
	if starts, _ := eng.Counts(); starts != 1 {
		t.Fatalf("StartProxy called %d times, want 1", starts)
	}
}

func TestProblemsAreShown(t *testing.T) {
	eng := newFakeEngine(false, work)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "account", showing(w, "work"))

	eng.change(func(f *fakeEngine) { f.Fail = errBoom })
	test.Tap(v.toggle)
	ui.waitFor(t, "start failure", showing(w, "turn proxy on: boom", "Proxy off"))

	eng.change(func(f *fakeEngine) { f.Fail, f.AccountsErr = nil, errBoom })
	eng.Publish(api.EventAccounts)
	ui.waitFor(t, "read failure", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.Contains(s, "read accounts: boom") })
	})
	if !slices.Contains(texts(w), "work") {
		t.Error("accounts vanished when a re-read failed")
	}

	eng.change(func(f *fakeEngine) { f.AccountsErr = nil })
	test.Tap(v.toggle)
	ui.waitFor(t, "problems cleared", func() bool { return !v.problem.Visible() && showing(w, "Proxy on at 127.0.0.1:8788")() })
}

func TestEventBurstIsCoalesced(t *testing.T) {
	eng := newFakeEngine(true, work)
	v, w, ui := shown(t, eng)
	v.debounce = 100 * time.Millisecond
	ui.waitFor(t, "account", showing(w, "work"))
	ui.settle()

	applied := 0
	v.do = func(f func()) { ui.do(func() { applied++; f() }) }
	for range 10 {
		eng.Publish(api.EventRequest)
	}
	ui.settle()
	if applied == 0 || applied > 2 {
		t.Errorf("10 events applied %d times, want 1 (2 at a debounce boundary)", applied)
	}
}
