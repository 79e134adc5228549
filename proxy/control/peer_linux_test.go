package control

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

func TestPeerOfAnotherUserIsRefused(t *testing.T) {
	if err := sameUser(1000, 0); err == nil || !strings.Contains(err.Error(), "uid 1000") {
		t.Fatalf("sameUser(1000, 0) = %v", err)
	}
	if err := sameUser(1000, 1000); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 {
		t.Log("not root: the connection from a second uid is not tried")
		return
	}
	dir, _ := serve(t)
	// Open the way for uid 65534 as a careless chmod would, so that only
	// the SO_PEERCRED check stands between it and the engine.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(SocketPath(dir), 0o666); err != nil {
		t.Fatal(err)
	}
	// The child is this test binary, copied where uid 65534 may run it.
	bin := filepath.Join(shortDirMode(t, 0o755), "control.test")
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	client := func(uid uint32) (string, error) {
		cmd := exec.Command(bin, "-test.run=^TestPeerHelper$")
		cmd.Env = append(os.Environ(), "SLUICE_PEER_HELPER_SOCKET="+SocketPath(dir))
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := client(0)
	if err != nil || !strings.Contains(out, "ANSWER: HTTP/1.0 200 OK") {
		t.Fatalf("same uid: %v %s", err, out)
	}
	out, err = client(65534)
	if err != nil || !strings.Contains(out, "ANSWER: CLOSED") {
		t.Fatalf("uid 65534 was not refused: %q (%v)", out, err)
	}
}

// TestPeerHelper is the client TestPeerOfAnotherUserIsRefused runs as
// another uid: it sends one request and prints what came back.
func TestPeerHelper(t *testing.T) {
	path := os.Getenv("SLUICE_PEER_HELPER_SOCKET")
	if path == "" {
		return // run only as the child
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		fmt.Println("DIAL:", err)
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte("POST /v1/accounts HTTP/1.0\r\nContent-Length: 0\r\n\r\n"))
	b, _ := io.ReadAll(c)
	if len(b) == 0 {
		fmt.Println("ANSWER: CLOSED")
		return
	}
	fmt.Println("ANSWER:", string(b))
}

func shortDirMode(t *testing.T, mode os.FileMode) string {
	dir := testkit.ShortDir(t)
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}
