package app

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// press sends the shortcut Ctrl+key as the driver does: to the focused
// widget if it takes shortcuts, else to the canvas.
func press(w fyne.Window, key fyne.KeyName) {
	s := &desktop.CustomShortcut{KeyName: key, Modifier: fyne.KeyModifierShortcutDefault}
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
