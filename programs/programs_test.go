package programs

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A program is found beside the running one (through a symlink to it, as
// a user's ~/bin link), before one on PATH; without either, the error
// names it and where it looked.
func TestPathBesideThenPATH(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the names carry .exe there")
	}
	dir, other := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(dir, Sluice), filepath.Join(dir, Window), filepath.Join(other, Window)} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(t.TempDir(), "sluice-link")
	if err := os.Symlink(filepath.Join(dir, Sluice), link); err != nil {
		t.Fatal(err)
	}
	self := func() (string, error) { return link, nil }
	onPath := func(name string) (string, error) { return filepath.Join(other, name), nil }
	none := func(string) (string, error) { return "", errors.New("not on PATH") }

	if got, err := path(Window, self, onPath); err != nil || got != filepath.Join(dir, Window) {
		t.Errorf("beside: %q, %v; want the one beside the program", got, err)
	}
	if err := os.Remove(filepath.Join(dir, Window)); err != nil {
		t.Fatal(err)
	}
	if got, err := path(Window, self, onPath); err != nil || got != filepath.Join(other, Window) {
		t.Errorf("on PATH: %q, %v", got, err)
	}
	_, err := path(Window, self, none)
	if err == nil || !strings.Contains(err.Error(), "sluice-window is not installed") || !strings.Contains(err.Error(), dir) {
		t.Errorf("missing: %v; want an error naming sluice-window and %s", err, dir)
	}
}
