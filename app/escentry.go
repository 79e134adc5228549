package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// escEntry is an Entry on which Esc closes the topmost dialog. Fyne hands
// every key to the focused widget and only unfocused keys to the canvas's
// handler (view.typedKey), and an Entry ignores Esc: without this, Esc does
// nothing in a dialog whose field has the focus, which is every dialog
// that asks for something.
type escEntry struct {
	widget.Entry
	onEsc      func()
	onShortcut func(fyne.Shortcut) bool // the window's shortcuts first
	onFocus    func(fyne.CanvasObject)  // in a scroll container: come into sight (scrollfocus.go)
}

// newEntry is widget.NewEntry for dialogs: Esc closes the topmost one.
func (v *view) newEntry() *escEntry {
	e := &escEntry{onEsc: v.escape, onShortcut: v.shortcut}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// newPasswordEntry is widget.NewPasswordEntry for dialogs; the Entry adds
// its reveal button itself when it is first drawn.
func (v *view) newPasswordEntry() *escEntry {
	e := v.newEntry()
	e.Password = true
	return e
}

// TypedKey closes the dialog on Esc and leaves every other key to the
// Entry.
func (e *escEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.onEsc != nil {
		e.onEsc()
		return
	}
	e.Entry.TypedKey(ev)
}

// TypedShortcut gives the window's shortcuts (Ctrl+1..4, Ctrl+F, Ctrl+W)
// their turn before the Entry's own (copy, paste, ...).
func (e *escEntry) TypedShortcut(s fyne.Shortcut) {
	if e.onShortcut != nil && e.onShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// FocusGained draws the focus and, in a scroll container, brings the
// field into sight.
func (e *escEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus(e)
	}
}
