//go:build !windows

package control

import (
	"os"
	"strings"
	"testing"
)

func TestSocketAndDirArePrivate(t *testing.T) {
	dir, _ := serve(t)
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v %v", fi.Mode().Perm(), err)
	}
	fi, err = os.Stat(SocketPath(dir))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode %v %v", fi.Mode(), err)
	}
}

func TestDialOfTooDeepDir(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 120)
	if _, err := Dial(long); err == nil || !strings.Contains(err.Error(), "SLUICE_DATA_DIR") {
		t.Fatalf("Dial of a too-deep dir: %v", err)
	}
}
