package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/owner"
)

// The empty state's "Copy these lines" says it copied, as the header's
// Copy does: a copy is otherwise invisible.
func TestCopyTheseLinesSaysCopied(t *testing.T) {
	copiedFor = time.Hour // long enough to be read by the test
	t.Cleanup(func() { copiedFor = 2 * time.Second })
	eng := newFakeEngine(true)
	eng.firstKey = "sk-sluice-first-0123456789"
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the empty state", showing(w, "No accounts yet", "Copy these lines"))
	test.Tap(button(t, w, "Copy these lines"))
	if want := owner.ConnectionSettings("127.0.0.1:8788", "sk-sluice-first-0123456789"); fyne.CurrentApp().Clipboard().Content() != want {
		t.Errorf("clipboard %q, want %q", fyne.CurrentApp().Clipboard().Content(), want)
	}
	ui.waitFor(t, "the feedback", showing(w, copiedText))
}
