package api

import (
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		w    Window
		want string
	}{
		{Window{}, "–"},
		{Window{Status: "allowed"}, "0%"},
		{Window{Status: "allowed_warning", Utilization: 0.875}, "88%"},
		{Window{Status: "rejected", Utilization: 1}, "100%"},
	} {
		if got := tc.w.Percent(); got != tc.want {
			t.Errorf("percent(%+v) = %q, want %q", tc.w, got, tc.want)
		}
	}
}

func TestStateRules(t *testing.T) {
	for _, tc := range []struct {
		s               State
		usable, limited bool
	}{
		{StateOK, true, false},
		{StateWarning, true, false},
		{StateLimited, false, true},
		{StateNeedsLogin, false, true},
		{StatePaused, false, false}, // the user's choice: neither usable nor limited
	} {
		if tc.s.Usable() != tc.usable || tc.s.Limited() != tc.limited {
			t.Errorf("%s: usable %v limited %v, want %v %v", tc.s, tc.s.Usable(), tc.s.Limited(), tc.usable, tc.limited)
		}
	}
}

// A window whose reset has passed shows as fresh; one never heard of
// stays unknown.
func TestCurrentAfterReset(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	past := Window{Status: "rejected", Utilization: 1, ResetsAt: now.Add(-time.Minute)}
	if w := past.Current(now); w.Utilization != 0 || w.Percent() != "0%" {
		t.Errorf("past reset: %+v", w)
	}
	if w := (Window{ResetsAt: now.Add(-time.Hour)}).Current(now); w.Known() {
		t.Errorf("a window never heard of became known: %+v", w)
	}
}

func TestOnlyOAuthIsASubscription(t *testing.T) {
	for k, want := range map[Kind]bool{KindOAuth: true, KindAPIKey: false, KindUpstream: false} {
		if k.Subscription() != want {
			t.Errorf("%s.Subscription() = %v", k, !want)
		}
	}
}
