package proxy_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// answers reports whether the proxy's /health answers at addr.
func answers(addr string) bool {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// A port changed from the window moves the running proxy at once, is kept
// for the next start, and yields to a port the command line names; a port
// another program holds is refused and the proxy stays where it was.
func TestSetPortMovesTheProxyAndIsKept(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	old := e.svc.Addr()
	p := testkit.FreePort(t)
	if err := e.svc.SetPort(ctx, p); err != nil {
		t.Fatal(err)
	}
	moved := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	if e.svc.Addr() != moved || !answers(moved) {
		t.Fatalf("after SetPort(%d): Addr %s, answering %v", p, e.svc.Addr(), answers(moved))
	}
	if answers(old) {
		t.Fatalf("the old address %s still answers", old)
	}
	if e.svc.Config().Port != p {
		t.Errorf("Config().Port = %d, want %d", e.svc.Config().Port, p)
	}

	// Another program holds the port asked for: refused, the proxy stays.
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	taken := held.Addr().(*net.TCPAddr).Port
	if err := e.svc.SetPort(ctx, taken); !errors.Is(err, api.ErrPortInUse) {
		t.Fatalf("SetPort(a held port) = %v, want ErrPortInUse", err)
	}
	if !answers(moved) || e.svc.Addr() != moved {
		t.Fatalf("after a refused change the proxy left %s (now %s)", moved, e.svc.Addr())
	}
	if err := e.svc.SetPort(ctx, 0); err == nil {
		t.Error("SetPort(0) accepted")
	}
	e.close()

	// The next start listens on the saved port...
	again := newEnvAt(t, e.dir, e.fake)
	if got := again.svc.Config().Port; got != p {
		t.Errorf("after a restart the port is %d, want the saved %d", got, p)
	}
	again.close()
	// ...unless SLUICE_PORT or --port named one.
	fixed := newEnvAt(t, e.dir, e.fake, withConfig(func(c *proxy.Config) {
		c.Port, c.Fixed = 9, map[string]string{api.SettingPort: "SLUICE_PORT"}
	}))
	if got := fixed.svc.Config().Port; got != 9 {
		t.Errorf("with a port fixed on the command line the port is %d, want 9", got)
	}
	// ...and a change is refused, naming the variable, as long as it does.
	if err := fixed.svc.SetPort(ctx, p); !errors.Is(err, api.ErrSettingFixed) || !strings.Contains(err.Error(), "SLUICE_PORT") {
		t.Errorf("SetPort with SLUICE_PORT set: %v", err)
	}
	if v := fixed.svc.Values(); v.Port != 9 || v.Fixed[api.SettingPort] != "SLUICE_PORT" {
		t.Errorf("Values with SLUICE_PORT set: port %d, fixed %v", v.Port, v.Fixed)
	}
}
