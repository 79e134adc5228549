package control

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/Microsoft/go-winio"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

func TestControlIsANamedPipe(t *testing.T) {
	dir, _ := serve(t)
	if p := SocketPath(dir); !strings.HasPrefix(p, `\\.\pipe\sluice-`) {
		t.Fatalf("SocketPath = %q, want a named pipe", p)
	}
	if SocketPath(dir) != SocketPath(strings.ToUpper(dir)) {
		t.Fatal("the pipe's name depends on the case of the data dir's path")
	}
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.PID != os.Getpid() || c.Kind != KindServe {
		t.Fatalf("Dial names owner %d %q", c.PID, c.Kind)
	}
}

// A pipe served by another process than the one the data dir's pid file
// names (someone who took the name first) gets no commands.
func TestPipeOfAnotherProcessIsRefused(t *testing.T) {
	dir, _ := serve(t)
	if err := writeOwner(dir, owner{PID: os.Getpid() + 1, Kind: KindServe}); err != nil {
		t.Fatal(err)
	}
	_, err := Dial(dir)
	if err == nil || !strings.Contains(err.Error(), "refused the control pipe") {
		t.Fatalf("Dial of a pipe served by another PID: %v", err)
	}
}

// The owner does not start on a pipe name someone else holds.
func TestTakenPipeNameIsNotShared(t *testing.T) {
	dir := testkit.ShortDir(t)
	squat, err := winio.ListenPipe(SocketPath(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer squat.Close()
	lk, err := Acquire(dir, KindServe)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	if srv, err := Serve(lk, nil, nil); err == nil {
		_ = srv.Close(context.Background())
		t.Fatal("Serve shared a pipe name another listener holds")
	}
}
