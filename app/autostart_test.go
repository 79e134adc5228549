//go:build !darwin && !windows

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// Ticking "Start Sluice when I log in" writes the XDG autostart entry that
// runs this binary with no arguments (the tray app); unticking removes it.
func TestStartAtLoginWritesTheAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	e := newRealEngine(t)
	v, _, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	if v.settings.atLogin.Checked {
		t.Fatal("start at login is on in a fresh config dir")
	}
	test.Tap(v.settings.atLogin)
	entry := filepath.Join(cfg, "autostart", autostart.AppID+".desktop")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("no autostart entry after ticking the box: %v", err)
	}
	exe, _ := os.Executable()
	if !strings.Contains(string(data), "\nExec=\""+exe+"\" --background\n") || !strings.Contains(string(data), "Type=Application") {
		t.Fatalf("autostart entry does not run %s:\n%s", exe, data)
	}
	if fi, err := os.Stat(entry); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v, %v; want 0600", fi.Mode(), err)
	}
	test.Tap(v.settings.atLogin)
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Fatalf("entry still there after unticking: %v", err)
	}
}

// Started with --background (as at login), the owner opens no window:
// the tray only. Started plainly it shows the window.
func TestBackgroundStartShowsNoWindow(t *testing.T) {
	if showAtStart(OwnerOptions{Options: Options{Hidden: true}}) {
		t.Fatal("a --background start would open the window")
	}
	if !showAtStart(OwnerOptions{}) {
		t.Fatal("a plain start would not open the window")
	}
}
