//go:build screenshots

package main

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/theme"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// trayMenuPNG draws the tray's menu as a tray host would, from what it
// exports over D-Bus (menuEntries): no tray host under Xvfb draws
// StatusNotifierItem menus, so this shows exactly what one is given, in
// the window's own font, at twice the usual size.
func trayMenuPNG(t *testing.T, entries []trayEntry) []byte {
	t.Helper()
	f, err := opentype.Parse(theme.DefaultTextFont().Content())
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 14, DPI: 144, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	const (
		pad     = 16 // left and right of the text
		checkW  = 40 // the check column
		rowH    = 44
		sepH    = 17
		borderW = 2
	)
	width := 0
	height := 2 * borderW
	for _, e := range entries {
		if e.separator {
			height += sepH
			continue
		}
		height += rowH
		width = max(width, font.MeasureString(face, e.label).Ceil())
	}
	width += 2*pad + checkW + 2*borderW
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill := func(r image.Rectangle, c color.Color) {
		draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	fill(img.Bounds(), color.RGBA{0xb8, 0xb8, 0xb8, 0xff})
	fill(img.Bounds().Inset(borderW), color.RGBA{0xf7, 0xf7, 0xf7, 0xff})
	ink, faint := color.RGBA{0x20, 0x20, 0x20, 0xff}, color.RGBA{0x80, 0x80, 0x80, 0xff}
	y := borderW
	metrics := face.Metrics()
	for _, e := range entries {
		if e.separator {
			fill(image.Rect(borderW+pad/2, y+sepH/2, width-borderW-pad/2, y+sepH/2+1), color.RGBA{0xc8, 0xc8, 0xc8, 0xff})
			y += sepH
			continue
		}
		c := ink
		if !e.enabled {
			c = faint
		}
		if e.check { // a box, ticked when checked
			box := image.Rect(borderW+pad, y+rowH/2-9, borderW+pad+18, y+rowH/2+9)
			fill(box, c)
			fill(box.Inset(2), color.RGBA{0xf7, 0xf7, 0xf7, 0xff})
			if e.checked {
				tick(img, box, c)
			}
		}
		base := y + (rowH+metrics.Ascent.Ceil()-metrics.Descent.Ceil())/2
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face,
			Dot: fixed.P(borderW+pad+checkW, base)}
		d.DrawString(e.label)
		y += rowH
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// tick draws a check mark in box, three pixels thick.
func tick(img *image.RGBA, box image.Rectangle, c color.Color) {
	line := func(x0, y0, x1, y1 int) {
		steps := max(abs(x1-x0), abs(y1-y0))
		for i := 0; i <= steps; i++ {
			x, y := x0+(x1-x0)*i/steps, y0+(y1-y0)*i/steps
			for dx := -1; dx <= 1; dx++ {
				for dy := -1; dy <= 1; dy++ {
					img.Set(x+dx, y+dy, c)
				}
			}
		}
	}
	x, y := box.Min.X, box.Min.Y
	line(x+4, y+9, x+8, y+13)
	line(x+8, y+13, x+14, y+4)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// trayMenuShot writes tray-menu.png once the whole menu shows the
// accounts: the benched one with when it is back, the others with their
// countdowns.
func trayMenuShot(t *testing.T, item testkit.TrayItem) {
	t.Helper()
	var entries []trayEntry
	testkit.WaitFor(t, "the tray menu with the accounts", func() bool {
		var err error
		entries, err = menuEntries(item)
		var team, personal bool
		for _, e := range entries {
			team = team || strings.HasPrefix(e.label, "team ·") && strings.Contains(e.label, "back at")
			personal = personal || strings.HasPrefix(e.label, "personal ·") && strings.Contains(e.label, "resets")
		}
		// The whole menu, Quit last: the tray rebuilds it item by item.
		whole := len(entries) > 0 && entries[len(entries)-1].label == "Quit"
		return err == nil && team && personal && whole
	})
	if err := os.WriteFile(filepath.Join(*shotsDir, "tray-menu.png"), trayMenuPNG(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pacing of tray-pace.png's requests: the owner runs on the real clock and
// forecasts only from a steady rise over at least a minute, in samples at
// least 20 s apart (proxy/pool/pace.go), so one request every paceEvery
// shows a pace after five or six of them.
const (
	paceEvery = 15 * time.Second
	paceWait  = 3 * time.Minute
)

// trayPaceShot writes tray-pace.png: personal's line saying when, at this
// pace, its 5-hour window runs out. send makes one request on personal
// (the only account in service), which raises that window; it is made
// every paceEvery until the line shows the pace. Then resume puts the
// other accounts back in service, and the picture is taken once the menu
// shows them so and still shows the pace.
func trayPaceShot(t *testing.T, item testkit.TrayItem, send, resume func()) {
	t.Helper()
	var entries []trayEntry
	paced := func(others bool) bool {
		var err error
		entries, err = menuEntries(item)
		if err != nil || len(entries) == 0 || entries[len(entries)-1].label != "Quit" {
			return false
		}
		pace := false
		for _, e := range entries {
			if others && strings.HasSuffix(e.label, "· paused") {
				return false
			}
			pace = pace || strings.HasPrefix(e.label, "personal ·") && strings.Contains(e.label, "· runs out ")
		}
		return pace
	}
	deadline := time.Now().Add(paceWait)
	for shown := false; !shown; {
		if time.Now().After(deadline) {
			t.Fatalf("no pace on the tray's line for personal after %v of requests; the menu: %v", paceWait, entries)
		}
		send()
		next := time.Now().Add(paceEvery)
		for !shown && time.Now().Before(next) {
			if shown = paced(false); !shown {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	resume()
	testkit.WaitFor(t, "the tray menu with the pace and every account in service", func() bool { return paced(true) })
	if err := os.WriteFile(filepath.Join(*shotsDir, "tray-pace.png"), trayMenuPNG(t, entries), 0o644); err != nil {
		t.Fatal(err)
	}
}
