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
// runs sluice, the tray app, with --background (the window runs as
// sluice-window: the entry names the sluice found on PATH here, as it
// would beside it); unticking removes it.
func TestStartAtLoginWritesTheAutostartEntry(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	bin := t.TempDir()
	exe := filepath.Join(bin, "sluice")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
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
