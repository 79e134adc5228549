package proxy_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// A key's daily cost cap holds after its requests are cleaned up and the
// engine restarts, and resets at local midnight (the day Status counts
// too), not at UTC midnight: in Nepal (+05:45) the local day turns at
// 18:15 UTC, in the middle of a UTC day.
func TestKeyCostCapSurvivesCleanupAndFollowsLocalDay(t *testing.T) {
	nepal := time.FixedZone("+0545", 5*3600+45*60)
	start := time.Date(2026, 6, 10, 23, 50, 0, 0, nepal) // 18:05 UTC
	dir, fake := t.TempDir(), fakeapi.New(t)
	e := newEnvAt(t, dir, fake)
	e.clock.set(start)
	e.addKey("work", accountKey)
	ctx := context.Background()
	view, key, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "capped", DailyCostMicros: 1})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`
	ask := func(e *env) int {
		resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := ask(e); code != http.StatusOK {
		t.Fatalf("first request: %d", code)
	}
	midnight := time.Date(2026, 6, 10, 0, 0, 0, 0, nepal)
	waitFor(t, "the cost journaled", func() bool {
		c, err := e.db.KeyCost(ctx, view.ID, midnight)
		return err == nil && c > 0
	})
	if code := ask(e); code != http.StatusTooManyRequests {
		t.Fatalf("over the cap: %d, want 429", code)
	}
	if _, err := e.svc.Cleanup(ctx, api.CleanupOptions{OlderThan: 0}); err != nil {
		t.Fatal(err)
	}
	if tot, err := e.db.RecordTotals(ctx, time.Time{}); err != nil || tot.Requests != 0 {
		t.Fatalf("records left after cleanup: %+v, %v", tot, err)
	}
	e.close()

	// A new process reads the day's spend afresh: the records are gone.
	// Its clock is set before it starts, since retention runs at start.
	clk := &clock{now: start.Add(5 * time.Minute)} // 23:55 local
	e2 := newEnvAt(t, dir, fake, func(_ *proxy.Config, d *proxy.Deps) { d.Now = clk.Now })
	if code := ask(e2); code != http.StatusTooManyRequests {
		t.Fatalf("after cleanup and restart, same local day: %d, want 429", code)
	}
	clk.set(start.Add(15 * time.Minute)) // 00:05 local, 18:20 UTC the same UTC day
	if code := ask(e2); code != http.StatusOK {
		t.Fatalf("after local midnight: %d, want 200", code)
	}
}
