//go:build screenshots

package app

// The README's screenshots: the window against a real engine in front of
// the fake API, with a few accounts and requests, each tab captured with
// Fyne's software painter. scripts/screenshots.sh runs it.

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault"
)

var shotsDir = flag.String("shots", "", "directory to write the screenshots to")

func TestScreenshots(t *testing.T) {
	if *shotsDir == "" {
		t.Fatal("-shots DIR is required")
	}
	// Requests spread over the past week, on a clock the test moves.
	var mu sync.Mutex
	clock := time.Now().Add(-6 * 24 * time.Hour)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	e := newRealEngineAt(t, now)
	reset := time.Now().Add(2*time.Hour + 14*time.Minute)
	e.fake.Script("tok-personal", fakeapi.Behavior{Utilization: 0.42, ResetAt: reset})
	e.fake.Script("tok-team", fakeapi.Behavior{Utilization: 0.86, ResetAt: reset.Add(time.Hour)})
	e.fake.Script("sk-ant-ci", fakeapi.Behavior{})
	ctx := context.Background()
	for _, a := range []struct{ name, token string }{{"personal", "tok-personal"}, {"team", "tok-team"}} {
		c := vault.Credential{Kind: vault.KindOAuth, AccessToken: a.token, RefreshToken: "r-" + a.token, ExpiresAt: time.Now().Add(8 * time.Hour).UnixMilli()}
		if _, err := e.svc.AddCredential(ctx, a.name, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.AddAPIKey(ctx, "ci", "sk-ant-ci"); err != nil {
		t.Fatal(err)
	}
	// Each day, a few requests on each account: the others are paused
	// while one serves.
	names := []string{"personal", "team", "ci"}
	for day := range 7 {
		for i, name := range names {
			for _, other := range names {
				if other != name {
					_ = e.svc.PauseAccount(ctx, other)
				}
			}
			_ = e.svc.ResumeAccount(ctx, name)
			for range 2 + (day*3+i*5)%7 {
				e.message(t)
			}
		}
		mu.Lock()
		clock = clock.Add(24 * time.Hour)
		mu.Unlock()
	}
	for _, name := range names {
		_ = e.svc.ResumeAccount(ctx, name)
	}
	mu.Lock()
	clock = time.Now()
	mu.Unlock()
	// Today's last requests are on the clock of the screenshot, and the
	// team account's pushes it into its warning.
	e.message(t)

	// A user past the first start: the key banner was dismissed.
	e.svc.DismissFirstKey()
	v, w, ui := shown(t, e.svc)
	fyne.CurrentApp().Settings().SetTheme(theme.DefaultTheme())
	ui.waitFor(t, "accounts", showing(w, "personal", "team", "ci"))
	ui.waitFor(t, "logs", func() bool { return len(v.logs.rows) >= 40 })
	ui.settle()
	for i, name := range []string{"accounts", "logs", "usage", "settings"} {
		v.tabs.SelectIndex(i)
		if name == "logs" { // with a request open in the detail pane
			v.logs.table.Select(widget.TableCellID{Row: 1, Col: 0})
			ui.waitFor(t, "the detail", func() bool { return strings.Contains(v.logs.detail.Text, "POST /v1/messages") })
		}
		ui.settle()
		capture(t, w, name)
	}
	// The client keys, at the bottom of Settings, with one made here.
	_, _, _ = e.svc.CreateKey(ctx, proxy.KeyOptions{Name: "laptop"})
	v.settings.keys.refresh()
	ui.waitFor(t, "the keys", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "laptop") })
	})
	// Tall enough for the whole tab: no scrolling (Fyne's software painter
	// draws a scrolled-out entry's text over the tabs).
	w.Resize(fyne.NewSize(900, 1040))
	v.settings.scroll.ScrollToBottom()
	ui.settle()
	capture(t, w, "keys")
}

// TestScreenshotEmpty is what a new user sees first.
func TestScreenshotEmpty(t *testing.T) {
	if *shotsDir == "" {
		t.Fatal("-shots DIR is required")
	}
	e := newRealEngine(t)
	_, w, ui := shown(t, e.svc)
	fyne.CurrentApp().Settings().SetTheme(theme.DefaultTheme())
	ui.waitFor(t, "empty state", showing(w, "No accounts yet"))
	ui.settle()
	capture(t, w, "empty")
}

func capture(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	img := w.Canvas().Capture()
	path := filepath.Join(*shotsDir, name+".png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	fmt.Println("wrote", path, img.Bounds().Size())
}
