package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// shortcuts registers the window's keyboard shortcuts on c, the ones
// people expect of a tabbed window: Ctrl+1..4 (Cmd on macOS) the tabs,
// Ctrl+Tab and Ctrl+PageDown the next tab, with Shift or PageUp the one
// before (Fyne's tabs take no focus, so this is how a keyboard reaches
// them), Ctrl+F the log search, Ctrl+W closes the window (closeWindow,
// what its close button does). UI goroutine only.
func (v *view) shortcuts(c fyne.Canvas, closeWindow func()) {
	v.keys = map[desktop.CustomShortcut]func(){}
	for i, k := range []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4} {
		v.keys[desktop.CustomShortcut{KeyName: k, Modifier: fyne.KeyModifierShortcutDefault}] = func() { v.tabs.SelectIndex(i) }
	}
	step := func(by int) func() {
		return func() {
			n := len(v.tabs.Items)
			v.tabs.SelectIndex((v.tabs.SelectedIndex() + by + n) % n)
		}
	}
	ctrl, shift := fyne.KeyModifierControl, fyne.KeyModifierShift
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: ctrl}] = step(1)
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyTab, Modifier: ctrl | shift}] = step(-1)
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyPageDown, Modifier: ctrl}] = step(1)
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: ctrl}] = step(-1)
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}] = func() {
		v.tabs.SelectIndex(1)
		c.Focus(v.logs.filter)
	}
	v.keys[desktop.CustomShortcut{KeyName: fyne.KeyW, Modifier: fyne.KeyModifierShortcutDefault}] = closeWindow
	for s, f := range v.keys {
		c.AddShortcut(&s, func(fyne.Shortcut) { f() })
	}
}

// shortcut runs the window shortcut s, if it is one, and reports whether
// it was: a focused Entry gets shortcuts before the canvas and would
// swallow them (escEntry passes them on).
func (v *view) shortcut(s fyne.Shortcut) bool {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return false
	}
	f, ok := v.keys[*cs]
	if ok {
		f()
	}
	return ok
}
