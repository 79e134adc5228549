package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// next waits for the subscription's next event of kind, failing after a
// deadline; events of other kinds are passed over.
func next(t *testing.T, events <-chan api.Event, kind api.EventKind) api.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event", kind)
		}
	}
}

// Events carry what changed: an answer's windows come as the account's
// view, a pause as the whole list, a settings change as the settings, so
// the faces need no read per event.
func TestEventsCarryWhatChanged(t *testing.T) {
	e := newEnv(t)
	reset := e.clock.Now().Add(3 * time.Hour).Truncate(time.Second)
	e.fake.Script(burstKey, fakeapi.Behavior{Unified: true, Utilization: 0.30, UtilizationStep: 0.10, ResetAt: reset})
	e.addKey("sub", burstKey)
	e.addKey("other", accountKey)
	events, stop := e.svc.Subscribe()
	defer stop()

	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1}`, nil)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ev := next(t, events, api.EventAccountState)
	if !ev.Carries() || len(ev.Accounts) != 1 {
		t.Fatalf("account-state event %+v: want the changed account's view", ev)
	}
	a := ev.Accounts[0]
	if a.Name != "sub" || ev.AccountID != a.ID || a.FiveHour.Percent() != "40%" || !a.FiveHour.ResetsAt.Equal(reset) {
		t.Errorf("account-state carries %+v; want sub at 40 %% of its 5-hour window, resetting %v", a, reset)
	}

	if err := e.svc.PauseAccount(context.Background(), "other"); err != nil {
		t.Fatal(err)
	}
	ev = next(t, events, api.EventAccounts)
	if len(ev.Accounts) != 2 || ev.Accounts[1].Name != "other" || ev.Accounts[1].State != api.StatePaused {
		t.Errorf("accounts event carries %+v; want both accounts, other paused", ev.Accounts)
	}

	ps := e.svc.ProxySettings()
	ps.TrayWindow = "7D"
	if err := e.svc.UpdateProxySettings(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	ev = next(t, events, api.EventSettings)
	if ev.Settings == nil || ev.Settings.TrayWindow != "7d" || ev.Settings.Strategy != ps.Strategy {
		t.Errorf("settings event carries %+v; want the settings with tray window 7d", ev.Settings)
	}
}

// A face that misses events sees a gap in Seq: it then reads a Snapshot.
func TestSubscriberThatFallsBehindSeesAGap(t *testing.T) {
	e := newEnv(t)
	events, stop := e.svc.Subscribe()
	defer stop()
	var seq api.Sequence
	for range 100 { // more than the subscription holds
		e.svc.ShowWindow()
	}
	gaps := 0
	for range 64 {
		if !seq.Follows(<-events) {
			gaps++
		}
	}
	if gaps != 0 {
		t.Fatalf("%d gaps in the events the subscription held", gaps)
	}
	e.svc.ShowWindow()
	if seq.Follows(<-events) {
		t.Error("the event after 36 dropped ones follows the last one held")
	}
}

// A burst on the only account: the pace warning says how long before the
// reset it runs out, and the pool's warning (every account spent) comes
// once per reset and says what would help.
func TestPoolRunOutWarnsOnceWithWhatHelps(t *testing.T) {
	e := newEnv(t)
	reset := e.clock.Now().Add(4 * time.Hour).Truncate(time.Second)
	e.fake.Script(burstKey, fakeapi.Behavior{Unified: true, Utilization: 0.20, UtilizationStep: 0.02, ResetAt: reset})
	e.addKey("sub", burstKey)
	events, stop := e.svc.Subscribe()
	defer stop()
	var warned []api.Warning
	for range 30 {
		resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1}`, nil)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		e.clock.Advance(time.Minute)
	drain:
		for {
			select {
			case ev := <-events:
				if ev.Kind == api.EventWarning {
					warned = append(warned, *ev.Warning)
				}
			default:
				break drain
			}
		}
	}
	kinds := map[string][]api.Warning{}
	for _, x := range warned {
		if x.Window != "7d" { // the week runs out days before its reset too
			kinds[x.Kind] = append(kinds[x.Kind], x)
		}
	}
	if p := kinds[api.WarningPool]; len(p) != 1 || !strings.Contains(p[0].Message, "Another account, or a Console API key") ||
		p[0].RunsOutAt.IsZero() || !p[0].ResetsAt.Equal(reset) {
		t.Errorf("pool warnings %+v; want one, saying when and what would help, until the reset %v", p, reset)
	}
	if p := kinds[api.WarningPace]; len(p) != 1 || !strings.Contains(p[0].Message, "3 h 21 min before it resets at") {
		t.Errorf("pace warnings %+v; want one saying how long before the reset", p)
	}
}
