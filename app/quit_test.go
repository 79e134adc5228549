package app

import (
	"slices"
	"testing"
)

// Every way the window ends first stops its events and says it is going
// (letting go of the window lock), then quits Fyne: while Fyne winds down
// the process is no longer the open window, and "Open Sluice" starts a
// new one. Said once, however often quit is asked.
func TestQuitSaysItIsGoingBeforeItQuits(t *testing.T) {
	var order []string
	q := &quitter{
		quitApp: func() { order = append(order, "quit") },
		going:   func() { order = append(order, "going") },
		sub:     &subscription{stop: func() { order = append(order, "unsubscribe") }},
	}
	q.quit()
	q.quit() // the close button, then the engine gone
	if want := []string{"unsubscribe", "going", "quit", "quit"}; !slices.Equal(order, want) {
		t.Errorf("quit did %v, want %v", order, want)
	}
	if !q.sub.stopped.Load() {
		t.Error("the subscription is not marked stopped: its end would read as the engine gone")
	}
}
