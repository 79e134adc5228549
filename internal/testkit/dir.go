package testkit

import (
	"os"
	"testing"
)

// ShortDir returns a fresh directory with a short path, removed when the
// test ends. A data dir holds the control socket, and a Unix socket's path
// must fit in about 100 bytes: t.TempDir's carries the test's name, which
// can be too long.
func ShortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
