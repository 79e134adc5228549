//go:build unix

package control_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/datadir"
)

// The attack of issue 20: Sluice run as root on a data dir another user
// owns. That user could plant links in it; the start is refused, naming
// the dir and its owner, before anything is written there.
func TestForeignDataDirRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a dir to another user (uid 65534); CI runs the tests as root")
	}
	dir := filepath.Join(t.TempDir(), "victim")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	l, err := control.Acquire(dir, control.KindServe)
	if err == nil {
		l.Release()
		t.Fatal("a data dir owned by uid 65534 was accepted by root")
	}
	if !errors.Is(err, datadir.ErrForeign) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "uid 65534") {
		t.Errorf("error does not name the dir and its owner: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sluice.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("something was created in the foreign dir: %v", err)
	}
	// A link of the user's own pointing at the foreign dir is no way round.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if l, err := control.Acquire(link, control.KindServe); !errors.Is(err, datadir.ErrForeign) {
		if l != nil {
			l.Release()
		}
		t.Errorf("a link to a foreign dir: %v", err)
	}
}

// A link planted at sluice.pid or sluice.lock, pointing at a file outside
// the data dir: the start fails saying so, and the target is untouched
// (before, it was overwritten with the pid JSON).
func TestPlantedLinksNotFollowed(t *testing.T) {
	for _, name := range []string{"sluice.pid", "sluice.lock", "sluice.pid.tmp"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(t.TempDir(), "precious")
			if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			l, err := control.Acquire(dir, control.KindServe)
			if l != nil {
				defer l.Release()
			}
			if name != "sluice.pid.tmp" && (err == nil || !strings.Contains(err.Error(), "not a regular file")) {
				t.Errorf("start with a link at %s: %v, want a clear refusal", name, err)
			}
			b, _ := os.ReadFile(target)
			fi, _ := os.Stat(target)
			if string(b) != "precious\n" || fi.Mode().Perm() != 0o644 {
				t.Errorf("the link's target was changed: %q, mode %v", b, fi.Mode().Perm())
			}
		})
	}
}
