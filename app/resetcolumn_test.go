package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// An API-key account whose per-minute windows reset since the last
// answer: the card's reset column holds "reset since the last answer"
// whole (a fixed width cut it at "answe"). SLUICE_SHOTS_DIR, when set,
// gets the row as reset-column.png to look at.
func TestResetColumnHoldsItsLongestText(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newTheme())
	r := newWindowRow("Output tokens / min")
	now := time.Now()
	setText(r.figure, "0%")
	setText(r.reset, resetsIn(now.Add(-time.Minute), now))
	w := test.NewWindow(r.obj)
	defer w.Close()
	w.Resize(fyne.NewSize(760, r.obj.MinSize().Height))
	if got, room := r.reset.MinSize().Width, r.reset.Size().Width; got > room {
		t.Errorf("%q needs %.0f px, its column has %.0f", r.reset.Text, got, room)
	}
	if dir := os.Getenv("SLUICE_SHOTS_DIR"); dir != "" {
		f, err := os.Create(filepath.Join(dir, "reset-column.png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
}
