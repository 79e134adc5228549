package app

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// TestDialogsFitTheWindow: the pasted-code sign-in, the tallest dialog,
// was clipped at the old default size (code field and Continue below the
// edge).
func TestDialogsFitTheWindow(t *testing.T) {
	f := newPasteSignIn("code#state")
	_, w, ui, _ := pasteMode(t, f)
	ui.waitFor(t, "paste box", showing(w, pasteLabel, "Continue"))
	overlays := w.Canvas().Overlays().List()
	if len(overlays) == 0 {
		t.Fatal("no dialog open")
	}
	t.Logf("dialog minimum %v", overlays[0].MinSize())
	for _, o := range overlays {
		if m := o.MinSize(); m.Width > WindowSize.Width || m.Height > WindowSize.Height {
			t.Errorf("dialog needs %v, the window is %v", m, WindowSize)
		}
	}
}

func TestEscClosesTheTopDialog(t *testing.T) {
	eng := newFakeEngine(true, work)
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "card", showing(w, "work"))
	test.Tap(button(t, w, "Rename"))
	ui.waitFor(t, "rename dialog", showing(w, "New name"))
	w.Canvas().Unfocus()
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if n := len(w.Canvas().Overlays().List()); n != 0 {
		t.Errorf("%d dialogs open after Esc", n)
	}
	// Esc with nothing open does nothing (and does not panic).
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
}

// Esc closes a dialog while its field has the focus. The desktop driver
// hands a key to the focused widget, not to the canvas's handler, so this
// types Esc into the focused entry as the driver does.
func TestEscInAFocusedFieldClosesTheDialog(t *testing.T) {
	key := api.AccountView{ID: "a2", Name: "ci", Kind: api.KindAPIKey, State: "ok"}
	eng := newFakeEngine(true, work, key)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "cards", showing(w, "work", "ci"))
	for _, d := range []struct {
		name string
		open func()
	}{
		{"Add account", v.add.OnTapped},
		{"Rename", v.cards["a1"].rename.OnTapped},
		{"Replace key", v.cards["a2"].replace.OnTapped},
	} {
		d.open()
		ui.waitFor(t, d.name, func() bool { return len(w.Canvas().Overlays().List()) == 1 })
		f, ok := w.Canvas().Focused().(*escEntry)
		if !ok {
			t.Fatalf("%s: the focus is on %T, not the dialog's field", d.name, w.Canvas().Focused())
		}
		test.Type(f, "x")
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if n := len(w.Canvas().Overlays().List()); n != 0 {
			t.Errorf("%s: %d dialogs open after Esc in its field", d.name, n)
		}
		if len(v.dialogs) != 0 {
			t.Errorf("%s: %d dialogs still tracked", d.name, len(v.dialogs))
		}
	}
}

// Esc in the pasted-code field ends the sign-in, as Cancel does.
func TestEscInThePasteCodeFieldCancelsTheSignIn(t *testing.T) {
	f := newPasteSignIn("abc#xyz")
	_, w, ui, entry := pasteMode(t, f)
	if w.Canvas().Focused() != entry {
		t.Fatalf("the focus is on %T, not the code field", w.Canvas().Focused())
	}
	entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if n := len(w.Canvas().Overlays().List()); n != 0 {
		t.Errorf("%d dialogs open after Esc in the code field", n)
	}
	// Its Login reading the pasted code sees the end of its input.
	if got := f.read(t, ui); got.err == nil {
		t.Errorf("the sign-in read %q after Esc, want its input closed", got.data)
	}
}

func TestFailedStartClearedWhenTheProxyRuns(t *testing.T) {
	eng := newFakeEngine(false, work)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "account", showing(w, "work"))
	eng.change(func(f *fakeEngine) { f.Fail = errBoom })
	test.Tap(v.toggle)
	ui.waitFor(t, "start failure", showing(w, "turn proxy on: boom"))
	// Started elsewhere (the tray, the CLI): the old failure is over.
	eng.change(func(f *fakeEngine) { f.Fail, f.Running = nil, true })
	eng.Publish(api.EventProxyState)
	ui.waitFor(t, "error cleared", func() bool { return !v.problem.Visible() && showing(w, "Proxy on at 127.0.0.1:8788")() })
}

func TestAddDialogRefusalClearsOnEdit(t *testing.T) {
	_, w, ui := shown(t, newFakeEngine(true))
	addDialog(t, w, ui, "", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "refusal", showing(w, "Enter a name for the account."))
	entry, _ := find(w, func(e *escEntry) bool { return !e.Password })
	test.Type(entry, "w")
	if slices.Contains(texts(w), "Enter a name for the account.") {
		t.Error("the refusal stays after the name was edited")
	}
}

func TestCopyConnectionSettings(t *testing.T) {
	eng := newFakeEngine(true)
	eng.firstKey = "sk-sluice-first-0123456789"
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "status", showing(w, "Proxy on at 127.0.0.1:8788"))
	test.Tap(button(t, w, "Copy connection settings"))
	want := "export ANTHROPIC_BASE_URL=http://127.0.0.1:8788\nexport ANTHROPIC_AUTH_TOKEN=sk-sluice-first-0123456789\n"
	if got := fyne.CurrentApp().Clipboard().Content(); got != want {
		t.Errorf("clipboard %q, want %q", got, want)
	}
}

// Without a key it can show, the window asks the engine for the connection
// key, which makes one when there is none (or it was revoked), copies it
// and says a new key was made: never a token that cannot work, never a
// dead end after a restart.
func TestCopyConnectionSettingsWithoutAKey(t *testing.T) {
	_, w, ui := shown(t, newFakeEngine(true))
	ui.waitFor(t, "status", showing(w, "Proxy on at 127.0.0.1:8788"))
	fyne.CurrentApp().Clipboard().SetContent("before")
	test.Tap(button(t, w, "Copy connection settings"))
	ui.waitFor(t, "the new-key note", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "Sluice made a new client key") })
	})
	want := "export ANTHROPIC_BASE_URL=http://127.0.0.1:8788\nexport ANTHROPIC_AUTH_TOKEN=sk-sluice-fake-connection\n"
	if got := fyne.CurrentApp().Clipboard().Content(); got != want {
		t.Errorf("clipboard %q, want %q", got, want)
	}
}

func TestRowActionsReachTheEngine(t *testing.T) {
	first := api.AccountView{ID: "a1", Name: "first", Kind: "oauth", State: "ok", Priority: 0}
	second := api.AccountView{ID: "a2", Name: "second", Kind: "api-key", State: "ok", Priority: 1}
	eng := newFakeEngine(true, first, second)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "cards", showing(w, "first", "second"))
	c := v.cards["a1"]
	if !c.up.Disabled() || c.down.Disabled() || !v.cards["a2"].down.Disabled() {
		t.Error("the first card can move up or the last down")
	}
	if !c.replace.Hidden || v.cards["a2"].replace.Hidden {
		t.Error("Replace key shown for a subscription or hidden for an API key")
	}
	test.Tap(c.down)
	ui.waitFor(t, "priorities swapped", func() bool {
		eng.Mu.Lock()
		defer eng.Mu.Unlock()
		return eng.Accts[0].Priority == 1 && eng.Accts[1].Priority == 0
	})
	test.Tap(c.pause)
	ui.waitFor(t, "paused", func() bool { return v.cards["a1"].pause.Text == "Resume" })
	test.Tap(v.cards["a1"].pause)
	ui.waitFor(t, "resumed", func() bool { return v.cards["a1"].pause.Text == "Pause" })

	test.Tap(c.rename)
	ui.waitFor(t, "rename dialog", showing(w, "New name"))
	entry, _ := find(w, func(e *escEntry) bool { return e.Text == "first" })
	entry.SetText("main")
	test.Tap(button(t, w, "Rename"))
	ui.waitFor(t, "renamed", showing(w, "main", "second"))
}
