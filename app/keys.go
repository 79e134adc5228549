package app

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// OpenProxyWarning is shown while the proxy takes requests without a key.
const OpenProxyWarning = "Keys are not required: any program on this machine can use your accounts through Sluice."

// keysSection is the Settings tab's client keys: the requirement, the
// keys with a Revoke each, and a form to create one, whose secret is shown
// once with a Copy button.
type keysSection struct {
	v       *view
	require *focusCheck // in the Settings tab: comes into sight on focus
	warning *widget.Label
	list    *fyne.Container
	name    *escEntry // the window's shortcuts work in it
	filling bool      // require is being set from the engine, not the user
}

func newKeysSection(v *view) *keysSection {
	k := &keysSection{v: v, warning: widget.NewLabel(OpenProxyWarning), list: container.NewVBox(), name: v.newEntry()}
	k.warning.Importance = widget.DangerImportance
	k.warning.Wrapping = fyne.TextWrapWord
	k.warning.Hide()
	k.name.onFocus = v.settingsInSight
	k.require = newFocusCheck("Require a client key (recommended)", func(on bool) {
		if k.filling {
			return
		}
		k.warning.Hidden = on
		k.warning.Refresh()
		v.act("require client keys", func(ctx context.Context) error { return v.eng.SetRequireKey(ctx, on) })
	}, v.settingsInSight)
	k.name.SetPlaceHolder("Name of the new key, e.g. laptop")
	k.name.OnSubmitted = func(string) { k.create() } // Enter creates it
	return k
}

func (k *keysSection) content() fyne.CanvasObject {
	create := newFocusButton("Create key", theme.ContentAddIcon(), k.create, k.v.settingsInSight)
	return container.NewVBox(k.require, k.warning, k.list, container.NewBorder(nil, nil, nil, create, k.name))
}

// refresh reads the keys off the UI goroutine and lists them.
func (k *keysSection) refresh() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), k.v.timeout)
		defer cancel()
		keys, err := k.v.eng.Keys(ctx)
		required, rerr := k.v.eng.RequireKey(ctx)
		if rerr != nil {
			required = true // the safe answer to show
			err = errors.Join(err, rerr)
		}
		k.v.do(func() { k.show(keys, required, err) })
	}()
}

// show lists keys. UI goroutine only.
func (k *keysSection) show(keys []api.KeyView, required bool, err error) {
	k.filling = true
	k.require.SetChecked(required)
	k.filling = false
	k.warning.Hidden = required
	k.warning.Refresh()
	k.list.RemoveAll()
	if err != nil {
		k.list.Add(widget.NewLabel("The keys could not be read: " + err.Error()))
		return
	}
	for _, key := range keys {
		if key.Revoked {
			continue
		}
		line := widget.NewLabel(fmt.Sprintf("%s   %s   created %s", key.Name, key.Hint, key.CreatedAt.Local().Format("2006-01-02")))
		revoke := newFocusButton("Revoke", theme.DeleteIcon(), func() { k.confirmRevoke(key.Name) }, k.v.settingsInSight)
		revoke.Importance = widget.LowImportance
		k.list.Add(container.NewHBox(line, layout.NewSpacer(), revoke))
	}
	if len(k.list.Objects) == 0 {
		k.list.Add(widget.NewLabel("No keys. Create one for each client you point at Sluice."))
	}
}

func (k *keysSection) confirmRevoke(name string) {
	d := dialog.NewConfirm("Revoke "+name, "Clients using "+name+" are refused from now on.", func(ok bool) {
		if ok {
			k.v.act("revoke "+name, func(ctx context.Context) error {
				err := k.v.eng.RevokeKey(ctx, name)
				k.refresh()
				return err
			})
		}
	}, k.v.win)
	k.v.track(d)
	d.Show()
}

// create makes a key and reveals its secret once.
func (k *keysSection) create() {
	name := k.name.Text
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), k.v.timeout)
		defer cancel()
		view, secret, err := k.v.eng.CreateKey(ctx, api.KeyOptions{Name: name})
		k.v.do(func() {
			if err != nil {
				k.v.showError(fmt.Errorf("create key: %w", err))
				return
			}
			k.name.SetText("")
			// The window may now hand this key out in the connection
			// settings, until it closes.
			k.v.token = secret
			k.v.showToken()
			k.v.revealKey(view.Name, secret)
		})
		k.refresh()
	}()
}

// revealKey shows a key's secret once, with a button to copy it.
func (v *view) revealKey(name, secret string) {
	s := widget.NewLabelWithStyle(secret, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	s.Selectable = true
	note := widget.NewLabel("Copy it now: Sluice keeps only a hash and cannot show it again.")
	var copy *widget.Button
	copy = widget.NewButtonWithIcon("Copy key", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(secret)
		v.flashCopied(copy)
	})
	d := dialog.NewCustom("Key "+name, "Done", container.NewVBox(note, s, copy), v.win)
	v.track(d)
	d.Show()
}

// firstKeyBanner shows the key made on first start with Copy and Dismiss,
// until dismissed: the one moment its secret can be read.
func (v *view) firstKeyBanner() fyne.CanvasObject {
	v.firstLine = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	// Not Selectable: a selectable label is a Tab stop that draws no
	// focus, and Copy key beside it copies the whole key.
	title := widget.NewLabelWithStyle("Your client key (clients send it as ANTHROPIC_AUTH_TOKEN; copy it now, it is not shown again after Dismiss or a restart):",
		fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Wrapping = fyne.TextWrapWord
	var copy *widget.Button
	copy = widget.NewButtonWithIcon("Copy key", theme.ContentCopyIcon(), func() {
		fyne.CurrentApp().Clipboard().SetContent(v.token)
		v.flashCopied(copy)
	})
	dismiss := widget.NewButton("Dismiss", func() {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
			defer cancel()
			if err := v.eng.DismissFirstKey(ctx); err != nil {
				v.do(func() { v.showError(fmt.Errorf("dismiss the first key: %w", err)) })
			}
		}()
		v.first.Hide()
		v.root.Refresh()
	})
	v.first = container.NewVBox(title, container.NewBorder(nil, nil, nil, container.NewHBox(copy, dismiss), v.firstLine))
	v.first.Hide()
	return v.first
}

// showFirstKey shows or hides the first-key banner. UI goroutine only.
func (v *view) showFirstKey(secret string) {
	was := v.first.Visible()
	if secret == "" {
		v.first.Hide()
	} else {
		v.token = secret
		v.firstLine.SetText(secret)
		v.first.Show()
	}
	if was != v.first.Visible() && v.root != nil {
		v.root.Refresh() // the top's height changed: lay out again
	}
}
