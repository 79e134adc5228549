package proxy_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

const burstKey = "sk-ant-api03-BURST-0001"

// A burst of requests, 2 % of the 5-hour window a minute: the window's
// pace forecasts it spent well before its reset, the pool's runway says
// when, and the engine warns once for the pace and once per threshold.
func TestBurstForecastsRunOutAndWarnsOnce(t *testing.T) {
	e := newEnv(t)
	reset := e.clock.Now().Add(4 * time.Hour).Truncate(time.Second)
	e.fake.Script(burstKey, fakeapi.Behavior{Unified: true, Utilization: 0.20, UtilizationStep: 0.02, ResetAt: reset})
	e.addKey("sub", burstKey)
	events, stop := e.svc.Subscribe()
	defer stop()
	var mu sync.Mutex
	var warned []api.Warning
	go func() {
		for ev := range events {
			if ev.Kind == api.EventWarning && ev.Warning != nil {
				mu.Lock()
				warned = append(warned, *ev.Warning)
				mu.Unlock()
			}
		}
	}()
	send := func(n int) {
		for range n {
			resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1}`, nil)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			e.clock.Advance(time.Minute)
		}
	}
	send(10) // 20 % -> 40 % in ten minutes: 1.2 windows an hour
	views, err := e.svc.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := views[0].FiveHour
	if w.RunsOutAt.IsZero() || !w.RunsOutAt.Before(reset) || w.RunsOutAt.Sub(e.clock.Now()) > time.Hour {
		t.Fatalf("5h window %+v: want runs_out_at within the hour, before the reset %v", w, reset)
	}
	if views[0].SevenDay.RunsOutAt.IsZero() != true {
		t.Errorf("the week (0.5 %%/min of 7 days) runs out: %+v", views[0].SevenDay)
	}
	st, err := e.svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Runway) == 0 || st.Runway[0].Family != "" || !st.Runway[0].RunsOutAt.Equal(w.RunsOutAt) {
		t.Errorf("runway %+v, want the only account's run-out %v", st.Runway, w.RunsOutAt)
	}
	send(20) // past 75 %
	testkit.WaitFor(t, "a pace warning and a 75 % warning", func() bool {
		mu.Lock()
		defer mu.Unlock()
		kinds := map[string]int{}
		for _, x := range warned {
			kinds[x.Kind+"/"+x.Window]++
		}
		return kinds["pace/5h"] == 1 && kinds["threshold/5h"] >= 1
	})
	mu.Lock()
	defer mu.Unlock()
	seen := map[float64]int{}
	for _, x := range warned {
		if x.Kind == api.WarningThreshold {
			seen[x.Threshold]++
		}
	}
	if seen[0.75] != 1 {
		t.Errorf("75 %% warned %d times, want once: %+v", seen[0.75], warned)
	}
	if st, _ := e.svc.Status(context.Background()); len(st.Warnings) == 0 {
		t.Errorf("status lists no warning")
	}
}

// The warnings can be turned off.
func TestQuotaWarningsOff(t *testing.T) {
	e := newEnv(t)
	e.fake.Script(burstKey, fakeapi.Behavior{Unified: true, Utilization: 0.80, ResetAt: e.clock.Now().Add(time.Hour)})
	e.addKey("sub", burstKey)
	st := e.svc.Settings()
	st.QuotaWarnings = "off"
	if _, err := e.svc.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1}`, nil)
	resp.Body.Close()
	if ws := e.svc.Warnings(); len(ws) != 0 {
		t.Errorf("warnings while off: %+v", ws)
	}
	st.QuotaWarnings = "75,90"
	if _, err := e.svc.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	resp = e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1}`, nil)
	resp.Body.Close()
	if ws := e.svc.Warnings(); len(ws) != 1 || ws[0].Threshold != 0.75 {
		t.Errorf("warnings when on at 80 %%: %+v", ws)
	}
}
