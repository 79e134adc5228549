package app

import (
	"image/color"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// Text that is no API key is refused in the dialog and never sent
// upstream to be checked; the refusal does not move the dialog.
func TestAddKeyRefusesWhatIsNoKeyWithoutSendingIt(t *testing.T) {
	eng := newFakeEngine(true)
	_, w, ui := shown(t, eng)
	addDialog(t, w, ui, "work", choiceKey)
	name, _ := find(w, func(e *escEntry) bool { return !e.Password })
	d := fyne.CurrentApp().Driver()
	before := d.AbsolutePositionForObject(name)
	key, _ := find(w, func(e *escEntry) bool { return e.Password })
	test.Type(key, "hello")
	test.Tap(button(t, w, "Add"))
	ui.waitFor(t, "the refusal", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "This is not an Anthropic API key") })
	})
	ui.settle()
	eng.Mu.Lock()
	checks := eng.checks
	eng.Mu.Unlock()
	if checks != 0 {
		t.Fatalf("%q was sent upstream to be checked", "hello")
	}
	if after := d.AbsolutePositionForObject(name); after != before {
		t.Errorf("the dialog moved from %v to %v when its error appeared", before, after)
	}
}

// After Clear limit the card shows no red 100 % bar beside "ok"; a window
// that reopened early shows 0 %, not a dash.
func TestClearedAndEarlyResetWindowsShowZero(t *testing.T) {
	reset := time.Now().Add(3 * time.Hour)
	cleared := api.AccountView{ID: "c1", Name: "cleared", Kind: api.KindOAuth, State: api.StateOK,
		Windows: []api.Window{
			{Name: "5h", Kind: "session", Status: "rejected", Utilization: 1, ResetsAt: reset},
			{Name: "7d", Kind: "weekly", ResetsAt: reset.Add(48 * time.Hour)}, // reopened early: zeroed
		}}
	busy := api.AccountView{ID: "b1", Name: "busy", Kind: api.KindOAuth, State: api.StateOK,
		Windows: []api.Window{{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.95, ResetsAt: reset}}}
	v, w, ui := shown(t, newFakeEngine(true, cleared, busy))
	ui.waitFor(t, "the cards", showing(w, "cleared", "busy"))
	rows := v.cards["c1"].bars
	for _, label := range []string{"5-hour", "Weekly"} {
		r := rows[label]
		if r == nil {
			t.Fatalf("no %s row", label)
		}
		if r.figure.Text != "0%" {
			t.Errorf("%s shows %q, want 0%%", label, r.figure.Text)
		}
		if r.bar.fill.FillColor == theme.Color(theme.ColorNameError) {
			t.Errorf("%s bar red on an account that is ok", label)
		}
	}
	// Real use near the limit is still shown as it is.
	if got := v.cards["b1"].bars["5-hour"].figure.Text; got != "95%" {
		t.Errorf("an allowed 95%% window shows %q", got)
	}
}

// Undo is not the primary (blue) button of "Claude Code set up": keeping
// the change is the usual answer.
func TestClaudeCodeSetUpUndoIsNotPrimary(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	eng := newFakeEngine(true)
	eng.firstKey = "sk-sluice-first-0123456789"
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the key", showing(w, "Dismiss"))
	test.Tap(button(t, w, "Set up Claude Code"))
	ui.waitFor(t, "the outcome", showing(w, "Claude Code set up"))
	if b := button(t, w, "Undo"); b.Importance == widget.HighImportance {
		t.Error("Undo is the primary button")
	}
	if _, err := os.Stat(os.Getenv("HOME") + "/.claude/settings.json"); err != nil {
		t.Fatal(err)
	}
}

// Copy says it copied; Remove looks dangerous.
func TestCopySaysCopiedAndRemoveLooksDangerous(t *testing.T) {
	copiedFor = time.Hour // long enough to be read by the test
	t.Cleanup(func() { copiedFor = 2 * time.Second })
	eng := newFakeEngine(true, work)
	eng.firstKey = "sk-sluice-first-0123456789"
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the key", showing(w, "Dismiss", "work"))
	test.Tap(button(t, w, "Copy connection settings"))
	if v.copy.Text != "Copied" {
		t.Errorf("the Copy button says %q after copying", v.copy.Text)
	}
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, "sk-sluice-first-0123456789") {
		t.Errorf("clipboard %q", got)
	}
	test.Tap(button(t, w, "Copy key"))
	if !slices.Contains(texts(w), "Copied") {
		t.Error("Copy key gives no feedback")
	}
	if b := button(t, w, "Remove"); b.Importance != widget.DangerImportance {
		t.Error("Remove is not styled as dangerous")
	}
	test.Tap(button(t, w, "Remove"))
	ui.waitFor(t, "the confirmation", showing(w, "Remove work"))
	if b := button(t, w, "Remove"); b.Importance != widget.DangerImportance {
		t.Error("the confirmation's Remove is not styled as dangerous")
	}
}

// An account keeps its colour in the Usage chart when another is added.
func TestUsageColoursStableWhenAnAccountIsAdded(t *testing.T) {
	test.NewTempApp(t)
	today := utcDay(time.Now())
	row := func(id, name string) api.UsageRow {
		return api.UsageRow{UsageRow: journal.UsageRow{Day: today, AccountID: id, Totals: journal.Totals{Requests: 1, InputTokens: 10}}, AccountName: name}
	}
	colourOf := func(rows []api.UsageRow, name string) color.Color {
		ui := make(chan func(), 1)
		u := newUsageTab(&usageRows{rows: rows}, func(f func()) { ui <- f })
		u.refresh()
		(<-ui)()
		for _, o := range u.legend.Objects {
			c := o.(*fyne.Container)
			if c.Objects[1].(*widget.Label).Text == name {
				return c.Objects[0].(*fyne.Container).Objects[0].(*canvas.Rectangle).FillColor
			}
		}
		t.Fatalf("no %s in the legend", name)
		return nil
	}
	before := colourOf([]api.UsageRow{row("id-work", "work")}, "work")
	after := colourOf([]api.UsageRow{row("id-alpha", "alpha"), row("id-beta", "beta"), row("id-work", "work")}, "work")
	if before != after {
		t.Errorf("work's colour changed from %v to %v when accounts were added", before, after)
	}
	three := []api.UsageRow{row("id-alpha", "alpha"), row("id-beta", "beta"), row("id-work", "work")}
	a, b := colourOf(three, "alpha"), colourOf(three, "beta")
	if a == b || a == after || b == after {
		t.Errorf("two accounts share a colour: %v %v %v", a, b, after)
	}
}

// Usage -> 30 days does not widen the window: the chart scrolls.
func TestUsageThirtyDaysKeepsTheWindowWidth(t *testing.T) {
	eng := newFakeEngine(true, work)
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(2)
	before := w.Content().MinSize().Width
	ui.settle()
	var rows []api.UsageRow
	for i := range 30 {
		rows = append(rows, api.UsageRow{UsageRow: journal.UsageRow{Day: utcDay(time.Now()).AddDate(0, 0, -i), AccountID: "a1",
			Totals: journal.Totals{Requests: 1, InputTokens: 123456}}, AccountName: "work"})
	}
	v.usage.eng = &usageRows{rows: rows}
	v.usage.span.SetSelected("30 days")
	ui.waitFor(t, "30 columns", func() bool { return len(v.usage.chart.Objects) == 30 })
	if got := w.Content().MinSize().Width; got > WindowSize.Width || got > max(before, WindowSize.Width) {
		t.Fatalf("the window needs %v px wide on 30 days (it opens at %v)", got, WindowSize.Width)
	}
}

// The mouse wheel scrolls Settings while the pointer is over a field.
func TestWheelScrollsSettingsOverAField(t *testing.T) {
	v, w, ui := shown(t, newFakeEngine(true, work))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.port.Text != "" })
	ui.settle()
	d := fyne.CurrentApp().Driver()
	tried := 0
	for _, e := range []*escEntry{v.settings.port, v.settings.px.retries, v.settings.reqAge} {
		v.settings.scroll.ScrollToTop()
		pos := d.AbsolutePositionForObject(e).Add(fyne.NewPos(5, 5))
		if pos.Y > w.Canvas().Size().Height {
			continue // below the fold at this size
		}
		tried++
		test.Scroll(w.Canvas(), pos, 0, -60)
		if v.settings.scroll.Offset.Y == 0 {
			t.Errorf("the wheel over the field at %v did not scroll Settings", pos)
		}
	}
	if tried == 0 {
		t.Fatal("no field above the fold")
	}
}
