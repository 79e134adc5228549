package vault_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/vault"
)

const (
	childMarker = "SLUICE_VAULT_SECRET_SERVICE_CHILD"
	childOK     = "secret-service child: all checks ran"
)

// TestSecretService runs the store against a real gnome-keyring in a private
// D-Bus session. keyring registers its Secret Service backend only when a
// session bus exists at process start, so the checks run in a re-executed
// copy of this test binary that starts inside that session.
func TestSecretService(t *testing.T) {
	if os.Getenv(childMarker) == "1" {
		secretServiceChild(t)
		return
	}
	testkit.NeedTools(t, "dbus-daemon", "gnome-keyring-daemon") // apt: dbus, gnome-keyring
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o700); err != nil {
		t.Fatal(err)
	}
	// A clean environment: no DISPLAY (no X autolaunch), no bus of the
	// caller's, keyrings under the temp dir.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_RUNTIME_DIR=" + run,
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "LANG=C.UTF-8"}
	killSessionProcesses(t, dir)
	addr := testkit.StartBus(t, env...)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	startKeyring(t, env, addr)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	child := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSecretService$", "-test.v", "-test.count=1")
	child.Env = append(env, childMarker+"=1")
	out, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("child test failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), childOK) {
		t.Fatalf("child test did not run its checks:\n%s", out)
	}
}

// startKeyring starts gnome-keyring-daemon with an unlocked "login"
// collection and waits until it is on the bus.
func startKeyring(t *testing.T, env []string, addr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	defer conn.Close()
	// The daemon claims its name after --daemonize returns: watch for it
	// before starting it.
	const name = "org.freedesktop.secrets"
	if err := conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, name)); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)

	cmd := exec.CommandContext(ctx, "gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize")
	cmd.Env = env
	cmd.Stdin = strings.NewReader("keyring-test-password")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gnome-keyring-daemon: %v\n%s", err, out)
	}
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned); err != nil {
		t.Fatal(err)
	}
	for !owned {
		select {
		case sig := <-signals:
			owned = len(sig.Body) == 3 && sig.Body[2] != ""
		case <-ctx.Done():
			t.Fatalf("gnome-keyring-daemon did not claim %s on the test bus", name)
		}
	}
}

// killSessionProcesses registers a cleanup that ends every process started
// with HOME=home: the bus, gnome-keyring-daemon (which --daemonize moves to a
// session of its own) and anything the bus activated. The temp dir makes the
// match unique to this test.
func killSessionProcesses(t *testing.T, home string) {
	t.Cleanup(func() {
		procs, _ := filepath.Glob("/proc/[0-9]*/environ")
		for _, p := range procs {
			environ, err := os.ReadFile(p)
			if err != nil || !bytes.Contains(append([]byte{0}, environ...), []byte("\x00HOME="+home+"\x00")) {
				continue
			}
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

// secretServiceChild runs inside the private session.
func secretServiceChild(t *testing.T) {
	cfg := vault.Config{Backend: "secret-service", ServiceName: "sluice-test", Collection: "login"}
	s, err := vault.Open(cfg)
	if err != nil {
		t.Fatalf("Open secret-service: %v", err)
	}
	if s.Backend() != "secret-service" {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	c := vault.Credential{Kind: vault.KindOAuth, AccessToken: testAccess, RefreshToken: testRefresh, ExpiresAt: 1}
	if err := s.Put("acct-1", c); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, err := s.Get("acct-1"); err != nil || got != c {
		t.Fatalf("Get = %v, %v; want the stored credential", got, err)
	}
	if n := searchItems(t, "sluice-test:acct-1"); n != 1 {
		t.Fatalf("gnome-keyring holds %d items for the account, want 1", n)
	}
	c.RefreshToken += "-rotated"
	if err := s.Put("acct-1", c); err != nil {
		t.Fatalf("Put (replace): %v", err)
	}
	if got, _ := s.Get("acct-1"); got.RefreshToken != c.RefreshToken {
		t.Fatal("Put did not replace the item")
	}
	if n := searchItems(t, "sluice-test:acct-1"); n != 1 {
		t.Fatalf("after replacing: %d items, want 1", n)
	}

	// "auto" picks the Secret Service here.
	if auto, err := vault.Open(vault.Config{ServiceName: "sluice-test"}); err != nil || auto.Backend() != "secret-service" {
		t.Fatalf("auto: %v, %v", auto, err)
	} else if got, err := auto.Get("acct-1"); err != nil || got != c {
		t.Fatalf("auto store Get: %v", err)
	}

	if err := s.Delete("acct-1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get("acct-1"); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete("acct-1"); err != nil {
		t.Fatalf("Delete of an absent item: %v", err)
	}

	// A missing collection is an error, not a creation prompt that hangs.
	if _, err := vault.Open(vault.Config{Backend: "secret-service", Collection: "no-such-collection"}); err == nil ||
		!strings.Contains(err.Error(), "no-such-collection") {
		t.Fatalf("missing collection: err = %v", err)
	}

	// A locked collection is reported, not waited on. Last: unlocking again
	// would need a prompt.
	lockCollection(t, "/org/freedesktop/secrets/collection/login")
	if _, err := vault.Open(cfg); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("Open on a locked collection: err = %v, want ErrLocked", err)
	}
	if _, err := s.Get("acct-1"); !errors.Is(err, vault.ErrLocked) {
		t.Fatalf("Get on a locked collection: err = %v, want ErrLocked", err)
	}
	t.Log(childOK)
}

func sessionBus(t *testing.T) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(os.Getenv("DBUS_SESSION_BUS_ADDRESS"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// searchItems counts the Secret Service items keyring stored under key.
func searchItems(t *testing.T, key string) int {
	t.Helper()
	var unlocked, locked []dbus.ObjectPath
	err := sessionBus(t).Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.SearchItems", 0, map[string]string{"profile": key}).Store(&unlocked, &locked)
	if err != nil {
		t.Fatalf("SearchItems: %v", err)
	}
	return len(unlocked) + len(locked)
}

func lockCollection(t *testing.T, path dbus.ObjectPath) {
	t.Helper()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := sessionBus(t).Object("org.freedesktop.secrets", "/org/freedesktop/secrets").
		Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{path}).Store(&locked, &prompt)
	if err != nil || len(locked) != 1 {
		t.Fatalf("Lock: %v (locked %v, prompt %v)", err, locked, prompt)
	}
}
