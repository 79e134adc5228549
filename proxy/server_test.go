package proxy_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

func health(addr string) error {
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return errors.New(resp.Status)
	}
	return nil
}

// Clients that resolve localhost to ::1 must reach Sluice on the same port.
func TestListensOnBothLoopbacks(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	} else {
		ln.Close()
	}
	port := testkit.FreePort(t)
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Host = "localhost"; c.Port = port }))
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"127.0.0.1", "[::1]"} {
		if err := health(addr + ":" + strconv.Itoa(port)); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
}

// Another program (another user) holding [::1]:PORT would receive the
// prompts and keys of clients resolving localhost to ::1: refuse to start.
func TestRefusesToStartWhenOtherLoopbackIsTaken(t *testing.T) {
	squatter, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	defer squatter.Close()
	port := squatter.Addr().(*net.TCPAddr).Port
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Host = "127.0.0.1"; c.Port = port }))
	err = e.svc.StartProxy(context.Background())
	if !errors.Is(err, api.ErrPortInUse) || !strings.Contains(err.Error(), "[::1]") {
		t.Fatalf("start with [::1]:%d taken: %v", port, err)
	}
	if e.svc.ProxyRunning() {
		t.Fatal("proxy reports running")
	}
	// The IPv4 side was released: nothing half-started.
	if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Fatalf("127.0.0.1:%d still held: %v", port, err)
	} else {
		ln.Close()
	}
}

func TestListenHostMustResolveToLoopback(t *testing.T) {
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "[::1]", "127.0.0.2"} {
		if err := proxy.CheckLoopback(host); err != nil {
			t.Errorf("%s refused: %v", host, err)
		}
	}
	for _, host := range []string{"0.0.0.0", "::", "192.168.1.10", "example.invalid", "10.0.0.1"} {
		if err := proxy.CheckLoopback(host); err == nil {
			t.Errorf("%s accepted", host)
		}
	}
}

func TestPlainHTTPUpstreamElsewhereRefused(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, up := range []string{"http://api.example.com", "http://192.168.1.5:8080", "http://sluice-upstream.invalid"} {
		_, err := proxy.New(ctx, proxy.Config{Upstream: up}, proxy.Deps{Journal: e.db, Keyring: e.store})
		// The error names the setting the user can change.
		if err == nil || !strings.Contains(err.Error(), "plain http") || !strings.Contains(err.Error(), "SLUICE_UPSTREAM (or --upstream)") {
			t.Errorf("%s: %v", up, err)
		}
		svc, err := proxy.New(ctx, proxy.Config{Upstream: up, AllowInsecureUpstream: true}, proxy.Deps{Journal: e.db, Keyring: e.store})
		if err != nil {
			t.Errorf("%s allowed explicitly: %v", up, err)
			continue
		}
		svc.Close(ctx)
	}
	// A loopback upstream is accepted by what it resolves to.
	for _, up := range []string{"http://localhost:1", "http://127.0.0.1:1", "http://[::1]:1"} {
		svc, err := proxy.New(ctx, proxy.Config{Upstream: up}, proxy.Deps{Journal: e.db, Keyring: e.store})
		if err != nil {
			t.Errorf("%s refused: %v", up, err)
			continue
		}
		svc.Close(ctx)
	}
}
