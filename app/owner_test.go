package app

import (
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
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
	go func() { defer close(done); o.watch(feed) }()
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

func TestOwnerNotifiesOncePerChange(t *testing.T) {
	a := api.AccountView{ID: "a1", Name: "work", State: "ok"}
	eng := &ownerEngine{fakeEngine: newFakeEngine(true, a)}
	o, _, sent := newTestOwner(t, eng)
	events, cancel, _ := eng.Subscribe()
	done := make(chan struct{})
	go func() { defer close(done); o.watch(events) }()
	defer func() { cancel(); <-done }()

	eventually(t, "the baseline read", func() bool { o.notes.mu.Lock(); defer o.notes.mu.Unlock(); return o.notes.known })
	eng.change(func(f *fakeEngine) { f.accounts[0].State = "limited" })
	eng.publish(api.EventAccountState)
	eng.publish(api.EventAccountState)
	eventually(t, "the limited notification", func() bool { return len(sent()) >= 2 })
	// Another event re-reads the same state: nothing new to say.
	reads := func() int { eng.mu.Lock(); defer eng.mu.Unlock(); return eng.reads }
	before := reads()
	eng.publish(api.EventAccountState)
	eventually(t, "the re-read", func() bool { return reads() > before })
	want := []string{"Sluice: work is limited", "Sluice: every account is limited"}
	got := sent()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("sent %q, want %q", got, want)
	}
}
