package app

import (
	"context"
	"fmt"
	"os"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/claudecode"
)

// setUpClaudeCode writes Claude Code's settings with the known client key
// and offers to undo it. UI goroutine only.
func (v *view) setUpClaudeCode() {
	token, note, ok := v.connectionKey()
	if !ok {
		return
	}
	home, err := os.UserHomeDir()
	if err != nil {
		v.showError(fmt.Errorf("set up Claude Code: %w", err))
		return
	}
	addr := v.addr
	if addr == "" {
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
		snap, err := v.eng.Snapshot(ctx)
		cancel()
		if err != nil {
			v.showError(fmt.Errorf("set up Claude Code: %w", err))
			return
		}
		addr = snap.Addr
	}
	s, err := claudecode.SetUp(home, "http://"+addr, token)
	if err != nil {
		v.showError(fmt.Errorf("set up Claude Code: %w", err))
		return
	}
	msg := "Claude Code now uses Sluice (" + s.Path + ").\nThe previous state is kept as " + s.Backup + "."
	if note != "" {
		msg += "\n\n" + note
	}
	d := dialog.NewConfirm("Claude Code set up", msg+"\n\nUndo?", func(undo bool) {
		if undo {
			if err := s.Undo(); err != nil {
				v.showError(err)
			}
		}
	}, v.win)
	d.SetConfirmText("Undo")
	d.SetConfirmImportance(widget.MediumImportance) // keeping it is the usual answer
	d.SetDismissText("Keep")
	v.trackKeep(d) // Enter keeps it
	d.Show()
}
