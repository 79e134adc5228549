package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/owner"
)

// NoKeyHint is said where a client key's secret would go but none is
// known: the engine stores only a hash of each key, so a secret can be
// shown only when it is made.
const NoKeyHint = "No client key to show: create one in Settings -> Client keys (its secret is shown once; Sluice keeps only a hash)."

// copySettings puts the connection settings, with the engine's connection
// key, on the clipboard. UI goroutine only.
func (v *view) copySettings() {
	token, note, ok := v.connectionKey()
	if !ok {
		return
	}
	if a := fyne.CurrentApp(); a != nil {
		a.Clipboard().SetContent(owner.ConnectionSettings(v.addr, token))
	}
	if note != "" {
		d := dialog.NewInformation("Connection settings copied", note, v.win)
		v.track(d)
		d.Show()
	}
}

// connectionKey asks the engine for the key connection settings carry
// (kept across restarts, never a revoked one). note says so when the
// engine had to make a new key. UI goroutine only.
func (v *view) connectionKey() (token, note string, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
	defer cancel()
	k, secret, minted, err := v.eng.ConnectionKey(ctx)
	if err != nil {
		v.showError(fmt.Errorf("connection key: %w", err))
		return "", "", false
	}
	v.token = secret
	v.showToken()
	if minted {
		note = fmt.Sprintf("Sluice made a new client key, %q, for these settings: the one they used before was revoked or is unknown. Clients still using the old key must be given the new one.", k.Name)
	}
	return secret, note, true
}

// emptyState teaches a new user what to do: add an account, then point a
// client at Sluice. Shown instead of the cards while there are none.
func (v *view) emptyState() fyne.CanvasObject {
	title := widget.NewLabelWithStyle("No accounts yet", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	add := widget.NewButtonWithIcon("Add an account", theme.ContentAddIcon(), func() { v.showAddAccount() })
	add.Importance = widget.HighImportance
	then := widget.NewLabelWithStyle("Then, in the shell you start Claude Code from:", fyne.TextAlignCenter, fyne.TextStyle{})
	v.shellLines = widget.NewLabelWithStyle(owner.ConnectionSettings("", ""), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.shellLines.Selectable = true
	v.noKey = widget.NewLabelWithStyle(NoKeyHint, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.noKey.Wrapping = fyne.TextWrapWord
	var copy *widget.Button
	copy = widget.NewButtonWithIcon("Copy these lines", theme.ContentCopyIcon(), func() {
		v.copySettings()
		if v.token != "" { // else it said how to get a key
			v.flashCopied(copy)
		}
	})
	setup := widget.NewButtonWithIcon("Set up Claude Code", theme.DocumentSaveIcon(), v.setUpClaudeCode)
	return container.NewCenter(container.NewVBox(title, container.NewCenter(add), then,
		container.NewCenter(v.shellLines), v.noKey, container.NewCenter(container.NewHBox(copy, setup))))
}

// showToken updates what depends on the known client key. UI goroutine
// only.
func (v *view) showToken() {
	v.shellLines.SetText(owner.ConnectionSettings(v.addr, v.token))
	v.noKey.Hidden = v.token != ""
	v.noKey.Refresh()
	v.empty.Refresh() // the lines' width changed: lay the state out again
}
