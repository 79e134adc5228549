//go:build unix

package journal_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// The attack of issue 20: a link planted at sluice.db made Sluice chmod
// its target 0600 (and SQLite write into it). The open is refused and the
// target keeps its mode and content.
func TestPlantedDatabaseLinkNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(target, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "sluice.db")); err != nil {
		t.Fatal(err)
	}
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err == nil {
		db.Close()
		t.Fatal("a link at sluice.db was opened")
	}
	if !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("unclear error: %v", err)
	}
	b, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(b) != "precious\n" || fi.Mode().Perm() != 0o644 {
		t.Errorf("the link's target was changed: %q, mode %v", b, fi.Mode().Perm())
	}
}
