package owner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// newTestOwner is an owner whose window process is `sleep`, counting
// starts and recording notifications.
func newTestOwner(t *testing.T, eng *ownerEngine) (*owner, *atomic.Int32, func() []string) {
	t.Helper()
	var starts atomic.Int32
	var mu sync.Mutex
	var sent []string
	o := &owner{eng: eng, notes: NewNotifier(),
		notify: func(title, _ string) { mu.Lock(); sent = append(sent, title); mu.Unlock() },
		opts: Options{WindowCommand: func(args ...string) *exec.Cmd {
			starts.Add(1)
			return exec.Command("sleep", "30")
		}}}
	t.Cleanup(func() {
		o.closeWindow()
		testkit.WaitFor(t, "the window process gone", func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.window == nil })
	})
	return o, &starts, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), sent...) }
}

func TestOwnerKeepsOneWindowProcess(t *testing.T) {
	eng := newOwnerEngine(true)
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
	testkit.WaitFor(t, "the owner to see the window close", func() bool { o.mu.Lock(); defer o.mu.Unlock(); return o.window == nil })
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
	o := &owner{notes: NewNotifier()}
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
		o := &owner{notes: NewNotifier(), notify: func(title, body string) {
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
		n := NewNotifier()
		monday := time.Date(2026, 12, 7, 15, 48, 0, 0, time.Local)
		n.now = func() time.Time { return monday }
		var mu sync.Mutex
		var body string
		send := func(_, b string) { mu.Lock(); defer mu.Unlock(); body = b }
		a := api.AccountView{ID: "1", Name: "work", State: api.StateOK}
		b := api.AccountView{ID: "2", Name: "home", State: api.StateOK}
		n.Accounts([]api.AccountView{a, b}, send)
		a.State, a.LimitedUntil = api.StateLimited, monday.Add(49*time.Hour)
		n.Accounts([]api.AccountView{a, b}, send)
		time.Sleep(notifyBurst)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if want := "work reached a usage limit; it is back on Wed 16:48."; body != want {
			t.Errorf("body %q, want %q", body, want)
		}
	})
}

// Started with --background (as at login), the owner opens no window:
// the tray only. Started plainly it shows the window.
func TestBackgroundStartShowsNoWindow(t *testing.T) {
	if showAtStart(Options{Hidden: true}) {
		t.Fatal("a --background start would open the window")
	}
	if !showAtStart(Options{}) {
		t.Fatal("a plain start would not open the window")
	}
}

// Without a tray host the window is the app: Run starts the proxy and the
// window process, and returns once the user closed the window, with the
// proxy stopped.
func TestWithoutATrayTheWindowIsTheApp(t *testing.T) {
	t.Setenv("DISPLAY", ":0")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/sluice-no-bus")
	eng := newOwnerEngine(false)
	pidFile := filepath.Join(t.TempDir(), "window.pid")
	var calls atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- Run(eng, Options{StartProxy: true, WindowCommand: func(args ...string) *exec.Cmd {
			calls.Add(1)
			return exec.Command("sh", "-c", `echo $$ > "$0"; exec sleep 30`, pidFile)
		}})
	}()
	var pid int
	testkit.WaitFor(t, "the window process", func() bool {
		b, err := os.ReadFile(pidFile)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return err == nil && pid > 0
	})
	testkit.WaitFor(t, "the proxy on", func() bool { s, _ := eng.Snapshot(context.Background()); return s.ProxyRunning })
	select {
	case err := <-done:
		t.Fatalf("Run returned while the window was open: %v", err)
	default:
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil { // the user closes the window
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once the window was closed")
	}
	if s, _ := eng.Snapshot(context.Background()); s.ProxyRunning {
		t.Error("the proxy still runs after the window-only app ended")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d window processes, want 1", n)
	}
}

// A missing window program ends the window-only app with an error that
// names it, rather than leaving an invisible engine running.
func TestWithoutATrayAMissingWindowProgramIsAnError(t *testing.T) {
	t.Setenv("DISPLAY", ":0")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/sluice-no-bus")
	eng := newOwnerEngine(false)
	err := Run(eng, Options{StartProxy: true, WindowCommand: func(args ...string) *exec.Cmd {
		cmd := exec.Command("sluice-window")
		cmd.Err = errors.New("sluice-window not found")
		return cmd
	}})
	if err == nil || !strings.Contains(err.Error(), "sluice-window not found") {
		t.Fatalf("Run: %v, want the missing program named", err)
	}
	if s, _ := eng.Snapshot(context.Background()); s.ProxyRunning {
		t.Error("the proxy still runs")
	}
}

// Without a tray, which reads the accounts for the notifier otherwise, the
// owner reads them on the engine's events: an account that hits its limit
// is still told in a notification.
func TestWithoutATrayAccountsAreStillNotified(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := newOwnerEngine(true)
		eng.Accts = []api.AccountView{{ID: "1", Name: "work", State: api.StateOK}, {ID: "2", Name: "home", State: api.StateOK}}
		var mu sync.Mutex
		var titles []string
		o := &owner{eng: eng, notes: NewNotifier(), notify: func(title, _ string) {
			mu.Lock()
			defer mu.Unlock()
			titles = append(titles, title)
		}}
		events := make(chan api.Event, 16)
		done := make(chan struct{})
		go func() { defer close(done); o.readOnEvents(events) }()
		synctest.Wait() // the baseline read
		eng.Mu.Lock()
		eng.Accts[0].State = api.StateLimited
		eng.Mu.Unlock()
		events <- api.Event{Kind: api.EventAccountState, AccountID: "1"}
		synctest.Wait()
		time.Sleep(notifyBurst)
		synctest.Wait()
		close(events)
		<-done
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(titles, []string{"Sluice: work is limited"}) {
			t.Errorf("notified %q, want work's limit", titles)
		}
	})
}

// A window started by hand (`sluice window`, holding the window lock) is
// the one window: a second `sluice` start, the tray's Open and the tray's
// Copy start no window process beside it; the copy is done by that window.
func TestOwnerLeavesAHandStartedWindowAlone(t *testing.T) {
	eng := newOwnerEngine(true)
	o, starts, _ := newTestOwner(t, eng)
	o.opts.WindowOpen = func() bool { return true }
	o.clip = func(string) error { return errors.New("no clipboard program") }
	events, cancel, _ := eng.Subscribe()
	defer cancel()
	feed := make(chan api.Event)
	done := make(chan struct{})
	go func() { defer close(done); o.dispatch(feed, make(chan api.Event, 16)) }()
	defer func() { close(feed); <-done }()

	feed <- api.Event{Kind: api.EventShowWindow} // a second `sluice` start
	feed <- api.Event{Kind: api.EventRequest}    // dispatch is through with it
	o.openWindow()
	o.copySettings()
	if n := starts.Load(); n != 0 {
		t.Fatalf("%d window processes started beside the open one", n)
	}
	var got []api.EventKind
	for len(got) < 2 {
		select {
		case e := <-events:
			got = append(got, e.Kind)
		case <-time.After(10 * time.Second):
			t.Fatalf("events %v, want show-window and copy-settings", got)
		}
	}
	if want := []api.EventKind{api.EventShowWindow, api.EventCopySettings}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

// The tray's Copy carries the connection key, which survives restarts,
// also once the first key's secret is gone, and says so when the engine
// had to make a new one.
func TestOwnerCopiesTheConnectionKey(t *testing.T) {
	eng := newOwnerEngine(true)
	o, starts, sent := newTestOwner(t, eng)
	var copied string
	o.clip = func(text string) error { copied = text; return nil }
	o.copySettings()
	if want := ConnectionSettings("127.0.0.1:8788", "sk-sluice-fake-connection"); copied != want {
		t.Errorf("copied %q, want %q", copied, want)
	}
	if got := sent(); !slices.Equal(got, []string{"Sluice: connection settings copied with a new key"}) {
		t.Errorf("notifications %q, want the new key's", got)
	}
	if n := starts.Load(); n != 0 {
		t.Errorf("%d window processes started for a copy the clipboard program did", n)
	}
}

// A window that is quitting lets go of the window lock before its process
// ends (cli.WindowFlags.Going). "Open Sluice" meanwhile starts a new
// window: asking the one on its way out to come forward did nothing. A
// window still starting (not yet holding the lock) is waited for, not
// met by a second one.
func TestOpenWhileTheWindowQuitsStartsANewOne(t *testing.T) {
	eng := newOwnerEngine(true)
	o, starts, _ := newTestOwner(t, eng)
	var locked atomic.Bool // the window lock, as the window process holds it
	o.opts.WindowOpen = locked.Load
	// The window takes its lock a moment after it starts, as sluice-window
	// does after dialing the engine.
	cmd := o.opts.WindowCommand
	o.opts.WindowCommand = func(args ...string) *exec.Cmd {
		go func() { time.Sleep(50 * time.Millisecond); locked.Store(true) }()
		return cmd(args...)
	}

	o.openWindow()
	o.openWindow() // again, just after: the first holds the lock by now
	if n := starts.Load(); n != 1 {
		t.Fatalf("%d window processes started, want 1", n)
	}
	if n := eng.shows.Load(); n != 1 {
		t.Fatalf("ShowWindow called %d times, want 1 (the second Open)", n)
	}
	o.mu.Lock()
	first, firstExited := o.window, o.exited
	o.mu.Unlock()

	// The window quits: it lets go of its lock, its process still runs.
	locked.Store(false)
	o.openWindow()
	if n := starts.Load(); n != 2 {
		t.Fatalf("Open while the window quits: %d window processes started, want 2 (a new one)", n)
	}
	if n := eng.shows.Load(); n != 1 {
		t.Errorf("Open while the window quits asked the quitting window to come forward (%d shows)", n)
	}
	// The first process ending leaves the new one the owner's window.
	_ = first.Process.Kill()
	select {
	case <-firstExited:
	case <-time.After(testkit.WaitTimeout):
		t.Fatal("the first window process did not end")
	}
	o.mu.Lock()
	current := o.window
	o.mu.Unlock()
	if current == nil || current == first {
		t.Errorf("after the old window ended the owner's window is %v, want the new one", current)
	}
}

// A window process that ends without taking the lock (it found another
// window open, or failed) ends launch's wait at once: the wait must not
// hold the owner until its timeout.
func TestLaunchDoesNotWaitForAWindowThatEnded(t *testing.T) {
	eng := newOwnerEngine(true)
	o, starts, _ := newTestOwner(t, eng)
	o.opts.WindowOpen = func() bool { return false }
	o.opts.WindowCommand = func(args ...string) *exec.Cmd {
		starts.Add(1)
		return exec.Command("true")
	}
	done := make(chan struct{})
	go func() { defer close(done); o.openWindow() }()
	select {
	case <-done:
	case <-time.After(windowStartTimeout / 2):
		t.Fatalf("Open waited %s for a window process that had ended", windowStartTimeout/2)
	}
	if n := starts.Load(); n != 1 {
		t.Errorf("%d window processes started, want 1", n)
	}
}
