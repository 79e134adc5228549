package control

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
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

// serve starts an engine owning a fresh data dir and its control socket.
func serve(t *testing.T) (dir string, svc *proxy.Service) {
	t.Helper()
	dir = testkit.ShortDir(t)
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
	dir := testkit.ShortDir(t)
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

func TestDialWithoutOwner(t *testing.T) {
	if _, err := Dial(testkit.ShortDir(t)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Dial of an idle dir: %v", err)
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
