package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// termsKey names the one-time subscription notice; the CLI uses the same
// key, so a user sees it once whichever face signs in first.
const termsKey = "subscription-terms"

// termsNotice is shown once, before the first subscription login. It is the
// CLI's notice, with the window's choices in place of the CLI's commands.
const termsNotice = "Anthropic's terms reserve Claude subscription (Pro/Max) credentials for " +
	"Anthropic's own apps, such as Claude Code. Using them through another program " +
	"may not be allowed for your account. Console API keys (Anthropic Console sign-in, " +
	"or a pasted Console API key) are the supported way to use the API from other tools.\n\n" +
	"Sluice forwards what your client sends and adds only the anthropic-beta value " +
	"OAuth tokens require; it never poses as another client."

// The ways the Add account dialog offers.
const (
	choiceMax     = "Claude subscription (Pro/Max)"
	choiceConsole = "Anthropic Console (creates an API key)"
	choiceKey     = "Console API key (paste)"
)

// Texts of the sign-in progress dialog.
const (
	waitingText = "Waiting for you to sign in in your browser…"
	openedText  = "A browser window was opened. If it did not appear, open this link:"
	openText    = "Open this link in your browser to sign in:"
	// preparingText stands until the sign-in URL is known.
	preparingText = "Preparing the sign-in…"
	// The pasted-code flow, for a browser that cannot reach this computer.
	pasteButton  = "Paste a code instead"
	pasteTitle   = "Sign in in your browser, then paste the code the page shows."
	pasteLabel   = "Paste the code shown after signing in (code#state)"
	checkingText = "Checking the code…"
)

var (
	// errNoBrowser makes the login show the URL when there is no OpenBrowser.
	errNoBrowser = errors.New("no browser opener")
	// What a paste-mode Login reads from In once the user cancelled it, or
	// a Continue writes once its attempt is over.
	errSignInCancelled = errors.New("sign-in cancelled")
	errSignInOver      = errors.New("sign-in over")
)

// addForm is the Add account dialog's state.
type addForm struct {
	dlg     *dialog.CustomDialog
	name    *escEntry
	kind    *widget.RadioGroup
	key     *escEntry    // the pasted API key, concealed
	form    *widget.Form // has the key's row only when a key is pasted
	ok      *widget.Button
	problem *widget.Label // why the form was refused
}

// showAddAccount opens the Add account dialog. UI goroutine only.
func (v *view) showAddAccount() {
	f := &addForm{
		name:    v.newEntry(),
		key:     v.newPasswordEntry(),
		problem: widget.NewLabel(""),
	}
	f.name.SetPlaceHolder("e.g. work")
	f.key.SetPlaceHolder("sk-ant-…")
	f.problem.Importance = widget.DangerImportance
	f.problem.Wrapping = fyne.TextWrapWord
	f.ok = widget.NewButton("Sign in…", func() { v.submit(f) })
	f.ok.Importance = widget.HighImportance
	f.kind = widget.NewRadioGroup([]string{choiceMax, choiceConsole, choiceKey}, nil)
	f.kind.Required = true
	f.form = widget.NewForm(widget.NewFormItem("Name", f.name), widget.NewFormItem("Account", f.kind))
	keyItem := widget.NewFormItem("API key", f.key)
	f.kind.OnChanged = func(choice string) {
		f.form.Items = f.form.Items[:2]
		f.ok.SetText("Sign in…")
		if choice == choiceKey {
			f.form.Items = append(f.form.Items, keyItem)
			f.ok.SetText("Add")
		}
		f.form.Refresh()
	}
	f.kind.SetSelected(choiceMax)
	f.name.OnSubmitted = func(string) { v.submit(f) }
	f.key.OnSubmitted = func(string) { v.submit(f) }
	// A refusal is about what was typed: editing makes it stale.
	f.name.OnChanged = func(string) { f.problem.SetText("") }
	f.key.OnChanged = func(string) { f.problem.SetText("") }
	onKind := f.kind.OnChanged
	f.kind.OnChanged = func(choice string) {
		f.problem.SetText("")
		onKind(choice)
	}

	f.dlg = dialog.NewCustomWithoutButtons("Add account", container.NewVBox(f.form, problemSpace(f.problem)), v.win)
	f.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() {
		f.key.SetText("")
		f.dlg.Hide()
	}), f.ok})
	f.dlg.SetOnClosed(func() { f.key.SetText("") })
	f.dlg.Resize(fyne.NewSize(480, 0))
	v.track(f.dlg)
	f.dlg.Show()
	v.win.Canvas().Focus(f.name)
}

// submit checks the form and starts what it asks for. UI goroutine only.
func (v *view) submit(f *addForm) {
	refuse := func(why string) {
		f.problem.Importance = widget.DangerImportance
		f.problem.SetText(why)
	}
	name := strings.TrimSpace(f.name.Text)
	if name == "" {
		refuse("Enter a name for the account.")
		return
	}
	if slices.ContainsFunc(v.rows, func(a api.AccountView) bool { return a.Name == name }) {
		refuse(fmt.Sprintf("An account named %q exists already.", name))
		return
	}
	switch f.kind.Selected {
	case choiceKey:
		key := strings.TrimSpace(f.key.Text)
		if key == "" {
			refuse("Paste the API key.")
			return
		}
		// Checked before it is saved: a mistyped key is refused here, in
		// the dialog, rather than failing every request later.
		f.ok.Disable()
		f.problem.Importance = widget.MediumImportance
		f.problem.SetText("Checking the key…")
		go func() {
			res := v.checkKey(key)
			v.do(func() {
				f.ok.Enable()
				f.problem.Importance = widget.DangerImportance
				if res.refused != nil {
					refuse(capitalize(res.refused.Error()))
					return
				}
				f.problem.SetText("")
				f.key.SetText("")
				f.dlg.Hide()
				go v.addKey(name, key, res.warning)
			})
		}()
	case choiceMax:
		f.dlg.Hide()
		go v.subscription(name)
	case choiceConsole:
		f.dlg.Hide()
		v.login(name, api.ModeConsole, false)
	}
}

// addKey adds an API-key account. Off the UI goroutine: the keyring may be
// slow. The key never reaches the screen, even inside an error.
func (v *view) addKey(name, key, warning string) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	if _, err := v.eng.AddAPIKey(ctx, name, key); err != nil {
		err = redact(fmt.Errorf("add %s: %w", name, err), key)
		v.do(func() { v.showError(err) })
		return
	}
	if warning != "" {
		err := fmt.Errorf("%s was %s", name, warning)
		v.do(func() { v.showError(err) })
	}
}

// redact removes secret from err's message.
func redact(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "[redacted]"))
}

// subscription signs in with a Claude subscription, after the terms notice
// the first time. Off the UI goroutine: ShowOnce reads the journal.
func (v *view) subscription(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	show, err := v.eng.ShowOnce(ctx, termsKey)
	v.do(func() {
		switch {
		case err != nil:
			v.showError(err)
		case show:
			v.showTerms(func() { v.login(name, api.ModeMax, false) })
		default:
			v.login(name, api.ModeMax, false)
		}
	})
}

// showTerms shows the subscription notice and calls next on Continue. UI
// goroutine only.
func (v *view) showTerms(next func()) {
	msg := widget.NewLabel(termsNotice)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Before you sign in", "Continue", "Cancel", msg, func(ok bool) {
		if ok {
			next()
		}
	}, v.win)
	d.Resize(fyne.NewSize(520, 0))
	v.track(d)
	d.Show()
}

// progress is the dialog shown while a sign-in waits for the browser, and
// the sign-in it shows. Its fields are touched only on the UI goroutine.
type progress struct {
	dlg   *dialog.CustomDialog
	title *widget.Label  // what the user is to do
	hint  *widget.Label  // how to use the link
	url   *widget.Label  // the sign-in URL, selectable
	copy  *widget.Button // copies the URL
	paste *widget.Button // switches to the pasted-code flow

	// The pasted-code flow's box: a label, the entry, Continue and why a
	// code was refused; hidden until the user switches to that flow.
	codeBox *fyne.Container
	code    *escEntry
	send    *widget.Button
	refused *widget.Label

	req     api.LoginRequest   // Name, Mode and Reauth of every attempt
	attempt int                // the current attempt; the others' outcomes are ignored
	cancel  context.CancelFunc // ends the current attempt
	pw      *io.PipeWriter     // feeds the pasted code to the current attempt's In
	secret  string             // the code sent, kept out of any error shown
}

// login runs a browser sign-in off the UI goroutine behind a progress
// dialog whose Cancel ends it; the dialog can switch it to the pasted-code
// flow. UI goroutine only. On success the dialog closes and the engine's
// event refreshes the list.
func (v *view) login(name string, mode api.Mode, reauth bool) {
	p := &progress{
		title:   widget.NewLabelWithStyle(waitingText, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		hint:    widget.NewLabel(preparingText),
		url:     widget.NewLabel(""),
		code:    v.newEntry(),
		refused: widget.NewLabel(""),
		req:     api.LoginRequest{Name: name, Mode: mode, Reauth: reauth},
	}
	p.url.Selectable = true
	p.url.Wrapping = fyne.TextWrapBreak
	p.url.Hide()
	p.copy = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(p.url.Text)
		v.flashCopied(p.copy)
	})
	p.copy.Hide()
	p.paste = widget.NewButton(pasteButton, func() { v.pasteInstead(p) })
	p.code.SetPlaceHolder("code#state")
	p.code.OnSubmitted = func(string) { v.sendCode(p) }
	p.send = widget.NewButton("Continue", func() { v.sendCode(p) })
	p.send.Importance = widget.HighImportance
	p.refused.Importance = widget.DangerImportance
	p.refused.Hide()
	p.codeBox = container.NewVBox(widget.NewLabel(pasteLabel),
		container.NewBorder(nil, nil, nil, p.send, p.code), p.refused)
	p.codeBox.Hide()
	title := "Add " + name
	if reauth {
		title = "Sign in to " + name + " again"
	}
	p.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(
		p.title, p.hint, p.url, container.NewHBox(p.copy, layout.NewSpacer(), p.paste), p.codeBox,
	), v.win)
	p.dlg.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() {
		p.stop()
		p.dlg.Hide()
	})})
	// Esc ends the sign-in as Cancel does.
	p.dlg.SetOnClosed(p.stop)
	p.dlg.Resize(fyne.NewSize(560, 0))
	v.track(p.dlg)
	p.dlg.Show()
	v.start(p, false)
}

// start runs a new attempt of p's sign-in off the UI goroutine: with the
// loopback callback, or with paste, reading the code from a pipe that
// Continue writes to. UI goroutine only.
func (v *view) start(p *progress, paste bool) {
	p.attempt++
	n := p.attempt
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	req := p.req
	// The paste attempt shows its link rather than open a second browser
	// window over the first: the user is already in a browser.
	req.OpenBrowser = v.opener(p, n, !paste)
	var pr *io.PipeReader
	if paste {
		pr, p.pw = io.Pipe()
		req.Paste, req.In = true, pr
	}
	go func() {
		_, err := v.eng.Login(ctx, req)
		cancel()
		if pr != nil {
			pr.CloseWithError(errSignInOver) // frees a Continue whose code was not read
		}
		v.do(func() { v.finish(p, n, err) })
	}()
}

// finish ends the dialog when attempt n, still the current one, returns.
// An error is shown without the pasted code. UI goroutine only.
func (v *view) finish(p *progress, n int, err error) {
	if n != p.attempt {
		return // cancelled, or replaced by the pasted-code flow
	}
	p.stop()
	p.dlg.Hide()
	if err != nil {
		code, _, _ := strings.Cut(p.secret, "#")
		v.showError(redact(redact(err, p.secret), code))
	}
	p.secret = ""
}

// stop ends the current attempt, if any, and makes its outcome ignored:
// its context is cancelled and its pipe closed, so a paste-mode Login
// reading the code returns. UI goroutine only.
func (p *progress) stop() {
	p.attempt++
	if p.cancel != nil {
		p.cancel()
	}
	if p.pw != nil {
		p.pw.CloseWithError(errSignInCancelled)
		p.pw = nil
	}
	p.code.SetText("")
}

// pasteInstead ends the loopback attempt and starts one that shows the
// code on Anthropic's page for the user to paste: for a browser that
// cannot reach this computer's loopback address. UI goroutine only.
func (v *view) pasteInstead(p *progress) {
	p.stop()
	p.paste.Hide()
	p.title.SetText(pasteTitle)
	p.hint.SetText(preparingText)
	p.url.Hide()
	p.copy.Hide()
	p.codeBox.Show()
	p.dlg.Refresh()
	v.start(p, true)
	v.win.Canvas().Focus(p.code)
}

// sendCode hands the pasted code#state to the paste-mode Login, off the UI
// goroutine (a pipe write waits for the reader). The entry is cleared, so
// the code shows nowhere once sent. UI goroutine only.
func (v *view) sendCode(p *progress) {
	if p.pw == nil {
		return // the attempt is over
	}
	text := strings.TrimSpace(p.code.Text)
	code, state, ok := strings.Cut(text, "#")
	if !ok || code == "" || state == "" {
		p.refused.SetText("Paste the whole code the page shows, of the form code#state.")
		p.refused.Show()
		return
	}
	p.code.SetText("")
	p.code.Disable()
	p.send.Disable()
	p.refused.Hide()
	p.title.SetText(checkingText)
	p.secret = text
	pw := p.pw
	go func() { _, _ = io.WriteString(pw, text+"\n") }() // fails once the attempt is over
}

// opener is attempt n's OpenBrowser: it shows the URL in p while n is the
// current attempt, then, when auto, opens the browser if there is a way
// to. Called off the UI goroutine.
func (v *view) opener(p *progress, n int, auto bool) func(string) error {
	show := func(url string, opened bool) {
		v.do(func() {
			if n == p.attempt {
				p.show(url, opened)
			}
		})
	}
	return func(url string) error {
		open := v.openBrowser
		if !auto {
			open = nil
		}
		show(url, open != nil)
		if open == nil {
			return errNoBrowser
		}
		err := open(url)
		if err != nil {
			show(url, false)
		}
		return err
	}
}

// show puts the sign-in URL in the dialog. UI goroutine only.
func (p *progress) show(url string, opened bool) {
	if opened {
		p.hint.SetText(openedText)
	} else {
		p.hint.SetText(openText)
	}
	p.url.SetText(url)
	p.url.Show()
	p.copy.Show()
	p.dlg.Refresh()
}

// showStale lists the accounts that need a new sign-in, each with a button
// to sign in again. It rebuilds only when the list changes, so a button is
// not replaced under the pointer at every event. UI goroutine only.
func (v *view) showStale() {
	var stale []api.AccountView
	var names []string
	for _, a := range v.rows {
		if a.State == api.StateNeedsLogin {
			stale = append(stale, a)
			names = append(names, a.Name)
		}
	}
	if slices.Equal(names, v.stale) {
		return
	}
	v.stale = names
	v.relogin.RemoveAll()
	for _, a := range stale {
		msg := widget.NewLabel(a.Name + " needs you to sign in again.")
		msg.Importance = widget.WarningImportance
		again := widget.NewButton("Sign in again", func() { v.login(a.Name, reauthMode(a), true) })
		v.relogin.Add(container.NewHBox(msg, layout.NewSpacer(), again))
	}
}

// reauthMode is the login that renews a's credential: a subscription for
// OAuth accounts, the Console (a new API key) for API-key accounts.
func reauthMode(a api.AccountView) api.Mode {
	if a.Kind == api.KindOAuth {
		return api.ModeMax
	}
	return api.ModeConsole
}
