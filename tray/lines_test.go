package tray

import (
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
)

// A menu line shows a window as it is now: one whose reset has passed
// since the last answer is a fresh window, not the full one it was.
func TestAccountLineShowsAWindowPastItsResetAsFresh(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 30, 0, time.UTC)
	a := proxy.AccountView{Name: "ci", State: "ok", Windows: []proxy.Window{
		{Name: "rpm", Kind: "rpm", Status: "rejected", Utilization: 1, ResetsAt: now.Add(-10 * time.Second)},
		{Name: "input_tpm", Kind: "input_tpm", Status: "allowed", Utilization: 0.3, ResetsAt: now.Add(30 * time.Second)},
	}}
	got, _ := lines([]proxy.AccountView{a}, now)
	if len(got) != 1 || got[0].window != "input_tpm 30%" {
		t.Errorf("line %+v, want the input tokens window at 30%% (rpm reset 10 s ago)", got)
	}
}
