package proxy_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The screenshots' account "team", through the engine: polled, three
// requests, then a 429 whose headers report the 5-hour window full and the
// week jumped from 17.75 % to 25 %. One jump is no pace: the week is not
// forecast to run out within minutes, and the pool has no runway from it.
func TestJumpToTheLimitForecastsNothing(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("team", oauthToken)
	reset := e.clock.Now().Add(3*time.Hour + 14*time.Minute).Truncate(time.Second)
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 0.71, ResetAt: reset})
	ctx := context.Background()
	if err := e.svc.PollUsage(ctx); err != nil {
		t.Fatal(err)
	}
	send := func() int {
		resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":1}`, nil)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	e.clock.Advance(70 * time.Second)
	for range 3 {
		if st := send(); st != http.StatusOK {
			t.Fatalf("status %d", st)
		}
		e.clock.Advance(time.Second)
	}
	e.fake.Script(oauthToken, fakeapi.Behavior{Utilization: 1, LimitAfter: e.fake.Served()[oauthToken], ResetAt: reset})
	send()
	views, err := e.svc.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var week api.Window
	for _, w := range views[0].Windows {
		if w.Name == "7d" {
			week = w
		}
	}
	if week.Utilization != 0.25 || !week.RunsOutAt.IsZero() {
		t.Errorf("week %+v: want 25 %% and no forecast from one jump", week)
	}
	st, err := e.svc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.Runway {
		if r.RunsOutAt.After(e.clock.Now()) {
			t.Errorf("runway %+v from one jump", r)
		}
	}
}
