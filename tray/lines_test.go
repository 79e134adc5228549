package tray

import (
	"strings"
	"testing"
	"time"

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
	got, _, _ := lines([]api.AccountView{a}, now)
	if len(got) != 1 || got[0].window != "input_tpm 30%" {
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
		s.accounts, s.usable, s.limited = lines(tc.accts, now)
		if got := s.level(); got != tc.want {
			t.Errorf("%d accounts (%d usable): level %v, want %v", len(tc.accts), s.usable, got, tc.want)
		}
		if tc.want == LevelOn && strings.Contains(s.tooltip(), "limited") {
			t.Errorf("tooltip %q speaks of limits for a paused account", s.tooltip())
		}
	}
}
