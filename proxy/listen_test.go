package proxy_test

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/sluice-proxy/sluice/proxy"
)

// The tray and the window each have a toggle; concurrent and repeated
// starts and stops on a fixed port must never find the port busy.
func TestStartStopConcurrentlyOnFixedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Port = port }))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				errs <- e.svc.StartProxy(ctx)
			} else {
				errs <- e.svc.StopProxy(ctx)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("toggle: %v", err)
		}
	}
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StartProxy(ctx); err != nil {
		t.Fatalf("second start: %v", err)
	}
	resp, err := http.Get("http://" + e.svc.Addr() + "/health")
	if err != nil {
		t.Fatalf("proxy not answering after toggles: %v", err)
	}
	resp.Body.Close()
	if err := e.svc.StopProxy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StopProxy(ctx); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if e.svc.ProxyRunning() {
		t.Fatal("still running after stop")
	}
}
