package app

import (
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

func TestResetsIn(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Time{}, ""},
		{now.Add(-time.Minute), "reset since the last answer"},
		{now.Add(20 * time.Second), "resets in < 1 m"},
		{now.Add(14*time.Minute + 20*time.Second), "resets in 14 m"},
		{now.Add(2*time.Hour + 14*time.Minute), "resets in 2 h 14 m"},
		{now.Add(75 * time.Hour), "resets in 3 d 3 h"},
	} {
		if got := resetsIn(tc.at, now); got != tc.want {
			t.Errorf("resetsIn(%v) = %q, want %q", tc.at.Sub(now), got, tc.want)
		}
	}
}

func TestWindowsOfListsKnownPerModelCaps(t *testing.T) {
	a := api.AccountView{Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.1},
		{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.3},
		{Name: "7d_sonnet", Kind: "weekly", Scope: "sonnet", Status: "allowed", Utilization: 0.2},
	}}
	var labels []string
	for _, w := range windowsOf(a) {
		labels = append(labels, w.Label)
	}
	if want := []string{"5-hour", "Weekly", "Weekly Sonnet"}; len(labels) != 3 || labels[2] != want[2] {
		t.Errorf("windows %q, want %q", labels, want)
	}
	for _, tc := range []struct {
		w    api.Window
		want level
	}{
		{api.Window{}, levelUnknown},
		{api.Window{Status: "allowed", Utilization: 0.3}, levelLow},
		{api.Window{Status: "allowed_warning", Utilization: 0.5}, levelHigh},
		{api.Window{Status: "allowed", Utilization: 0.95}, levelFull},
		{api.Window{Status: "rejected", Utilization: 0.4}, levelFull},
	} {
		if got := levelOf(tc.w); got != tc.want {
			t.Errorf("levelOf(%+v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// A window past its reset is shown as the fresh window it now is, not with
// the figure of the answer before the reset; one still running keeps its.
func TestCurrentWindowAfterItsReset(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	full := api.Window{Name: "requests", Kind: "rpm", Status: "rejected", Utilization: 1}
	past, running := full, full
	past.ResetsAt, running.ResetsAt = now.Add(-time.Second), now.Add(time.Minute)
	if w := past.Current(now); w.Utilization != 0 || levelOf(w) == levelFull {
		t.Errorf("past its reset: %+v (level %v), want a fresh window", w, levelOf(w))
	}
	if w := running.Current(now); w.Utilization != 1 || levelOf(w) != levelFull {
		t.Errorf("before its reset: %+v, want it as the answer said", w)
	}
	if w := (api.Window{ResetsAt: now.Add(-time.Hour)}).Current(now); w.Percent() != "–" {
		t.Errorf("a window never heard of became %s", w.Percent())
	}
}
