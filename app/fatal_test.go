package app

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestStartupErrorShowsMessageAndQuits(t *testing.T) {
	test.NewTempApp(t)
	quit := false
	msg := "vault: Secret Service collection \"login\" is locked: unlock it or set SLUICE_KEYRING=file"
	c := startupErrorContent(errors.New(msg), func() { quit = true })
	w := test.NewTempWindow(t, c)
	var shown, button bool
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		switch v := o.(type) {
		case *widget.Label:
			shown = shown || v.Text == msg
		case *widget.Button:
			if v.Text == "Quit" {
				button = true
				test.Tap(v)
			}
		}
	}
	if !shown || !button || !quit {
		t.Fatalf("error window: message shown=%v, quit button=%v, quit called=%v", shown, button, quit)
	}
}
