package testkit

import (
	"net"
	"testing"
)

// FreePort returns a loopback TCP port that was free a moment ago, for a
// process the test starts with a port of its choosing (SLUICE_PORT). Where
// the code under test can listen on port 0 and report its address, prefer
// that: another process may take this port first.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
