package app

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/tray"
)

// press sends the shortcut Ctrl+key as the driver does: to the focused
// widget if it takes shortcuts, else to the canvas.
func press(w fyne.Window, key fyne.KeyName) {
	pressWith(w, fyne.KeyModifierShortcutDefault, key)
}

// pressWith sends the shortcut mod+key as the driver does.
func pressWith(w fyne.Window, mod fyne.KeyModifier, key fyne.KeyName) {
	s := &desktop.CustomShortcut{KeyName: key, Modifier: mod}
	if f, ok := w.Canvas().Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	w.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(s)
}

// Ctrl+1..4 pick the tabs, Ctrl+F goes to the log search, Ctrl+W closes
// the window, also from a dialog's field.
func TestKeyboardShortcuts(t *testing.T) {
	v, w, ui := shown(t, newFakeEngine(true, work))
	closed := 0
	v.shortcuts(w.Canvas(), func() { closed++ })
	ui.waitFor(t, "the account", showing(w, "work"))
	for i, k := range []fyne.KeyName{fyne.Key4, fyne.Key2, fyne.Key3, fyne.Key1} {
		press(w, k)
		if want := []int{3, 1, 2, 0}[i]; v.tabs.SelectedIndex() != want {
			t.Errorf("Ctrl+%s: tab %d, want %d", k, v.tabs.SelectedIndex(), want)
		}
	}
	press(w, fyne.KeyF)
	if v.tabs.SelectedIndex() != 1 || w.Canvas().Focused() != v.logs.filter {
		t.Errorf("Ctrl+F: tab %d, focus %T", v.tabs.SelectedIndex(), w.Canvas().Focused())
	}
	w.Canvas().Unfocus()
	test.Tap(button(t, w, "Add account"))
	ui.waitFor(t, "the dialog", showing(w, choiceMax))
	if _, ok := w.Canvas().Focused().(*escEntry); !ok {
		t.Fatalf("the dialog's field has no focus: %T", w.Canvas().Focused())
	}
	press(w, fyne.KeyW)
	if closed != 1 {
		t.Errorf("Ctrl+W in a dialog's field closed the window %d times", closed)
	}
}

// Enter submits Rename, Create key and a confirmation.
func TestEnterSubmitsDialogs(t *testing.T) {
	eng := newFakeEngine(true, work)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the account", showing(w, "work"))

	test.Tap(button(t, w, "Rename"))
	ui.waitFor(t, "the rename dialog", showing(w, "Rename work"))
	entry := w.Canvas().Focused().(*escEntry)
	entry.SetText("personal")
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	ui.waitFor(t, "renamed in the engine", func() bool {
		a, _ := eng.Accounts(t.Context())
		return slices.ContainsFunc(a, func(a api.AccountView) bool { return a.Name == "personal" })
	})
	ui.waitFor(t, "the card renamed", showing(w, "personal", "Rename"))

	test.Tap(button(t, w, "Remove"))
	ui.waitFor(t, "the confirmation", showing(w, "Remove personal"))
	w.Canvas().Unfocus()
	v.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	ui.waitFor(t, "removed", func() bool {
		a, _ := eng.Accounts(t.Context())
		return !slices.ContainsFunc(a, func(a api.AccountView) bool { return a.Name == "personal" })
	})

	v.tabs.SelectIndex(3)
	v.settings.keys.name.SetText("laptop")
	v.settings.keys.name.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	ui.waitFor(t, "the new key shown", showing(w, "Key laptop"))
}

// The window's shortcuts work while a search field of the Logs tab, a
// Settings field or the new key's name has the focus (an Entry takes every shortcut first and
// drops the ones it does not know), and Ctrl+Tab, Ctrl+Shift+Tab,
// Ctrl+PageDown and Ctrl+PageUp step through the tabs, which take no
// focus themselves.
func TestShortcutsFromTheFields(t *testing.T) {
	v, w, ui := shown(t, newFakeEngine(true, work))
	closed := 0
	v.shortcuts(w.Canvas(), func() { closed++ })
	ui.waitFor(t, "the account", showing(w, "work"))
	ctrl, shift := fyne.KeyModifierControl, fyne.KeyModifierShift
	steps := []struct {
		from  int            // the tab shown before the press
		focus fyne.Focusable // nil: nothing has the focus
		mod   fyne.KeyModifier
		key   fyne.KeyName
		want  int
	}{
		{1, v.logs.filter, fyne.KeyModifierShortcutDefault, fyne.Key3, 2},
		{1, v.logs.model, ctrl, fyne.KeyTab, 2},
		{3, v.settings.keys.name, ctrl | shift, fyne.KeyTab, 2},
		{3, v.settings.px.window, fyne.KeyModifierShortcutDefault, fyne.Key1, 0},
		{3, v.settings.px.origins, ctrl, fyne.KeyTab, 0},
		{3, v.settings.port, ctrl | shift, fyne.KeyTab, 2},
		{3, v.settings.maxDB, fyne.KeyModifierShortcutDefault, fyne.Key2, 1},
		{2, nil, ctrl, fyne.KeyPageDown, 3},
		{3, nil, ctrl, fyne.KeyPageDown, 0}, // round from the last to the first
		{0, nil, ctrl, fyne.KeyPageUp, 3},
	}
	for _, s := range steps {
		v.tabs.SelectIndex(s.from)
		w.Canvas().Unfocus()
		if s.focus != nil {
			w.Canvas().Focus(s.focus)
			if w.Canvas().Focused() != s.focus {
				t.Fatalf("could not focus %T", s.focus)
			}
		}
		pressWith(w, s.mod, s.key)
		if got := v.tabs.SelectedIndex(); got != s.want {
			t.Errorf("%v+%s on tab %d, focus %T: tab %d, want %d", s.mod, s.key, s.from, s.focus, got, s.want)
		}
	}
	v.tabs.SelectIndex(1)
	w.Canvas().Focus(v.logs.model)
	press(w, fyne.KeyF)
	if w.Canvas().Focused() != v.logs.filter {
		t.Errorf("Ctrl+F from the model field: focus %T", w.Canvas().Focused())
	}
	press(w, fyne.KeyW)
	if closed != 1 {
		t.Errorf("Ctrl+W in the log search closed the window %d times", closed)
	}
	v.tabs.SelectIndex(3)
	w.Canvas().Focus(v.settings.reqAge)
	press(w, fyne.KeyF)
	if v.tabs.SelectedIndex() != 1 || w.Canvas().Focused() != v.logs.filter {
		t.Errorf("Ctrl+F from a Settings field: tab %d, focus %T", v.tabs.SelectedIndex(), w.Canvas().Focused())
	}
	v.tabs.SelectIndex(3)
	w.Canvas().Focus(v.settings.capMax)
	press(w, fyne.KeyW)
	if closed != 2 {
		t.Errorf("Ctrl+W in a Settings field: the window closed %d times, want 2 in all", closed)
	}
}

// Tab shows where it is from the first press: it goes through what is
// above the tabs first (the header's buttons, the first key's banner),
// then into the shown tab, and each stop is a control that draws its
// focus, in sight. Before, NewBorder put the tabs first: the first presses
// went through the account cards' buttons, below the fold with a few
// accounts, and the banner's key was a stop that draws nothing.
func TestTabFocusIsVisibleFromTheFirstPress(t *testing.T) {
	eng := newFakeEngine(true, work, spare)
	eng.firstKey = "sk-sluice-first-0123456789"
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the accounts and the key", showing(w, "work", "spare", "Dismiss"))
	c := w.Canvas().(test.WindowlessCanvas)
	var stops []string
	for range 8 { // the header's four buttons, the banner's two, the first card
		c.FocusNext()
		f := w.Canvas().Focused()
		b, ok := as[*widget.Button](f)
		if !ok {
			t.Fatalf("Tab press %d: the focus is on a %T, which draws no focus", len(stops)+1, f)
		}
		stops = append(stops, b.Text)
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.(fyne.CanvasObject)) // b may be inside f
		if pos.Y < 0 || pos.Y+b.Size().Height > inSight(w) {
			t.Errorf("Tab press %d: %q at y %v..%v, out of sight", len(stops), b.Text, pos.Y, pos.Y+b.Size().Height)
		}
	}
	want := []string{tray.LabelCopy, "Set up Claude Code", "Add account", tray.LabelTurnOff, "Copy key", "Dismiss", "Pause"}
	if !slices.Equal(stops[:len(want)], want) {
		t.Errorf("the first Tab presses focus %q, want %q first", stops, want)
	}
}

// inSight is where the Accounts tab's scrolled cards stop showing.
func inSight(w fyne.Window) float32 {
	var scroll *container.Scroll
	for _, o := range visible(w) {
		if s, ok := o.(*container.Scroll); ok && scroll == nil {
			scroll = s
		}
	}
	if scroll == nil {
		return w.Canvas().Size().Height
	}
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(scroll).Y + scroll.Size().Height
}

// Enter on "Claude Code set up" keeps the set-up, the usual answer: its
// confirm button is Undo, which Enter pressed before.
func TestEnterKeepsTheClaudeCodeSetUp(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	eng := newFakeEngine(true)
	eng.firstKey = "sk-sluice-first-0123456789"
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the key", showing(w, "Dismiss"))
	test.Tap(button(t, w, "Set up Claude Code"))
	ui.waitFor(t, "the result", showing(w, "Claude Code set up", "Keep"))
	w.Canvas().Unfocus()
	v.typedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if slices.Contains(texts(w), "Claude Code set up") {
		t.Error("Enter left the dialog open")
	}
	if _, err := os.Stat(filepath.Join(home, ".claude", "settings.json")); err != nil {
		t.Errorf("Enter undid the set-up: %v", err)
	}
}
