package app

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// where gives obj's top and bottom in s's viewport: in sight when both
// are within 0..s's height.
func where(s *container.Scroll, obj fyne.CanvasObject) (top, bottom float32) {
	d := fyne.CurrentApp().Driver()
	top = d.AbsolutePositionForObject(obj).Y - d.AbsolutePositionForObject(s).Y
	return top, top + obj.Size().Height
}

// Tab brings a card's button below the fold into sight: with more
// accounts than the window shows, Tab goes on through the cards' buttons
// and the Accounts list scrolls with it. Before, the list stayed put and
// the focus went out of sight.
func TestTabScrollsTheCardsToTheFocus(t *testing.T) {
	var accts []api.AccountView
	for i := range 6 {
		a := work
		a.ID, a.Name = fmt.Sprint("id", i), fmt.Sprint("account", i)
		accts = append(accts, a)
	}
	v, w, ui := shown(t, newFakeEngine(true, accts...))
	w.Resize(fyne.NewSize(WindowSize.Width, 480))
	ui.waitFor(t, "the accounts", showing(w, "account0", "account5"))
	ui.settle()
	s := v.cardsBox
	last := v.cards["id5"].remove
	if top, _ := where(s, last); top < s.Size().Height {
		t.Fatalf("the last card's Remove is at %v in a list %v high: not below the fold, the test shows nothing", top, s.Size().Height)
	}
	c := w.Canvas().(test.WindowlessCanvas)
	for press := 1; w.Canvas().Focused() != last; press++ {
		if press > 100 {
			t.Fatal("Tab never reached the last card's Remove")
		}
		c.FocusNext()
		b, ok := w.Canvas().Focused().(*focusButton)
		if !ok {
			continue // the buttons above the tabs
		}
		if top, bottom := where(s, b); top < 0 || bottom > s.Size().Height {
			t.Fatalf("Tab press %d: %q at %v..%v in a list %v high (offset %v), out of sight",
				press, b.Text, top, bottom, s.Size().Height, s.Offset.Y)
		}
	}
	if s.Offset.Y <= 0 {
		t.Errorf("the list did not scroll: offset %v", s.Offset.Y)
	}
	// Shift+Tab back to the first card's Pause scrolls back up.
	first := v.cards["id0"].pause
	for press := 1; w.Canvas().Focused() != first; press++ {
		if press > 100 {
			t.Fatal("Shift+Tab never reached the first card's Pause")
		}
		c.FocusPrevious()
	}
	if top, bottom := where(s, first); top < 0 || bottom > s.Size().Height {
		t.Errorf("Shift+Tab to the first Pause: at %v..%v in a list %v high, out of sight", top, bottom, s.Size().Height)
	}
}

// Tab through the Settings tab keeps each field, box, choice and button
// in sight, down to the last one (the new key's Create button), which is
// below the fold.
func TestTabScrollsSettingsToTheFocus(t *testing.T) {
	v, w, ui := shown(t, newFakeEngine(true, work))
	w.Resize(fyne.NewSize(WindowSize.Width, 480))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.port.Text != "" })
	ui.settle()
	s := v.settings.scroll
	last, ok := find(w, func(b *focusButton) bool { return b.Text == "Create key" })
	if !ok {
		t.Fatal("no Create key button")
	}
	if top, _ := where(s, last); top < s.Size().Height {
		t.Fatalf("Create key is at %v in a tab %v high: not below the fold, the test shows nothing", top, s.Size().Height)
	}
	c := w.Canvas().(test.WindowlessCanvas)
	for press := 1; w.Canvas().Focused() != last; press++ {
		if press > 100 {
			t.Fatal("Tab never reached Create key")
		}
		c.FocusNext()
		f := w.Canvas().Focused()
		if _, above := f.(*widget.Button); above {
			continue // the buttons above the tabs
		}
		o := f.(fyne.CanvasObject)
		if top, bottom := where(s, o); top < 0 || bottom > s.Size().Height {
			t.Fatalf("Tab press %d: the %T at %v..%v in a tab %v high (offset %v), out of sight",
				press, f, top, bottom, s.Size().Height, s.Offset.Y)
		}
	}
	if s.Offset.Y <= 0 {
		t.Errorf("Settings did not scroll: offset %v", s.Offset.Y)
	}
}
