package tray

import (
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// A menu line shows a window as it is now: one whose reset has passed
// since the last answer is a fresh window, not the full one it was.
func TestAccountLineShowsAWindowPastItsResetAsFresh(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 30, 0, time.UTC)
	a := api.AccountView{Name: "ci", State: "ok", Windows: []api.Window{
		{Name: "rpm", Kind: "rpm", Status: "rejected", Utilization: 1, ResetsAt: now.Add(-10 * time.Second)},
		{Name: "input_tpm", Kind: "input_tpm", Status: "allowed", Utilization: 0.3, ResetsAt: now.Add(30 * time.Second)},
	}}
	got, _, _ := lines([]api.AccountView{a}, now, "")
	if len(got) != 1 || got[0].window != "input_tpm 30 %" {
		t.Errorf("line %+v, want the input tokens window at 30%% (rpm reset 10 s ago)", got)
	}
}

// A paused account is the user's choice, not a limit: it neither turns the
// icon amber nor makes the tooltip say accounts are limited. A limited
// account next to it still does.
func TestPausedAccountIsNotLimited(t *testing.T) {
	now := time.Now()
	ok := api.AccountView{Name: "work", State: api.StateOK}
	paused := api.AccountView{Name: "spare", State: api.StatePaused, Paused: true}
	limited := api.AccountView{Name: "home", State: api.StateLimited}
	for _, tc := range []struct {
		accts []api.AccountView
		want  Level
	}{
		{[]api.AccountView{ok, paused}, LevelOn},
		{[]api.AccountView{paused}, LevelOn},
		{[]api.AccountView{ok, paused, limited}, LevelSomeLimit},
		{[]api.AccountView{paused, limited}, LevelAllLimited},
	} {
		s := state{running: true, addr: "127.0.0.1:8788"}
		s.accounts, s.usable, s.limited = lines(tc.accts, now, "")
		if got := s.level(); got != tc.want {
			t.Errorf("%d accounts (%d usable): level %v, want %v", len(tc.accts), s.usable, got, tc.want)
		}
		if tc.want == LevelOn && strings.Contains(s.tooltip(), "limited") {
			t.Errorf("tooltip %q speaks of limits for a paused account", s.tooltip())
		}
	}
}

// The account line: the chosen window's figure, then its reset as a
// countdown, or when a spent account is back (local time), at a fixed
// clock.
func TestAccountLineText(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 48, 0, 0, time.Local)
	at := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.Local) }
	personal := api.AccountView{Name: "personal", State: api.StateOK, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.72, ResetsAt: now.Add(72 * time.Minute)},
		{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.31, ResetsAt: now.Add(50 * time.Hour)},
		{Name: "7d_opus", Kind: "weekly", Scope: "opus", Status: "allowed", Utilization: 0.9, ResetsAt: now.Add(26 * time.Hour)},
	}}
	spent := api.AccountView{Name: "team", State: api.StateLimited, LimitedUntil: at(17, 0), Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "rejected", Utilization: 1, ResetsAt: at(17, 0)},
	}}
	// Spent by the window's figure although the pool has not benched it yet.
	full := api.AccountView{Name: "full", State: api.StateOK, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed_warning", Utilization: 1, ResetsAt: at(18, 30)},
	}}
	// At this pace the 5-hour window is spent at 15:40, 50 min before
	// its reset; the week's pace is no worry (no RunsOutAt).
	burning := api.AccountView{Name: "personal", State: api.StateOK, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.72, ResetsAt: at(16, 30).Add(24 * time.Hour), RunsOutAt: at(15, 40).Add(24 * time.Hour)},
		{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.31, ResetsAt: now.Add(50 * time.Hour), PerHour: 0.001},
	}}
	burningToday := api.AccountView{Name: "personal", State: api.StateWarning, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed_warning", Utilization: 0.8, ResetsAt: at(17, 30), RunsOutAt: at(16, 40)},
	}}
	// A forecast past the reset, or one gone stale, is not shown.
	stale := api.AccountView{Name: "personal", State: api.StateOK, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.5, ResetsAt: at(17, 30), RunsOutAt: at(15, 0)},
	}}
	paused := api.AccountView{Name: "spare", State: api.StatePaused, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.05, ResetsAt: now.Add(30 * time.Second)},
	}}
	for _, tc := range []struct {
		pick string
		a    api.AccountView
		want string
	}{
		{"5h", personal, "personal · 5h 72 % · resets 1 h 12 m"},
		{"7d", personal, "personal · 7d 31 % · resets 2 d 2 h"},
		{"7d_opus", personal, "personal · 7d_opus 90 % · resets 1 d 2 h"},
		{"opus", personal, "personal · 7d_opus 90 % · resets 1 d 2 h"},
		{"closest", personal, "personal · 7d_opus 90 % · resets 1 d 2 h"},
		{"", personal, "personal · 7d_opus 90 % · resets 1 d 2 h"},
		{"7d_sonnet", personal, "personal · 7d_opus 90 % · resets 1 d 2 h"}, // no such window: the closest
		{"closest", spent, "team · 5h 100 % · back at 17:00"},
		{"5h", burning, "personal · 5h 72 % · resets 1 d 0 h · runs out Tue 15:40"},
		{"closest", burningToday, "personal · 5h 80 % · resets 1 h 42 m · runs out 16:40"},
		{"closest", stale, "personal · 5h 50 % · resets 1 h 42 m"},
		{"closest", full, "full · 5h 100 % · back at 18:30"},
		{"closest", paused, "spare · 5h 5 % · paused"},
		{"closest", api.AccountView{Name: "new", State: api.StateOK}, "new · ok"},
		// Spent for days: the day is said, not a time read as today's.
		{"closest", api.AccountView{Name: "week", State: api.StateLimited, LimitedUntil: at(17, 0).Add(48 * time.Hour)},
			"week · back Wed 17:00"},
	} {
		if got := line(tc.a, now, tc.pick).text(); got != tc.want {
			t.Errorf("tray-window %q, %s: %q, want %q", tc.pick, tc.a.Name, got, tc.want)
		}
	}
	for d, want := range map[time.Duration]string{
		30 * time.Second: "< 1 m", 61 * time.Second: "2 m", 59 * time.Minute: "59 m", time.Hour: "1 h 0 m",
	} {
		if got := countdown(d); got != want {
			t.Errorf("countdown(%v) = %q, want %q", d, got, want)
		}
	}
}

// A proxy that could not start shows the error icon with the reason in
// the tooltip, not a plain "off".
func TestStartErrorShowsTheErrorState(t *testing.T) {
	in := setup(t, false, Options{})
	in.eng.Mu.Lock()
	in.eng.Snap.StartError = "cannot listen on 127.0.0.1:8788: port already in use"
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState})
	testkit.WaitFor(t, "error icon", func() bool {
		_, _, icon, _ := in.host.snapshot()
		return icon == assets.TrayError
	})
	if got, want := in.tip(), "Sluice: the proxy could not start: cannot listen on 127.0.0.1:8788: port already in use"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
}

// The tooltip names the address after "on", never after "limited".
func TestTooltipWording(t *testing.T) {
	s := state{running: true, addr: "127.0.0.1:8788", usable: 1, limited: 1, accounts: make([]accountLine, 2)}
	if got, want := s.tooltip(), "Sluice: proxy on at 127.0.0.1:8788, 1 of 2 accounts usable, 1 limited"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
}

// A proxy-state event carries the proxy's state: the tray shows it
// without reading every account again, and a request event makes it read
// nothing.
func TestProxyEventNeedsNoRead(t *testing.T) {
	in := setup(t, false, Options{})
	reads := func() int { in.eng.Mu.Lock(); defer in.eng.Mu.Unlock(); return in.eng.SnapshotReads }
	before := reads()
	in.eng.PublishEvent(api.Event{Kind: api.EventRequest})
	in.eng.PublishEvent(api.Event{Kind: api.EventProxyState, Proxy: &api.ProxyState{Running: true, Addr: "127.0.0.1:9999"}})
	testkit.WaitFor(t, "the menu to show the event's state", func() bool {
		labels, _, icon, _ := in.host.snapshot()
		return labels[1] == "Proxy: on at 127.0.0.1:9999" && icon == assets.TrayOn
	})
	if n := reads() - before; n != 0 {
		t.Errorf("%d Snapshot reads for a request and a proxy event, want 0", n)
	}
}
