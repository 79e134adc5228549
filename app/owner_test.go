package app

import (
	"os/exec"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// ownerEngine is the fake engine with ShowWindow, which publishes the
// event as the real one does.
type ownerEngine struct {
	*fakeEngine
	shows atomic.Int32
}

// CopySettingsInWindow publishes the event a window process acts on.
func (e *ownerEngine) CopySettingsInWindow() { e.publish(api.EventCopySettings) }

func (e *ownerEngine) ShowWindow() {
	e.shows.Add(1)
	e.publish(api.EventShowWindow)
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// newTestOwner is an owner whose window process is `sleep`, counting
// starts and recording notifications.
func newTestOwner(t *testing.T, eng *ownerEngine) (*owner, *atomic.Int32, func() []string) {
	t.Helper()
	var starts atomic.Int32
	var mu sync.Mutex
	var sent []string
	o := &owner{eng: eng, notes: newNotifier(),
		notify: func(title, _ string) { mu.Lock(); sent = append(sent, title); mu.Unlock() },
		opts: OwnerOptions{WindowCommand: func(args ...string) *exec.Cmd {
			starts.Add(1)
			return exec.Command("sleep", "30")
		}}}
	t.Cleanup(func() {
		o.closeWindow()
		eventually(t, "the window process gone", func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.window == nil })
	})
	return o, &starts, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), sent...) }
}

func TestOwnerKeepsOneWindowProcess(t *testing.T) {
	eng := &ownerEngine{fakeEngine: newFakeEngine(true)}
	o, starts, _ := newTestOwner(t, eng)
	events, cancel, _ := eng.Subscribe()
	defer cancel()
	// The test hands the engine's events to watch through an unbuffered
	// channel: when a send returns, watch has finished with the event
	// before it, so nothing below races the owner's own reaction.
	feed := make(chan api.Event)
	done := make(chan struct{})
	toTray := make(chan api.Event, 16)
	go func() { defer close(done); o.dispatch(feed, toTray) }()
	defer func() { close(feed); <-done }()
	settle := func() { feed <- api.Event{Kind: api.EventRequest} }

	o.openWindow()
	o.openWindow() // Open Sluice again: the running window comes forward
	if n := starts.Load(); n != 1 {
		t.Fatalf("%d window processes started, want 1", n)
	}
	if n := eng.shows.Load(); n != 1 {
		t.Errorf("ShowWindow called %d times, want 1", n)
	}
	// The owner sees its own show event too and finds the window running.
	select {
	case e := <-events:
		if e.Kind != api.EventShowWindow {
			t.Fatalf("engine published %v, want the show event", e.Kind)
		}
		feed <- e
		settle()
	case <-time.After(10 * time.Second):
		t.Fatal("no show event published")
	}
	if n := starts.Load(); n != 1 {
		t.Fatalf("the show event started a second window: %d starts", n)
	}
	// Closing the window ends its process; the next request starts one.
	o.mu.Lock()
	_ = o.window.Process.Kill()
	o.mu.Unlock()
	eventually(t, "the owner to see the window close", func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.window == nil })
	// A second `sluice` start publishes the event: the owner starts a window.
	feed <- api.Event{Kind: api.EventShowWindow, Time: time.Now()}
	settle()
	if n := starts.Load(); n != 2 {
		t.Errorf("%d window processes started after the second start, want 2", n)
	}
	if n := eng.shows.Load(); n != 1 {
		t.Errorf("the show event was republished: %d", n)
	}
}

// The owner's one event loop hands the tray what it shows (proxy,
// accounts, settings) and nothing else: a request event made the tray
// re-read every account.
func TestOwnerDispatchesByKind(t *testing.T) {
	o := &owner{notes: newNotifier()}
	feed, toTray := make(chan api.Event), make(chan api.Event, 16)
	done := make(chan struct{})
	go func() { defer close(done); o.dispatch(feed, toTray) }()
	for _, k := range []api.EventKind{api.EventRequest, api.EventProxyState, api.EventCopySettings,
		api.EventAccountState, api.EventRequest, api.EventAccounts, api.EventSettings} {
		feed <- api.Event{Kind: k}
	}
	close(feed)
	<-done
	var got []api.EventKind
	for e := range toTray { // closed by dispatch
		got = append(got, e.Kind)
	}
	want := []api.EventKind{api.EventProxyState, api.EventAccountState, api.EventAccounts, api.EventSettings}
	if !slices.Equal(got, want) {
		t.Errorf("the tray got %v, want %v", got, want)
	}
}

// Two accounts limited at once make one bubble, through the owner's reads
// (fed by the tray): "2 accounts limited: personal (back 17:00), team
// (back 18:30)"; the same state read again says nothing more.
func TestOwnerNotifiesABurstOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex // the burst's timer sends on a goroutine of its own
		var bubbles [][2]string
		o := &owner{notes: newNotifier(), notify: func(title, body string) {
			mu.Lock()
			defer mu.Unlock()
			bubbles = append(bubbles, [2]string{title, body})
		}}
		sent := func() [][2]string { mu.Lock(); defer mu.Unlock(); return slices.Clone(bubbles) }
		day := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.Local) }
		o.notes.now = func() time.Time { return day(15, 48) } // synctest's clock starts in 2000
		accts := []api.AccountView{
			{ID: "1", Name: "personal", State: api.StateOK},
			{ID: "2", Name: "team", State: api.StateOK},
			{ID: "3", Name: "work", State: api.StateOK},
		}
		snap := func() api.Snapshot {
			return api.Snapshot{ProxyRunning: true, Accounts: slices.Clone(accts)}
		}
		o.read(snap()) // the baseline: starting is not news
		accts[0].State, accts[0].LimitedUntil = api.StateLimited, day(17, 0)
		o.read(snap())
		time.Sleep(40 * time.Millisecond) // the second limit lands within the burst
		accts[1].State, accts[1].LimitedUntil = api.StateLimited, day(18, 30)
		o.read(snap())
		synctest.Wait()
		if got := sent(); len(got) != 0 {
			t.Fatalf("sent %q before the burst was over", got)
		}
		time.Sleep(notifyBurst)
		synctest.Wait()
		want := [][2]string{{"Sluice: 2 accounts limited", "2 accounts limited: personal (back 17:00), team (back 18:30)"}}
		if got := sent(); !slices.Equal(got, want) {
			t.Fatalf("sent %q, want %q", got, want)
		}
		o.read(snap()) // the same state again
		time.Sleep(2 * notifyBurst)
		synctest.Wait()
		if got := sent(); len(got) != 1 {
			t.Errorf("the same state was told again: %q", got[1:])
		}
	})
}

// A limit that lifts on another day says the day: "at 17:00" would be
// read as today's.
func TestNotifierSaysTheDayOfALaterReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newNotifier()
		monday := time.Date(2026, 12, 7, 15, 48, 0, 0, time.Local)
		n.now = func() time.Time { return monday }
		var mu sync.Mutex
		var body string
		send := func(_, b string) { mu.Lock(); defer mu.Unlock(); body = b }
		a := api.AccountView{ID: "1", Name: "work", State: api.StateOK}
		b := api.AccountView{ID: "2", Name: "home", State: api.StateOK}
		n.accounts([]api.AccountView{a, b}, send)
		a.State, a.LimitedUntil = api.StateLimited, monday.Add(49*time.Hour)
		n.accounts([]api.AccountView{a, b}, send)
		time.Sleep(notifyBurst)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if want := "work reached a usage limit; it is back on Wed 16:48."; body != want {
			t.Errorf("body %q, want %q", body, want)
		}
	})
}
