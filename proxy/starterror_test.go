package proxy_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// A failed start is kept in the Snapshot, so the tray and the window can
// say why the proxy is off, and forgotten once a start succeeds.
func TestSnapshotSaysWhyTheStartFailed(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := held.Addr().(*net.TCPAddr).Port
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Host = "127.0.0.1"; c.Port = port }))
	ctx := context.Background()
	if err := e.svc.StartProxy(ctx); !errors.Is(err, api.ErrPortInUse) {
		t.Fatalf("StartProxy on a held port = %v, want ErrPortInUse", err)
	}
	snap, err := e.svc.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.ProxyRunning || snap.StartError == "" {
		t.Fatalf("after a failed start: running %v, StartError %q", snap.ProxyRunning, snap.StartError)
	}
	held.Close()
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if snap, _ = e.svc.Snapshot(ctx); snap.StartError != "" {
		t.Fatalf("after a start that worked: StartError %q", snap.StartError)
	}
}
