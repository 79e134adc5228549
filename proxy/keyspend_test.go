package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// A key's daily cost cap holds after its requests are cleaned up and the
// engine restarts, and resets at local midnight (the day Status counts
// too), not at UTC midnight: in Nepal (+05:45) the local day turns at
// 18:15 UTC, in the middle of a UTC day.
func TestKeyCostCapSurvivesCleanupAndFollowsLocalDay(t *testing.T) {
	nepal := time.FixedZone("+0545", 5*3600+45*60)
	start := time.Date(2026, 6, 10, 23, 50, 0, 0, nepal) // 18:05 UTC
	dir, fake := t.TempDir(), fakeapi.New(t)
	e := newEnvAt(t, dir, fake)
	e.clock.Set(start)
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
	testkit.WaitFor(t, "the cost journaled", func() bool {
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
	clk := testkit.NewClock(start.Add(5 * time.Minute)) // 23:55 local
	e2 := newEnvAt(t, dir, fake, func(_ *proxy.Config, d *proxy.Deps) { d.Now = clk.Now })
	if code := ask(e2); code != http.StatusTooManyRequests {
		t.Fatalf("after cleanup and restart, same local day: %d, want 429", code)
	}
	clk.Set(start.Add(15 * time.Minute)) // 00:05 local, 18:20 UTC the same UTC day
	if code := ask(e2); code != http.StatusOK {
		t.Fatalf("after local midnight: %d, want 200", code)
	}
}

// gatedTransport holds every upstream request until open is closed,
// counting the ones that arrived.
type gatedTransport struct {
	arrived atomic.Int64
	open    chan struct{}
}

func (g *gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	g.arrived.Add(1)
	<-g.open
	return http.DefaultTransport.RoundTrip(r)
}

// The attack of issue 20: a $0.01/day key sends four requests at once, each
// able to cost far more than the cap. They are held upstream until every
// one has either arrived there or been refused, so all four overlap: at
// most one may reach an account, and the refusals are journaled with their
// reason, so `sluice logs` explains the 429s. The rpm cap's refusals are
// journaled the same way.
func TestKeyDailyCapParallelSpendersOneGetsThrough(t *testing.T) {
	gate := &gatedTransport{open: make(chan struct{})}
	e := newEnv(t, func(_ *proxy.Config, d *proxy.Deps) { d.Transport = gate })
	e.addKey("work", accountKey)
	ctx := context.Background()
	_, key, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "penny", DailyCostMicros: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	// 4,096 output tokens of Sonnet at $15 per million: $0.06 at worst.
	body := `{"model":"claude-sonnet-4-5","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}`
	var refused, ok atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", key))
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				refused.Add(1)
			case http.StatusOK:
				ok.Add(1)
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	testkit.WaitFor(t, "every request upstream or refused", func() bool { return gate.arrived.Load()+refused.Load() == 4 })
	close(gate.open)
	wg.Wait()
	if n := gate.arrived.Load(); n > 1 {
		t.Fatalf("%d of 4 parallel requests reached an account on a $0.01/day key, want at most 1", n)
	}
	if ok.Load() != 1 || refused.Load() != 3 {
		t.Fatalf("%d answered, %d refused; want 1 and 3", ok.Load(), refused.Load())
	}
	testkit.WaitFor(t, "the refusals journaled", func() bool {
		recs, _ := e.db.Records(ctx, journal.Query{})
		n := 0
		for _, r := range recs {
			if r.Status == http.StatusTooManyRequests && strings.Contains(string(r.Error), "daily cost cap") && r.ClientKeyID != "" {
				n++
			}
		}
		return n == 3
	})

	_, slow, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "slow", RPM: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		e.do("GET", "/v1/models", "", keyed("x-api-key", slow)).Body.Close()
	}
	testkit.WaitFor(t, "the rpm refusal journaled", func() bool {
		recs, _ := e.db.Records(ctx, journal.Query{})
		for _, r := range recs {
			if r.Status == http.StatusTooManyRequests && strings.Contains(string(r.Error), "requests per minute") {
				return true
			}
		}
		return false
	})
}
