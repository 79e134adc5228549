package tray

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/proxy"
)

// The engine the tray is written against.
var _ Engine = (*proxy.Service)(nil)

// waitFor polls cond until it holds or a deadline passes: state changes reach
// the tray through goroutines, so there is no single moment to check at.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type installed struct {
	eng    *fakeEngine
	host   *fakeHost
	tray   *Tray
	tapped func()
	opened int
	quits  int
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
	in.tray = install(in.host, in.eng, opts, func(f func()) { in.tapped = f })
	t.Cleanup(in.tray.Close)
	return in
}

func item(t *testing.T, in *installed, label string) func() {
	t.Helper()
	_, items, _, _ := in.host.snapshot()
	for _, it := range items {
		if it.Label == label {
			return it.Action
		}
	}
	t.Fatalf("no menu item %q", label)
	return nil
}

func TestInstallShowsProxyState(t *testing.T) {
	for _, tc := range []struct {
		running bool
		labels  []string
		icon    string
	}{
		{true, []string{"Proxy: on at 127.0.0.1:8788", LabelTurnOff, "---", LabelOpen, LabelQuit}, assets.TrayOn.Name()},
		{false, []string{"Proxy: off", LabelTurnOn, "---", LabelOpen, LabelQuit}, assets.TrayOff.Name()},
	} {
		in := setup(t, tc.running, Options{})
		labels, items, icon, _ := in.host.snapshot()
		if !reflect.DeepEqual(labels, tc.labels) {
			t.Errorf("running=%v: menu %q, want %q", tc.running, labels, tc.labels)
		}
		if icon.Name() != tc.icon {
			t.Errorf("running=%v: icon %s, want %s", tc.running, icon.Name(), tc.icon)
		}
		if !items[0].Disabled {
			t.Error("status line is clickable")
		}
		if !items[len(items)-1].IsQuit {
			t.Error("Quit not marked IsQuit: Fyne would append a second Quit")
		}
		if in.tapped == nil {
			t.Error("no left-click handler installed")
		}
	}
}

func TestMenuToggleDoesWhatItSays(t *testing.T) {
	in := setup(t, true, Options{})
	turnOff := item(t, in, LabelTurnOff)
	turnOff()
	waitFor(t, "menu to show the proxy off", func() bool {
		labels, _, icon, _ := in.host.snapshot()
		return labels[0] == "Proxy: off" && labels[1] == LabelTurnOn && icon == assets.TrayOff
	})
	// A stale "Turn proxy off" clicked again must not turn the proxy back on.
	turnOff()
	time.Sleep(50 * time.Millisecond)
	if in.eng.ProxyRunning() {
		t.Fatal("stale Turn proxy off turned the proxy on")
	}
	item(t, in, LabelTurnOn)()
	waitFor(t, "menu to show the proxy on", func() bool {
		labels, _, icon, _ := in.host.snapshot()
		return labels[0] == "Proxy: on at 127.0.0.1:8788" && icon == assets.TrayOn
	})
	if starts, _ := in.eng.counts(); starts != 1 {
		t.Errorf("StartProxy called %d times, want 1", starts)
	}
}

func TestLeftClickToggles(t *testing.T) {
	in := setup(t, false, Options{})
	in.tapped()
	waitFor(t, "proxy on", in.eng.ProxyRunning)
	waitFor(t, "left click done", func() bool { return !in.tray.busy.Load() })
	in.tapped()
	waitFor(t, "proxy off", func() bool { return !in.eng.ProxyRunning() })
}

func TestOpenAndQuitCallTheApp(t *testing.T) {
	in := setup(t, true, Options{})
	item(t, in, LabelOpen)()
	item(t, in, LabelQuit)()
	if in.opened != 1 || in.quits != 1 {
		t.Errorf("opened %d, quits %d; want 1, 1", in.opened, in.quits)
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
	in.eng.publish(proxy.Event{Kind: proxy.EventRequest})
	in.eng.publish(proxy.Event{Kind: proxy.EventAccounts})
	in.eng.publish(proxy.Event{Kind: proxy.EventProxyState})
	// A change made elsewhere (the CLI, the window) reaches the tray by event.
	in.eng.mu.Lock()
	in.eng.running = false
	in.eng.mu.Unlock()
	in.eng.publish(proxy.Event{Kind: proxy.EventProxyState})
	waitFor(t, "menu to show the proxy off", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return labels[0] == "Proxy: off"
	})
	in.eng.publish(proxy.Event{Kind: proxy.EventProxyState})
	time.Sleep(50 * time.Millisecond)
	if _, _, _, after := in.host.snapshot(); after != before+1 {
		t.Errorf("menu built %d times for one change", after-before)
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
	in.eng.mu.Lock()
	in.eng.failing = boom
	in.eng.mu.Unlock()
	item(t, in, LabelTurnOff)()
	waitFor(t, "error reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got != nil
	})
	if !errors.Is(got, boom) || got.Error() != "turn proxy off: boom" {
		t.Errorf("error %q, want wrapped boom", got)
	}
	if labels, _, _, _ := in.host.snapshot(); labels[0] != "Proxy: on at 127.0.0.1:8788" {
		t.Errorf("status %q after a failed stop", labels[0])
	}
}
