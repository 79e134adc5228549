package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// memKeyring is a keyring in memory: these tests are about the socket.
type memKeyring map[string]vault.Credential

func (m memKeyring) Put(id string, c vault.Credential) error { m[id] = c; return nil }
func (m memKeyring) Get(id string) (vault.Credential, error) {
	c, ok := m[id]
	if !ok {
		return c, vault.ErrNotFound
	}
	return c, nil
}
func (m memKeyring) Delete(id string) error { delete(m, id); return nil }

func shortDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "sl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve starts an engine owning a fresh data dir and its control socket.
func serve(t *testing.T) (dir string, svc *proxy.Service) {
	t.Helper()
	dir = shortDir(t)
	lk, err := Acquire(dir, KindServe)
	if err != nil {
		t.Fatal(err)
	}
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err = proxy.New(context.Background(), proxy.Config{}, proxy.Deps{Journal: db, Keyring: memKeyring{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Serve(lk, svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
		_ = svc.Close(ctx)
		_ = db.Close()
		_ = lk.Release()
	})
	return dir, svc
}

func TestLockIsExclusiveAndNamesItsOwner(t *testing.T) {
	dir := shortDir(t)
	lk, err := Acquire(dir, KindTray)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir, KindServe)
	var owned *OwnedError
	if !errors.As(err, &owned) || owned.PID != os.Getpid() || owned.Kind != KindTray {
		t.Fatalf("second acquire: %v", err)
	}
	if err := lk.Release(); err != nil {
		t.Fatal(err)
	}
	lk, err = Acquire(dir, KindServe)
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	_ = lk.Release()
}

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

func TestDialWithoutOwner(t *testing.T) {
	if _, err := Dial(shortDir(t)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Dial of an idle dir: %v", err)
	}
	long := "/tmp/" + strings.Repeat("d", 120)
	if _, err := Dial(long); err == nil || !strings.Contains(err.Error(), "SLUICE_DATA_DIR") {
		t.Fatalf("Dial of a too-deep dir: %v", err)
	}
}

func TestErrorsAndEventsCrossTheSocket(t *testing.T) {
	dir, _ := serve(t)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.PID != os.Getpid() || c.Kind != KindServe {
		t.Fatalf("owner %d %q", c.PID, c.Kind)
	}
	ctx := context.Background()
	events, stop, err := c.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if _, err := c.AddAPIKey(ctx, "work", "sk-ant-api03-SOCKET"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddAPIKey(ctx, "work", "sk-ant-api03-SOCKET"); !errors.Is(err, api.ErrAccountExists) {
		t.Fatalf("duplicate add: %v", err)
	}
	if err := c.PauseAccount(ctx, "nosuch"); !errors.Is(err, api.ErrNoSuchAccount) {
		t.Fatalf("pause nosuch: %v", err)
	}
	if err := c.ShowWindow(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	seen := map[api.EventKind]bool{}
	timeout := time.After(10 * time.Second)
	for !seen[api.EventAccounts] || !seen[api.EventShowWindow] || !seen[api.EventProxyState] {
		select {
		case e := <-events:
			seen[e.Kind] = true
			// The proxy's state travels with its event.
			if e.Kind == api.EventProxyState && (e.Proxy == nil || !e.Proxy.Running || e.Proxy.Addr == "") {
				t.Errorf("proxy-state event %+v does not carry the running proxy", e)
			}
		case <-timeout:
			t.Fatalf("events seen: %v", seen)
		}
	}
	views, err := c.Accounts(ctx)
	if err != nil || len(views) != 1 || views[0].Name != "work" {
		t.Fatalf("accounts: %v %+v", err, views)
	}
}

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
	dir := shortDir(t)
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}
