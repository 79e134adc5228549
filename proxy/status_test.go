package proxy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Sessions names the account that served each session, counts its
// requests, and forgets a session idle past the session TTL.
func TestSessionsTrackServingAccountAndExpire(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.SessionTTL = time.Hour }))
	e.addKey("work", "sk-ant-api03-SESSIONS")
	for _, s := range []string{"s1", "s1", "s2"} {
		resp := e.do("POST", "/v1/messages", `{"model":"claude-x","max_tokens":1}`, map[string]string{"X-Claude-Code-Session-Id": s})
		resp.Body.Close()
	}
	got := map[string]api.SessionView{}
	for _, s := range e.svc.Sessions() {
		got[s.ID] = s
	}
	if got["s1"].Requests != 2 || got["s2"].Requests != 1 || got["s1"].AccountName != "work" {
		t.Fatalf("sessions: %+v", got)
	}
	e.clock.Advance(2 * time.Hour)
	if ss := e.svc.Sessions(); len(ss) != 0 {
		t.Fatalf("idle sessions still listed: %+v", ss)
	}
}

func TestStatusCountsTodayAndUnusable(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", "sk-ant-api03-STATUSA")
	e.addKey("b", "sk-ant-api03-STATUSB")
	ctx := context.Background()
	if err := e.svc.PauseAccount(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	resp := e.do("POST", "/v1/messages", `{"model":"claude-x","max_tokens":1}`, nil)
	resp.Body.Close()
	var st api.Status
	testkit.WaitFor(t, "the request to reach the journal", func() bool {
		var err error
		st, err = e.svc.Status(ctx)
		return err == nil && st.RequestsToday == 1
	})
	if st.Accounts != 2 || st.Usable != 1 || len(st.Unusable) != 1 || st.Unusable[0].Name != "b" || st.Unusable[0].State != "paused" {
		t.Fatalf("status: %+v", st)
	}
}

func TestLoginFinishUnknownID(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.LoginFinish(context.Background(), "nope", ""); !errors.Is(err, api.ErrNoSuchLogin) {
		t.Fatalf("LoginFinish(unknown) = %v", err)
	}
}

// "Today" is the local day: a request late yesterday (local) is not counted,
// even when it fell on the same UTC day as local midnight.
func TestStatusTodayIsTheLocalDay(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", "sk-ant-api03-STATUSLOCAL")
	tokyo := time.FixedZone("UTC+9", 9*60*60)
	e.clock.Set(time.Date(2026, 11, 28, 20, 0, 0, 0, tokyo)) // 11:00 UTC on the 28th
	resp := e.do("POST", "/v1/messages", `{"model":"claude-x","max_tokens":1}`, nil)
	resp.Body.Close()
	e.clock.Advance(14 * time.Hour) // 10:00 on the 29th in Tokyo, 01:00 UTC
	resp = e.do("POST", "/v1/messages", `{"model":"claude-x","max_tokens":1}`, nil)
	resp.Body.Close()
	ctx := context.Background()
	testkit.WaitFor(t, "both requests to reach the journal", func() bool {
		tot, err := e.db.Totals(ctx, "", time.Time{})
		return err == nil && tot.Requests == 2
	})
	st, err := e.svc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.RequestsToday != 1 {
		t.Fatalf("requests today = %d, want 1 (yesterday evening's is not today's)", st.RequestsToday)
	}
}
