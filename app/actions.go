package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// act runs an account action off the UI goroutine and shows its failure.
// The engine's event refreshes the cards on success.
func (v *view) act(what string, f func(ctx context.Context) error) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
		defer cancel()
		if err := f(ctx); err != nil {
			err = fmt.Errorf("%s: %w", what, err)
			v.do(func() { v.showError(err) })
		}
	}()
}

// showError shows err in a dialog that Esc closes. UI goroutine only.
func (v *view) showError(err error) {
	d := dialog.NewError(err, v.win)
	v.track(d)
	d.Show()
}

func (v *view) togglePause(a api.AccountView) {
	if a.Paused {
		v.act("resume "+a.Name, func(ctx context.Context) error { return v.eng.ResumeAccount(ctx, a.Name) })
		return
	}
	v.act("pause "+a.Name, func(ctx context.Context) error { return v.eng.PauseAccount(ctx, a.Name) })
}

// move swaps a with its neighbour in the priority order (by = -1: up).
// UI goroutine only.
func (v *view) move(a api.AccountView, by int) {
	i := slices.IndexFunc(v.rows, func(r api.AccountView) bool { return r.ID == a.ID })
	j := i + by
	if i < 0 || j < 0 || j >= len(v.rows) {
		return
	}
	// Swapping the two priorities is not enough when they are equal (the
	// default 0 for all, names then decide), and nudging one by one can
	// jump past other accounts of that priority: number the new order
	// 0, 1, 2... and set what changed.
	rows := slices.Clone(v.rows)
	rows[i], rows[j] = rows[j], rows[i]
	type change struct {
		name string
		p    int
	}
	var changes []change
	for k, r := range rows {
		if r.Priority != k {
			changes = append(changes, change{r.Name, k})
		}
	}
	v.act("reorder "+a.Name, func(ctx context.Context) error {
		for _, c := range changes {
			if err := v.eng.SetPriority(ctx, c.name, c.p); err != nil {
				return err
			}
		}
		return nil
	})
}

// showRename asks for a new name. UI goroutine only.
func (v *view) showRename(a api.AccountView) {
	name := v.newEntry()
	name.SetText(a.Name)
	d := dialog.NewForm("Rename "+a.Name, "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", name)}, func(ok bool) {
			newName := strings.TrimSpace(name.Text)
			if !ok || newName == "" || newName == a.Name {
				return
			}
			v.act("rename "+a.Name, func(ctx context.Context) error { return v.eng.RenameAccount(ctx, a.Name, newName) })
		}, v.win)
	name.OnSubmitted = func(string) { d.Submit() } // Enter renames
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	v.track(d)
	d.Show()
	v.win.Canvas().Focus(name)
}

// confirmRemove asks before removing a, which deletes its keyring item:
// a subscription account then needs a new browser sign-in to come back.
// UI goroutine only.
func (v *view) confirmRemove(a api.AccountView) {
	msg := widget.NewLabel(fmt.Sprintf("Remove %s? Its credential is deleted from the keyring; its request history stays in the log.", a.Name))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Remove "+a.Name, "Remove", "Cancel", msg, func(ok bool) {
		if ok {
			v.act("remove "+a.Name, func(ctx context.Context) error { return v.eng.RemoveAccount(ctx, a.Name) })
		}
	}, v.win)
	d.SetConfirmImportance(widget.DangerImportance)
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	v.track(d)
	d.Show()
}

// keyCheck is what checking a pasted key found.
type keyCheck struct {
	refused error  // the API refused the key: do not save it
	warning string // the key could not be checked: saved, with this warning
}

// checkKey asks the engine whether key works. Off the UI goroutine. The
// key never reaches the screen, even inside an error.
func (v *view) checkKey(key string) keyCheck {
	if err := keyShape(key); err != nil {
		return keyCheck{refused: err} // not sent upstream: it is no key
	}
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	err := v.eng.CheckAPIKey(ctx, key)
	var unverified *api.KeyUnverifiedError
	switch {
	case err == nil:
		return keyCheck{}
	case errors.As(err, &unverified):
		return keyCheck{warning: redact(fmt.Errorf("saved without checking it: %w", err), key).Error()}
	case errors.Is(err, api.ErrKeyRefused):
		return keyCheck{refused: redact(err, key)}
	}
	return keyCheck{refused: redact(err, key)}
}

// keyShape refuses text that cannot be an Anthropic API key before it is
// sent upstream to be checked: whatever is pasted (a word, a password from
// another clipboard) would otherwise leave the machine.
func keyShape(key string) error {
	if !strings.HasPrefix(key, "sk-ant-") || len(key) == len("sk-ant-") || strings.ContainsFunc(key, unicode.IsSpace) {
		return errors.New("this is not an Anthropic API key: they start with sk-ant- (create one at console.anthropic.com -> API keys)")
	}
	return nil
}

// problemSpace holds a dialog's problem line in a space kept for two
// lines, so the dialog does not grow (and, centred, jump) when it appears.
func problemSpace(problem *widget.Label) fyne.CanvasObject {
	h := 2*fyne.MeasureText("M", theme.TextSize(), fyne.TextStyle{}).Height + 2*theme.InnerPadding()
	return container.NewStack(container.NewGridWrap(fyne.NewSize(1, h)), problem)
}

// showReplaceKey asks for a new API key, checks it, and puts it in a's
// keyring item. A refused key keeps the dialog open. UI goroutine only.
func (v *view) showReplaceKey(a api.AccountView) {
	key := v.newPasswordEntry()
	key.SetPlaceHolder("sk-ant-…")
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	key.OnChanged = func(string) { problem.SetText("") }
	var d *dialog.CustomDialog
	var save *widget.Button
	submit := func() {
		k := strings.TrimSpace(key.Text)
		if k == "" {
			problem.SetText("Paste the new API key.")
			return
		}
		save.Disable()
		go func() {
			res := v.checkKey(k)
			if res.refused != nil {
				v.do(func() {
					save.Enable()
					problem.SetText(capitalize(res.refused.Error()))
				})
				return
			}
			v.do(func() {
				key.SetText("")
				d.Hide()
			})
			v.act("replace the key of "+a.Name, func(ctx context.Context) error {
				return redact(v.eng.ReplaceAPIKey(ctx, a.Name, k), k)
			})
			if res.warning != "" {
				v.do(func() { v.showError(errors.New(res.warning)) })
			}
		}()
	}
	save = widget.NewButton("Replace", submit)
	save.Importance = widget.HighImportance
	key.OnSubmitted = func(string) { submit() }
	form := widget.NewForm(widget.NewFormItem("New API key", key))
	d = dialog.NewCustomWithoutButtons("Replace the key of "+a.Name, container.NewVBox(form, problemSpace(problem)), v.win)
	d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", func() {
		key.SetText("")
		d.Hide()
	}), save})
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	v.track(d)
	d.Show()
	v.win.Canvas().Focus(key)
}
