package app

import (
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// animations counts the animations the driver is running: a driver that
// records Start and Stop around Fyne's test driver.
type animations struct {
	fyne.Driver
	mu   sync.Mutex
	live map[*fyne.Animation]bool
}

func (d *animations) StartAnimation(a *fyne.Animation) {
	d.mu.Lock()
	d.live[a] = true
	d.mu.Unlock()
	d.Driver.StartAnimation(a)
}

func (d *animations) StopAnimation(a *fyne.Animation) {
	d.mu.Lock()
	delete(d.live, a)
	d.mu.Unlock()
	d.Driver.StopAnimation(a)
}

func (d *animations) running() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.live)
}

// countingApp is the current app with the animation-counting driver.
type countingApp struct {
	fyne.App
	d *animations
}

func (a countingApp) Driver() fyne.Driver { return a.d }

// A window at rest runs no animation: Fyne's loop paints a frame for each
// running one at 60 Hz, whatever it is drawn on. The Settings tab's
// infinite progress bar (for a clean-up) ran one from its first drawing
// on, hidden: its renderer sets it running when it is made.
func TestWindowAtRestRunsNoAnimation(t *testing.T) {
	d := &animations{Driver: test.NewTempApp(t).Driver(), live: map[*fyne.Animation]bool{}}
	fyne.SetCurrentApp(countingApp{App: fyne.CurrentApp(), d: d})
	eng := newFakeEngine(true, work, spare)
	ui := newUILoop()
	v := newView(eng, ui.do)
	w := test.NewTempWindow(t, v.content())
	w.Resize(WindowSize)
	events, cancel, err := eng.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); v.watch(events) }()
	t.Cleanup(func() { cancel(); <-done })
	ui.waitFor(t, "the accounts", showing(w, "work", "spare"))
	for i := range v.tabs.Items { // each tab drawn, as a user looks around
		v.tabs.SelectIndex(i)
		ui.settle()
	}
	v.tabs.SelectIndex(0)
	// Every widget redrawn, as the system's switch to the dark or the
	// light theme, or a move to a screen of another scale, does.
	fyne.CurrentApp().Settings().SetTheme(newTheme())
	ui.settle()
	if n := d.running(); n != 0 {
		t.Errorf("%d animations run in a window at rest", n)
	}
}
