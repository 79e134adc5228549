package tray

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// The engine the tray is written against.
var _ Engine = control.Local{}

type installed struct {
	eng     *fakeEngine
	host    *fakeHost
	tray    *Tray
	tapped  func()
	mu      sync.Mutex
	tooltip string
	opened  int
	quits   int
	copied  int
}

func setup(t *testing.T, running bool, opts Options) *installed {
	t.Helper()
	test.NewTempApp(t)
	in := &installed{eng: newFakeEngine("127.0.0.1:8788", running), host: &fakeHost{}}
	if opts.OpenWindow == nil {
		opts.OpenWindow = func() { in.opened++ }
	}
	if opts.Quit == nil {
		opts.Quit = func() { in.quits++ }
	}
	if opts.CopySettings == nil {
		opts.CopySettings = func() { in.copied++ }
	}
	opts.Debounce = 10 * time.Millisecond
	in.tray = install(in.host, in.eng, opts, hooks{
		onTapped: func(f func()) { in.tapped = f },
		setTooltip: func(s string) {
			in.mu.Lock()
			defer in.mu.Unlock()
			in.tooltip = s
		},
	})
	t.Cleanup(in.tray.Close)
	return in
}

func (in *installed) tip() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.tooltip
}

func item(t *testing.T, in *installed, label string) *fyne.MenuItem {
	t.Helper()
	_, items, _, _ := in.host.snapshot()
	for _, it := range items {
		if it.Label == label {
			return it
		}
	}
	t.Fatalf("no menu item %q", label)
	return nil
}

func TestInstallShowsProxyState(t *testing.T) {
	for _, tc := range []struct {
		running bool
		labels  []string
		icon    fyne.Resource
		tooltip string
	}{
		{true, []string{LabelProxy, "Proxy: on at 127.0.0.1:8788", "---", "No accounts yet", "---", LabelCopy, LabelOpen, LabelQuit},
			assets.TrayOn, "Sluice: proxy on at 127.0.0.1:8788, no accounts yet"},
		// Off, the toggle is the same check item, unchecked.
		{false, []string{LabelProxy, "Proxy: off", "---", "No accounts yet", "---", LabelCopy, LabelOpen, LabelQuit},
			assets.TrayOff, "Sluice: proxy off, no accounts yet"},
	} {
		in := setup(t, tc.running, Options{})
		labels, items, icon, _ := in.host.snapshot()
		if !reflect.DeepEqual(labels, tc.labels) {
			t.Errorf("running=%v: menu %q, want %q", tc.running, labels, tc.labels)
		}
		if icon != tc.icon {
			t.Errorf("running=%v: icon %s, want %s", tc.running, icon.Name(), tc.icon.Name())
		}
		if items[0].Checked != tc.running {
			t.Errorf("running=%v: toggle checked %v", tc.running, items[0].Checked)
		}
		in.host.mu.Lock()
		check := in.host.check
		in.host.mu.Unlock()
		if check != items[0] {
			t.Errorf("running=%v: the check item is %v, want the toggle", tc.running, check)
		}
		if !items[1].Disabled {
			t.Error("status line is clickable")
		}
		if in.tapped == nil {
			t.Error("no left-click handler installed")
		}
		if got := in.tip(); got != tc.tooltip {
			t.Errorf("tooltip %q, want %q", got, tc.tooltip)
		}
	}
}

// TestKeepsOneMenuObject: Fyne re-applies the first menu it was given once
// the tray host is ready, so every render must go into that same object or
// a stale menu comes back (the menu said "off" while the proxy ran).
func TestKeepsOneMenuObject(t *testing.T) {
	in := setup(t, false, Options{})
	in.host.mu.Lock()
	first := in.host.menu
	in.host.mu.Unlock()
	in.tapped()
	testkit.WaitFor(t, "menu to show the proxy on", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return labels[1] == "Proxy: on at 127.0.0.1:8788"
	})
	in.host.mu.Lock()
	same := in.host.menu == first
	in.host.mu.Unlock()
	in.tray.mu.Lock() // render writes the items under it
	firstItems := first.Items
	in.tray.mu.Unlock()
	if !same {
		t.Fatal("the tray gave the host a new menu object")
	}
	if !firstItems[0].Checked || firstItems[1].Label != "Proxy: on at 127.0.0.1:8788" {
		t.Errorf("the first menu object still shows %q", firstItems[1].Label)
	}
}

func TestAccountLinesAndIconFollowTheEngine(t *testing.T) {
	in := setup(t, true, Options{})
	reset := time.Now().Add(2 * time.Hour)
	in.eng.SetAccounts(
		api.AccountView{Name: "work", State: "ok", FiveHour: api.Window{Status: "allowed", Utilization: 0.42}},
		api.AccountView{Name: "home", State: "limited", LimitedUntil: reset, FiveHour: api.Window{Status: "rejected", Utilization: 1}},
		// An API key has no 5-hour window: its fullest per-minute one shows.
		api.AccountView{Name: "ci", State: "ok", Windows: []api.Window{
			{Name: "rpm", Kind: "rpm", Status: "allowed", Utilization: 0.04},
			{Name: "input_tpm", Kind: "input_tpm", Status: "allowed", Utilization: 0.11}}},
	)
	want := []string{
		"work · 5h 42 %",
		"home · 5h 100 % · back at " + reset.Local().Format("15:04"),
		"ci · input_tpm 11 %",
	}
	testkit.WaitFor(t, "account lines", func() bool {
		labels, _, icon, _ := in.host.snapshot()
		return len(labels) == 10 && reflect.DeepEqual(labels[3:6], want) && icon == assets.TraySomeLimited
	})
	if got, want := in.tip(), "Sluice: proxy on at 127.0.0.1:8788, 2 of 3 accounts usable, 1 limited"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
	in.eng.SetAccounts(api.AccountView{Name: "home", State: "limited"})
	testkit.WaitFor(t, "all-limited icon", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayAllLimited
	})
}

func TestMenuToggleDoesWhatItSays(t *testing.T) {
	in := setup(t, true, Options{})
	turnOff := item(t, in, LabelProxy).Action
	turnOff()
	testkit.WaitFor(t, "menu to show the proxy off", func() bool {
		labels, items, icon, _ := in.host.snapshot()
		return labels[1] == "Proxy: off" && !items[0].Checked && icon == assets.TrayOff
	})
	testkit.WaitFor(t, "stop done", func() bool { return !in.tray.busy.Load() })
	// A stale checked "Proxy on" clicked again must not turn the proxy back on.
	turnOff()
	testkit.WaitFor(t, "stale click done", func() bool { return !in.tray.busy.Load() })
	if in.eng.ProxyRunning() {
		t.Fatal("stale click on a checked Proxy on turned the proxy on")
	}
	item(t, in, LabelProxy).Action()
	testkit.WaitFor(t, "menu to show the proxy on", func() bool {
		labels, items, icon, _ := in.host.snapshot()
		return labels[1] == "Proxy: on at 127.0.0.1:8788" && items[0].Checked && icon == assets.TrayOn
	})
	if starts, _ := in.eng.Counts(); starts != 1 {
		t.Errorf("StartProxy called %d times, want 1", starts)
	}
}

func TestLeftClickToggles(t *testing.T) {
	var mu sync.Mutex
	var switched []bool
	in := setup(t, false, Options{OnSwitched: func(on bool) {
		mu.Lock()
		defer mu.Unlock()
		switched = append(switched, on)
	}})
	in.tapped()
	testkit.WaitFor(t, "proxy on", in.eng.ProxyRunning)
	testkit.WaitFor(t, "left click done", func() bool { return !in.tray.busy.Load() })
	in.tapped()
	testkit.WaitFor(t, "proxy off", func() bool { return !in.eng.ProxyRunning() })
	testkit.WaitFor(t, "second click done", func() bool { return !in.tray.busy.Load() })
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(switched, []bool{true, false}) {
		t.Errorf("OnSwitched got %v, want [true false]", switched)
	}
}

func TestOpenCopyAndQuitCallTheApp(t *testing.T) {
	in := setup(t, true, Options{})
	item(t, in, LabelCopy).Action()
	item(t, in, LabelOpen).Action()
	item(t, in, LabelQuit).Action()
	if in.opened != 1 || in.quits != 1 || in.copied != 1 {
		t.Errorf("opened %d, quits %d, copied %d; want 1, 1, 1", in.opened, in.quits, in.copied)
	}
	// Once quitting, the tray must not touch systray again: Fyne stops it
	// and setting the icon then panics.
	_, _, _, before := in.host.snapshot()
	in.eng.StopProxy(context.Background())
	in.tray.refresh()
	if _, _, _, after := in.host.snapshot(); after != before {
		t.Error("menu rebuilt after Quit")
	}
}

func TestRebuildsOnlyWhenStateChanges(t *testing.T) {
	in := setup(t, true, Options{})
	_, _, _, before := in.host.snapshot()
	// Events that change nothing the tray shows must not rebuild the menu.
	in.eng.PublishEvent(api.Event{Kind: api.EventRequest})
	in.eng.PublishEvent(api.Event{Kind: api.EventAccounts})
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	// A change made elsewhere (the CLI, the window) reaches the tray by event.
	in.eng.Mu.Lock()
	in.eng.Running = false
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	testkit.WaitFor(t, "menu to show the proxy off", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return labels[1] == "Proxy: off"
	})
	// One more event, then a change: had the event rebuilt the menu, the
	// count would be off by one once the change shows.
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	in.eng.SetAccounts(api.AccountView{Name: "a", State: "ok"})
	testkit.WaitFor(t, "account line", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return labels[3] == "a · ok" // no window heard of yet
	})
	if _, _, _, after := in.host.snapshot(); after != before+2 {
		t.Errorf("menu built %d times for two changes", after-before)
	}
}

func TestToggleErrorIsReported(t *testing.T) {
	var mu sync.Mutex
	var got error
	in := setup(t, true, Options{OnError: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		got = err
	}})
	boom := errors.New("boom")
	in.eng.Mu.Lock()
	in.eng.Fail = boom
	in.eng.Mu.Unlock()
	item(t, in, LabelProxy).Action()
	testkit.WaitFor(t, "error reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got != nil
	})
	if !errors.Is(got, boom) || got.Error() != "turn proxy off: boom" {
		t.Errorf("error %q, want wrapped boom", got)
	}
	testkit.WaitFor(t, "error icon", func() bool {
		labels, _, icon, _ := in.host.snapshot()
		return labels[1] == "Proxy: on at 127.0.0.1:8788" && icon == assets.TrayError
	})
}

// A tray that cannot read the engine (its socket gone) shows the error
// icon and says so, rather than a proxy that is off; it recovers with the
// engine.
func TestLostEngineShowsTheErrorState(t *testing.T) {
	in := setup(t, true, Options{})
	in.eng.Mu.Lock()
	in.eng.Lost = fmt.Errorf("talk to the running Sluice: %w", api.ErrUnreachable)
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	testkit.WaitFor(t, "error icon", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayError
	})
	if got := in.tip(); got != "Sluice: cannot reach the engine" {
		t.Errorf("tooltip %q", got)
	}
	in.eng.Mu.Lock()
	in.eng.Lost = nil
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	testkit.WaitFor(t, "on icon again", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayOn
	})
}

func TestUnreachableUpstreamShowsTheErrorState(t *testing.T) {
	in := setup(t, true, Options{})
	in.eng.SetAccounts(api.AccountView{Name: "work", State: "ok"})
	in.eng.Mu.Lock()
	in.eng.Snap.UpstreamError = "cannot reach api.anthropic.com: the connection was refused"
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventUpstream})
	testkit.WaitFor(t, "error icon", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayError
	})
	if got := in.tip(); got != "Sluice: cannot reach api.anthropic.com: the connection was refused" {
		t.Errorf("tooltip %q", got)
	}
	in.eng.Mu.Lock()
	in.eng.Snap.UpstreamError = ""
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventUpstream})
	testkit.WaitFor(t, "on icon again", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayOn
	})
}
