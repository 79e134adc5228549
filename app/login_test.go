package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

const signInURL = "https://claude.ai/oauth/authorize?code=true&client_id=test&state=abc"

// browser is a fake OpenBrowser that records the URLs it was asked to open.
type browser struct {
	mu   sync.Mutex
	urls []string
	err  error
}

func (b *browser) open(url string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.urls = append(b.urls, url)
	return b.err
}

func (b *browser) opened() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.urls)
}

// signIn is a fake engine Login: it opens the sign-in URL as the engine
// does, then waits for the test to send the outcome on done, or for ctx to
// end (it reports that on ended).
type signIn struct {
	done  chan error
	ended chan struct{}
}

func newSignIn() *signIn { return &signIn{done: make(chan error, 1), ended: make(chan struct{})} }

func (s *signIn) login(ctx context.Context, req api.LoginRequest) (api.AccountView, error) {
	if req.OpenBrowser == nil && req.Out == nil {
		return api.AccountView{}, errors.New("no way to show the URL") // as vault.Login
	}
	if (req.OpenBrowser == nil || req.OpenBrowser(signInURL) != nil) && req.Out != nil {
		fmt.Fprintf(req.Out, "Open this URL in a browser to sign in:\n\n  %s\n\n", signInURL)
	}
	select {
	case err := <-s.done:
		kind := api.KindOAuth
		if req.Mode == api.ModeConsole {
			kind = api.KindAPIKey
		}
		return api.AccountView{ID: "id-" + req.Name, Name: req.Name, Kind: kind, State: "ok"}, err
	case <-ctx.Done():
		close(s.ended)
		return api.AccountView{}, ctx.Err()
	}
}

// find returns the topmost visible widget of type T that match accepts.
func find[T fyne.CanvasObject](w fyne.Window, match func(T) bool) (T, bool) {
	objs := visible(w)
	for i := len(objs) - 1; i >= 0; i-- {
		if o, ok := as[T](objs[i]); ok && match(o) {
			return o, true
		}
	}
	var zero T
	return zero, false
}

// as returns o as a T. A widget made to come into sight on focus
// (scrollfocus.go) also counts as the Fyne widget it embeds, so a test
// finds every visible *widget.Button, Check or Select.
func as[T any](o any) (T, bool) {
	if t, ok := o.(T); ok {
		return t, true
	}
	var inner any
	switch w := o.(type) {
	case *focusButton:
		inner = &w.Button
	case *focusCheck:
		inner = &w.Check
	case *focusSelect:
		inner = &w.Select
	}
	t, ok := inner.(T)
	return t, ok
}

// button returns the topmost visible button labelled text, failing without.
func button(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	b, ok := find(w, func(b *widget.Button) bool { return b.Text == text })
	if !ok {
		t.Fatalf("no %q button in %q", text, texts(w))
	}
	return b
}

// hasButton reports whether a button labelled text is visible.
func hasButton(w fyne.Window, text string) func() bool {
	return func() bool {
		_, ok := find(w, func(b *widget.Button) bool { return b.Text == text })
		return ok
	}
}

// label returns the visible label whose text is text, if any.
func label(w fyne.Window, text string) (*widget.Label, bool) {
	return find(w, func(l *widget.Label) bool { return l.Text == text })
}

// addDialog opens the Add account dialog and fills it in.
func addDialog(t *testing.T, w fyne.Window, ui *uiLoop, name, choice string) {
	t.Helper()
	test.Tap(button(t, w, "Add account"))
	ui.waitFor(t, "the Add account dialog", showing(w, choiceMax, choiceConsole, choiceKey))
	entry, ok := find(w, func(e *escEntry) bool { return !e.Password })
	if !ok {
		t.Fatal("no name entry")
	}
	test.Type(entry, name)
	radio, ok := find(w, func(*widget.RadioGroup) bool { return true })
	if !ok {
		t.Fatal("no account choice")
	}
	radio.SetSelected(choice)
}

// loginRequests waits for the engine to receive n Login calls.
func loginRequests(t *testing.T, eng *fakeEngine, ui *uiLoop, n int) []api.LoginRequest {
	t.Helper()
	ui.waitFor(t, "Login", func() bool { reqs, _ := eng.calls(); return len(reqs) >= n })
	reqs, _ := eng.calls()
	if len(reqs) != n {
		t.Fatalf("%d Login calls, want %d", len(reqs), n)
	}
	return reqs
}

func TestAddSubscriptionAccount(t *testing.T) {
	eng := newFakeEngine(true)
	s := newSignIn()
	eng.login = s.login
	v, w, ui := shown(t, eng)
	b := &browser{}
	v.openBrowser = b.open
	ui.waitFor(t, "empty list", showing(w, "No accounts yet"))

	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "the terms notice", hasButton(w, "Continue"))
	if _, ok := label(w, termsNotice); !ok {
		t.Fatalf("terms notice not shown: %q", texts(w))
	}
	if reqs, _ := eng.calls(); len(reqs) != 0 {
		t.Fatal("Login called before the terms notice was accepted")
	}
	test.Tap(button(t, w, "Continue"))

	req := loginRequests(t, eng, ui, 1)[0]
	if req.Name != "work" || req.Mode != api.ModeMax || req.Reauth || req.OpenBrowser == nil {
		t.Errorf("Login(%+v), want work, max, no reauth, with OpenBrowser", req)
	}
	ui.waitFor(t, "the URL in the progress dialog", func() bool {
		u, ok := label(w, signInURL)
		return ok && u.Selectable && showing(w, waitingText, openedText, "Copy link", "Cancel")()
	})
	if got := b.opened(); !slices.Equal(got, []string{signInURL}) {
		t.Errorf("browser opened %q, want the sign-in URL", got)
	}
	test.Tap(button(t, w, "Copy link"))
	if got := fyne.CurrentApp().Clipboard().Content(); got != signInURL {
		t.Errorf("clipboard %q after Copy link", got)
	}
	if !slices.Contains(texts(w), copiedText) {
		t.Error("Copy link gives no feedback")
	}

	s.done <- nil
	ui.waitFor(t, "progress closed, account listed", func() bool {
		return !slices.Contains(texts(w), waitingText) && showing(w, "work", "Claude subscription", "ok")()
	})
	if got := len(w.Canvas().Overlays().List()); got != 0 {
		t.Errorf("%d dialogs left open: %q", got, texts(w))
	}
}

func TestTermsNoticeOnce(t *testing.T) {
	eng := newFakeEngine(true)
	s := newSignIn()
	eng.login = s.login
	v, w, ui := shown(t, eng)
	v.openBrowser = (&browser{}).open

	// Cancelling the notice signs in nowhere.
	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "the terms notice", hasButton(w, "Continue"))
	test.Tap(button(t, w, "Cancel"))
	ui.settle()
	if reqs, _ := eng.calls(); len(reqs) != 0 {
		t.Fatalf("Login called after the notice was cancelled: %+v", reqs)
	}

	// The second time goes straight to the browser.
	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "progress", showing(w, waitingText, signInURL))
	if slices.Contains(texts(w), "Continue") {
		t.Error("terms notice shown twice")
	}
	loginRequests(t, eng, ui, 1)
	s.done <- nil
}

func TestAddConsoleAccountWithoutBrowser(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(string) error
	}{
		{"no opener", nil},
		{"opener fails", (&browser{err: errBoom}).open},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newFakeEngine(true)
			s := newSignIn()
			eng.login = s.login
			v, w, ui := shown(t, eng)
			v.openBrowser = tc.open

			addDialog(t, w, ui, "team", choiceConsole)
			test.Tap(button(t, w, "Sign in…"))
			ui.waitFor(t, "the URL to open", showing(w, waitingText, openText, signInURL))
			if slices.Contains(texts(w), openedText) {
				t.Error("says a browser was opened")
			}
			req := loginRequests(t, eng, ui, 1)[0]
			if req.Mode != api.ModeConsole || req.Name != "team" {
				t.Errorf("Login(%+v), want team, console", req)
			}
			s.done <- nil
			ui.waitFor(t, "account listed", showing(w, "team", "Console API key"))
		})
	}
}

func TestSignInErrorIsShown(t *testing.T) {
	eng := newFakeEngine(true)
	s := newSignIn()
	eng.login = s.login
	eng.notices[termsKey] = true
	_, w, ui := shown(t, eng)

	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "progress", showing(w, waitingText))
	s.done <- errors.New("sign-in failed: the token exchange was refused")
	ui.waitFor(t, "the error", func() bool {
		return showing(w, "Sign-in failed: the token exchange was refused")() &&
			!slices.Contains(texts(w), waitingText)
	})
}

func TestCancelSignIn(t *testing.T) {
	eng := newFakeEngine(true)
	s := newSignIn()
	eng.login = s.login
	eng.notices[termsKey] = true
	v, w, ui := shown(t, eng)
	v.openBrowser = (&browser{}).open

	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "progress", showing(w, waitingText, signInURL))
	test.Tap(button(t, w, "Cancel"))
	ui.waitFor(t, "Login's context cancelled", func() bool {
		select {
		case <-s.ended:
			return true
		default:
			return false
		}
	})
	ui.settle()
	if got := texts(w); slices.Contains(got, waitingText) || slices.ContainsFunc(got, func(s string) bool {
		return strings.Contains(s, "context canceled")
	}) {
		t.Errorf("after Cancel the window shows %q", got)
	}
	if got := len(w.Canvas().Overlays().List()); got != 0 {
		t.Errorf("%d dialogs open after Cancel: %q", got, texts(w))
	}
}

func TestAddAPIKey(t *testing.T) {
	const key = "sk-ant-api03-secret-value-0123456789"
	eng := newFakeEngine(true)
	_, w, ui := shown(t, eng)
	noKey := func() {
		t.Helper()
		for _, o := range visible(w) {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, key) {
				t.Fatalf("the key shows in label %q", l.Text)
			}
		}
		for _, s := range texts(w) {
			if strings.Contains(s, "secret-value") {
				t.Fatalf("the key shows in %q", s)
			}
		}
	}

	addDialog(t, w, ui, "ci", choiceKey)
	entry, ok := find(w, func(e *escEntry) bool { return e.Password })
	if !ok {
		t.Fatal("no password entry for the key")
	}
	test.Type(entry, key)
	noKey()
	test.Tap(button(t, w, "Add"))
	ui.waitFor(t, "account listed", showing(w, "ci", "Console API key"))
	if _, keys := eng.calls(); !slices.Equal(keys, [][2]string{{"ci", key}}) {
		t.Errorf("AddAPIKey calls %q, want ci with the typed key", keys)
	}
	if reqs, _ := eng.calls(); len(reqs) != 0 {
		t.Errorf("an API key started a browser login: %+v", reqs)
	}
	noKey()

	// An error that quotes the key shows without it.
	eng.change(func(f *fakeEngine) { f.keyErr = fmt.Errorf("keyring refused %s", key) })
	addDialog(t, w, ui, "ci2", choiceKey)
	entry, _ = find(w, func(e *escEntry) bool { return e.Password })
	test.Type(entry, key)
	test.Tap(button(t, w, "Add"))
	ui.waitFor(t, "the error", showing(w, "Add ci2: keyring refused [redacted]"))
	noKey()
}

func TestAddAccountRefusesIncompleteForm(t *testing.T) {
	for _, tc := range []struct {
		name, choice, want string
	}{
		{"", choiceMax, "Enter a name for the account."},
		{"   ", choiceConsole, "Enter a name for the account."},
		{"", choiceKey, "Enter a name for the account."},
		{"ci", choiceKey, "Paste the API key."},
		{"work", choiceMax, `An account named "work" exists already.`},
	} {
		t.Run(tc.choice+"/"+tc.name, func(t *testing.T) {
			eng := newFakeEngine(true, work)
			eng.login = newSignIn().login
			_, w, ui := shown(t, eng)
			ui.waitFor(t, "accounts", showing(w, "work"))

			addDialog(t, w, ui, tc.name, tc.choice)
			ok := "Sign in…"
			if tc.choice == choiceKey {
				ok = "Add"
			}
			test.Tap(button(t, w, ok))
			ui.settle()
			if !showing(w, tc.want, choiceMax)() {
				t.Errorf("want %q in the open dialog, window shows %q", tc.want, texts(w))
			}
			reqs, keys := eng.calls()
			eng.Mu.Lock()
			notices := len(eng.notices)
			eng.Mu.Unlock()
			if len(reqs)+len(keys)+notices != 0 {
				t.Errorf("engine called: logins %+v, keys %d, notices %d", reqs, len(keys), notices)
			}
		})
	}
}

func TestSignInAgain(t *testing.T) {
	stale := api.AccountView{ID: "a1", Name: "work", Kind: "oauth", State: "needs-login"}
	eng := newFakeEngine(true, stale, spare)
	s := newSignIn()
	eng.login = s.login
	v, w, ui := shown(t, eng)
	v.openBrowser = (&browser{}).open
	ui.waitFor(t, "the stale account", showing(w, "work needs you to sign in again.", "Sign in again"))
	if slices.Contains(texts(w), "spare needs you to sign in again.") {
		t.Error("a limited account is offered a new sign-in")
	}

	test.Tap(button(t, w, "Sign in again"))
	req := loginRequests(t, eng, ui, 1)[0]
	if req.Name != "work" || req.Mode != api.ModeMax || !req.Reauth {
		t.Errorf("Login(%+v), want work, max, reauth", req)
	}
	ui.waitFor(t, "progress", showing(w, waitingText, signInURL))
	if slices.Contains(texts(w), "Continue") {
		t.Error("terms notice shown on a new sign-in")
	}
	s.done <- nil
	ui.waitFor(t, "the account working again", func() bool {
		got := texts(w)
		return !slices.Contains(got, "work needs you to sign in again.") && !slices.Contains(got, waitingText) &&
			slices.Contains(got, "ok")
	})
}

func TestReauthMode(t *testing.T) {
	if m := reauthMode(api.AccountView{Kind: "oauth"}); m != api.ModeMax {
		t.Errorf("oauth account: %s", m)
	}
	if m := reauthMode(api.AccountView{Kind: "api-key"}); m != api.ModeConsole {
		t.Errorf("api-key account: %s", m)
	}
}

const pasteURL = "https://claude.ai/oauth/authorize?code=true&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback&state=xyz"

// pasted is what a paste-mode Login read from In before it saw a newline
// or an error.
type pasted struct {
	data string
	err  error
}

// pasteSignIn is a fake engine Login: the loopback flow is s's, and the
// paste flow shows pasteURL, reads In up to a newline (reporting what it
// read on got) and succeeds if the line is want.
type pasteSignIn struct {
	s    *signIn
	want string
	got  chan pasted
}

func newPasteSignIn(want string) *pasteSignIn {
	return &pasteSignIn{s: newSignIn(), want: want, got: make(chan pasted, 1)}
}

func (f *pasteSignIn) login(ctx context.Context, req api.LoginRequest) (api.AccountView, error) {
	if !req.Paste {
		return f.s.login(ctx, req)
	}
	if req.In == nil || req.OpenBrowser == nil {
		return api.AccountView{}, errors.New("paste login without In or OpenBrowser")
	}
	_ = req.OpenBrowser(pasteURL)
	// Read as the vault does, but raw, so that every byte written shows.
	var data []byte
	var err error
	buf := make([]byte, 256)
	for !strings.Contains(string(data), "\n") && err == nil {
		var n int
		n, err = req.In.Read(buf)
		data = append(data, buf[:n]...)
	}
	f.got <- pasted{string(data), err}
	if err != nil {
		return api.AccountView{}, fmt.Errorf("sign-in failed: read pasted code: %w", err)
	}
	if line := strings.TrimSpace(string(data)); line != f.want {
		return api.AccountView{}, fmt.Errorf("sign-in failed: the code %s was refused", line)
	}
	return api.AccountView{ID: "id-" + req.Name, Name: req.Name, Kind: "oauth", State: "ok"}, nil
}

// read waits for what the paste-mode Login read from In.
func (f *pasteSignIn) read(t *testing.T, ui *uiLoop) pasted {
	t.Helper()
	var got pasted
	ui.waitFor(t, "the Login to read In", func() bool {
		select {
		case got = <-f.got:
			return true
		default:
			return false
		}
	})
	return got
}

// ended reports whether the loopback Login's context ended.
func (s *signIn) hasEnded() bool {
	select {
	case <-s.ended:
		return true
	default:
		return false
	}
}

// pasteMode starts a subscription sign-in, switches it to the pasted-code
// flow and returns the code entry, checking that the loopback Login ended
// and a paste-mode one began.
func pasteMode(t *testing.T, f *pasteSignIn) (*fakeEngine, fyne.Window, *uiLoop, *escEntry) {
	t.Helper()
	eng := newFakeEngine(true)
	eng.login = f.login
	eng.notices[termsKey] = true
	v, w, ui := shown(t, eng)
	b := &browser{}
	v.openBrowser = b.open

	addDialog(t, w, ui, "work", choiceMax)
	test.Tap(button(t, w, "Sign in…"))
	ui.waitFor(t, "progress", showing(w, waitingText, signInURL, pasteButton))
	if slices.Contains(texts(w), pasteLabel) {
		t.Fatal("the code entry shows before the user asked for it")
	}
	first := loginRequests(t, eng, ui, 1)[0]
	if first.Paste || first.In != nil {
		t.Errorf("first Login(%+v) is not the loopback flow", first)
	}

	test.Tap(button(t, w, pasteButton))
	ui.waitFor(t, "the loopback Login's context cancelled", f.s.hasEnded)
	second := loginRequests(t, eng, ui, 2)[1]
	if !second.Paste || second.In == nil || second.OpenBrowser == nil ||
		second.Name != "work" || second.Mode != api.ModeMax || second.Reauth {
		t.Errorf("second Login(%+v), want work, max, Paste with In and OpenBrowser", second)
	}
	ui.waitFor(t, "the paste flow's URL and entry", func() bool {
		_, url := label(w, pasteURL)
		_, old := label(w, signInURL)
		return url && !old && !slices.Contains(texts(w), pasteButton) &&
			showing(w, pasteTitle, openText, pasteLabel, "Continue", "Cancel")()
	})
	ui.settle() // the loopback Login's end must not close the dialog
	if _, url := label(w, pasteURL); !url || !showing(w, pasteTitle, pasteLabel)() {
		t.Fatalf("the paste flow is gone once the loopback Login ended: %q", texts(w))
	}
	// The user is in the browser already: the paste flow shows its link
	// rather than open a second browser window.
	if got := b.opened(); !slices.Equal(got, []string{signInURL}) {
		t.Errorf("browser opened %q, want only the loopback URL", got)
	}
	entry, ok := find(w, func(e *escEntry) bool { return e.PlaceHolder == "code#state" })
	if !ok {
		t.Fatalf("no code entry in %q", texts(w))
	}
	return eng, w, ui, entry
}

func TestPasteCodeSignIn(t *testing.T) {
	f := newPasteSignIn("abc#xyz")
	_, w, ui, entry := pasteMode(t, f)

	test.Type(entry, "abc#xyz")
	test.Tap(button(t, w, "Continue"))
	if entry.Text != "" {
		t.Errorf("the entry still holds %q after Continue", entry.Text)
	}
	if got := f.read(t, ui); got.err != nil || got.data != "abc#xyz\n" {
		t.Errorf("Login read %q (err %v) from In, want exactly %q", got.data, got.err, "abc#xyz\n")
	}
	ui.waitFor(t, "progress closed, account listed", func() bool {
		return len(w.Canvas().Overlays().List()) == 0 && showing(w, "work", "Claude subscription", "ok")()
	})
	for _, s := range texts(w) {
		if strings.Contains(s, "abc") {
			t.Errorf("the code shows in %q", s)
		}
	}
}

func TestPasteCodeRefused(t *testing.T) {
	f := newPasteSignIn("abc#xyz")
	_, w, ui, entry := pasteMode(t, f)

	// Not of the form code#state: refused here, nothing sent.
	test.Type(entry, "abc")
	test.Tap(button(t, w, "Continue"))
	ui.waitFor(t, "the refusal", showing(w, "Paste the whole code the page shows, of the form code#state."))
	select {
	case got := <-f.got:
		t.Fatalf("a malformed code reached the Login: %q", got.data)
	default:
	}

	// A code the exchange refuses: the error shows, without the code.
	entry.SetText("")
	test.Type(entry, "wrong-code#xyz")
	test.Tap(button(t, w, "Continue"))
	if got := f.read(t, ui); got.data != "wrong-code#xyz\n" {
		t.Errorf("Login read %q", got.data)
	}
	ui.waitFor(t, "the error", showing(w, "Sign-in failed: the code [redacted] was refused"))
	if slices.Contains(texts(w), pasteTitle) {
		t.Error("the progress dialog is still open after the error")
	}
	for _, s := range texts(w) {
		if strings.Contains(s, "wrong-code") {
			t.Errorf("the code shows in %q", s)
		}
	}
}

func TestCancelPasteCode(t *testing.T) {
	f := newPasteSignIn("abc#xyz")
	_, w, ui, entry := pasteMode(t, f)

	test.Type(entry, "half-typed")
	test.Tap(button(t, w, "Cancel"))
	if got := f.read(t, ui); got.err == nil || got.data != "" {
		t.Errorf("after Cancel the Login read %q, err %v; want a closed pipe", got.data, got.err)
	}
	ui.settle()
	if got := len(w.Canvas().Overlays().List()); got != 0 {
		t.Errorf("%d dialogs open after Cancel: %q", got, texts(w))
	}
	if entry.Text != "" {
		t.Errorf("the entry still holds %q after Cancel", entry.Text)
	}
}
