package fakeengine

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// TestSwitchAndHub: the switch counts every call, fails with Fail, and
// publishes a proxy-state event only when the state changed, as the
// engine does; a closed subscription gets nothing more.
func TestSwitchAndHub(t *testing.T) {
	ctx := context.Background()
	e := New("127.0.0.1:8788", false, api.AccountView{Name: "a"})
	events, stop, _ := e.Subscribe()

	for range 2 {
		if err := e.StartProxy(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(events) != 1 {
		t.Fatalf("%d events for one change, want 1", len(events))
	}
	if ev := <-events; ev.Kind != api.EventProxyState {
		t.Fatalf("event %v, want proxy-state", ev.Kind)
	}
	boom := errors.New("boom")
	e.Mu.Lock()
	e.Fail = boom
	e.Mu.Unlock()
	if err := e.StopProxy(ctx); !errors.Is(err, boom) || !e.ProxyRunning() {
		t.Fatalf("StopProxy with Fail set: %v, running %v", err, e.ProxyRunning())
	}
	if starts, stops := e.Counts(); starts != 2 || stops != 1 {
		t.Fatalf("counts %d, %d, want 2, 1", starts, stops)
	}

	e.Mu.Lock()
	e.Snap.StartError = "port in use"
	e.Mu.Unlock()
	s, err := e.Snapshot(ctx)
	if err != nil || !s.ProxyRunning || s.StartError != "port in use" || len(s.Accounts) != 1 || s.Addr != "127.0.0.1:8788" {
		t.Fatalf("snapshot %+v, %v", s, err)
	}
	e.Mu.Lock()
	e.Lost = api.ErrUnreachable
	e.Mu.Unlock()
	if _, err := e.Snapshot(ctx); !errors.Is(err, api.ErrUnreachable) {
		t.Fatalf("snapshot of a lost engine: %v", err)
	}

	stop()
	e.SetAccounts()
	if _, open := <-events; open {
		t.Fatal("an event after the subscription ended")
	}
}
