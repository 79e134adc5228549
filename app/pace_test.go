package app

import (
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// hhmm is t on the local clock as a card or the runway line says it: the
// time of day, with the weekday when it is not today.
func hhmm(t, now time.Time) string {
	if t.Local().YearDay() != now.Local().YearDay() {
		return t.Local().Format("Mon 15:04")
	}
	return t.Local().Format("15:04")
}

// countPrefix counts the window's texts that start with prefix.
func countPrefix(got []string, prefix string) int {
	n := 0
	for _, s := range got {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// A window forecast to run out before its reset gets a pace line on its
// card; a window without a forecast, and an API key's per-minute buckets,
// get none, nor the windows of a limited account (it spends nothing until
// its limit ends); the line goes when the forecast does.
func TestCardShowsPaceLineOnlyWithAForecast(t *testing.T) {
	now := time.Now()
	reset := now.Add(2 * time.Hour).Truncate(time.Minute)
	runs := reset.Add(-50 * time.Minute)
	sub := api.AccountView{ID: "p1", Name: "personal", Kind: api.KindOAuth, State: api.StateOK, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "allowed", Utilization: 0.41, ResetsAt: reset, PerHour: 0.5, RunsOutAt: runs},
		{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.1, ResetsAt: now.Add(72 * time.Hour), PerHour: 0.001}}}
	key := api.AccountView{ID: "k1", Name: "console", Kind: api.KindAPIKey, State: api.StateOK, Windows: []api.Window{
		{Name: "rpm", Kind: "rpm", Status: "allowed", Utilization: 0.9, ResetsAt: now.Add(30 * time.Second), RunsOutAt: now.Add(10 * time.Second)}}}
	limited := api.AccountView{ID: "t1", Name: "team", Kind: api.KindOAuth, State: api.StateLimited, LimitedUntil: reset, Windows: []api.Window{
		{Name: "5h", Kind: "session", Status: "rejected", Utilization: 1, ResetsAt: reset, RunsOutAt: now.Add(-time.Minute)},
		{Name: "7d", Kind: "weekly", Status: "allowed", Utilization: 0.25, ResetsAt: now.Add(72 * time.Hour), RunsOutAt: now.Add(time.Hour)}}}
	eng := newFakeEngine(true, sub, key, limited)
	v, w, ui := shown(t, eng)

	want := "at this pace: runs out " + hhmm(runs, now) + ", 50 min before reset"
	ui.waitFor(t, "the 5-hour pace line", showing(w, want, "Requests / min"))
	if n := countPrefix(texts(w), "at this pace"); n != 1 {
		t.Errorf("%d pace lines, want 1 (personal's 5-hour window only): %q", n, texts(w))
	}

	// The pace slowed: no forecast, no line.
	eng.change(func(f *fakeEngine) { f.Accts[0].Windows[0].RunsOutAt = time.Time{} })
	eng.Publish(api.EventAccounts)
	ui.waitFor(t, "the pace line gone", func() bool { return countPrefix(texts(w), "at this pace") == 0 })
	if r := v.cards["p1"].bars["5-hour"]; r.paceRow.Visible() {
		t.Error("the pace row still takes room in the card")
	}
}

// The line above the cards says when the whole pool runs out and what
// would help, and goes when it no longer does.
func TestAccountsSayWhenThePoolRunsOut(t *testing.T) {
	now := time.Now()
	runs, back := now.Add(40*time.Minute), now.Add(3*time.Hour)
	eng := newFakeEngine(true, work)
	eng.Snap.Runway = []api.Runway{{RunsOutAt: runs, Until: back}}
	_, w, ui := shown(t, eng)
	line := "At this pace every account is spent at " + hhmm(runs, now) + ", until " + hhmm(back, now) + " when the first resets."
	ui.waitFor(t, "the pool's runway", func() bool {
		for _, s := range texts(w) {
			if strings.Contains(s, line) {
				return true
			}
		}
		return false
	})
	if !strings.Contains(strings.Join(texts(w), "\n"), "Another account, or a Console API key") {
		t.Errorf("the runway does not say what would help: %q", texts(w))
	}
	eng.change(func(f *fakeEngine) { f.Snap.Runway = nil })
	eng.Publish(api.EventAccounts)
	ui.waitFor(t, "the runway gone", func() bool { return countPrefix(texts(w), "At this pace") == 0 })
}

// stepClock is an engine clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// messageIn sends one Messages request in a Claude Code session.
func (e *realEngine) messageIn(t *testing.T, session string) {
	t.Helper()
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", "http://"+e.svc.Addr()+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", e.key)
	req.Header.Set("X-Claude-Code-Session-Id", session)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("request of %s: status %d", session, resp.StatusCode)
	}
}

// A burst on the only account (2 % of the 5-hour window a minute): its card
// says when the window runs out at this pace, and the line above the cards
// says the pool does then too.
func TestRealEngineBurstShowsPaceAndRunway(t *testing.T) {
	clock := &stepClock{t: time.Now()}
	e := newRealEngineAt(t, clock.now)
	reset := time.Now().Add(4 * time.Hour).Truncate(time.Second)
	e.fake.Script("sk-ant-sub", fakeapi.Behavior{Unified: true, Utilization: 0.20, UtilizationStep: 0.02, ResetAt: reset})
	if _, err := e.svc.AddAPIKey(context.Background(), "sub", "sk-ant-sub"); err != nil {
		t.Fatal(err)
	}
	_, w, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "card", showing(w, "sub"))
	if n := countPrefix(texts(w), "at this pace"); n != 0 {
		t.Fatalf("a pace line before any request: %q", texts(w))
	}
	for range 10 { // 20 % -> 40 % in ten minutes: 1.2 windows an hour
		e.messageIn(t, "burst")
		clock.advance(time.Minute)
	}
	accts, err := e.svc.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	runs := accts[0].FiveHour.RunsOutAt
	if runs.IsZero() || runs.Sub(clock.now()) > time.Hour {
		t.Fatalf("the engine forecasts no run-out within the hour: %+v", accts[0].FiveHour)
	}
	// The window draws on the real clock, ten minutes behind the
	// engine's: the run-out is still ahead of it.
	now := time.Now()
	ui.waitFor(t, "the pace line and the runway", func() bool {
		got := texts(w)
		return countPrefix(got, "at this pace: runs out "+hhmm(runs, now)+", ") == 1 &&
			countPrefix(got, "At this pace every account is spent at "+hhmm(runs, now)) == 1
	})
}

// Two sessions of 3 and 1 requests on a subscription whose 5-hour window
// rises 1 % a request: the Usage tab's breakdown by session shows 3 % and
// 1 % of the window, as the engine journaled them, and by account their
// sum.
func TestRealEngineUsageShowsEachSessionsWindowShare(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-sub", fakeapi.Behavior{Unified: true, Utilization: 0.10, UtilizationStep: 0.01, ResetAt: time.Now().Add(time.Hour)})
	if _, err := e.svc.AddAPIKey(context.Background(), "sub", "sk-ant-sub"); err != nil {
		t.Fatal(err)
	}
	e.messageIn(t, "warm-up") // the ledger's first observation: nothing to compare with
	for _, s := range []string{"sess-a", "sess-a", "sess-b", "sess-a"} {
		e.messageIn(t, s)
	}
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(2)
	ui.waitFor(t, "both sessions' shares", func() bool {
		return strings.Contains(v.usage.shares.Text, "sess-a") && strings.Contains(v.usage.shares.Text, "sess-b")
	})
	// What the engine journaled, read as `sluice usage --by session` does.
	rep, err := e.svc.Usage(context.Background(), api.UsageQuery{Since: time.Now().Add(-24 * time.Hour), By: []string{"session"}})
	if err != nil {
		t.Fatal(err)
	}
	journaled := map[string]float64{}
	for _, r := range rep.Rows {
		if f, ok := r.WindowShare["5h"]; ok {
			journaled[r.Session] = f
		}
	}
	if math.Abs(journaled["sess-a"]-0.03) > 1e-6 || math.Abs(journaled["sess-b"]-0.01) > 1e-6 || len(journaled) != 2 {
		t.Fatalf("journaled 5h shares %v, want sess-a 0.03, sess-b 0.01", journaled)
	}
	lines := strings.Split(v.usage.shares.Text, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "sess-a ") || !strings.Contains(lines[0], "   3 req  5h  3.0 %") ||
		!strings.HasPrefix(lines[1], "sess-b ") || !strings.Contains(lines[1], "   1 req  5h  1.0 %") {
		t.Errorf("share by session:\n%s", v.usage.shares.Text)
	}
	if strings.Contains(v.usage.shares.Text, "warm-up") || strings.Contains(v.usage.shares.Text, "estimate") {
		t.Errorf("the first observation got a share, or sequential requests read as an estimate:\n%s", v.usage.shares.Text)
	}
	if !showing(w, "Share of the limit windows by")() {
		t.Errorf("no heading for the share: %q", texts(w))
	}

	v.usage.shareBy.SetSelected("account")
	ui.waitFor(t, "the share by account", func() bool { return strings.HasPrefix(v.usage.shares.Text, "sub ") })
	if !strings.Contains(v.usage.shares.Text, "   5 req  5h  4.0 %") {
		t.Errorf("share by account (5 requests, 4 of them after the first observation):\n%s", v.usage.shares.Text)
	}
}

// A Console key's answers carry per-minute buckets, not windows: the Usage
// tab gives it no share and says why.
func TestUsageGivesAnAPIKeyNoWindowShare(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-key", fakeapi.Behavior{})
	if _, err := e.svc.AddAPIKey(context.Background(), "console", "sk-ant-key"); err != nil {
		t.Fatal(err)
	}
	e.messageIn(t, "s")
	e.messageIn(t, "s")
	v, _, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(2)
	ui.waitFor(t, "the usage read", func() bool { return strings.Contains(v.usage.totals.Text, "2 requests") })
	ui.waitFor(t, "the share's empty state", func() bool {
		return strings.HasPrefix(v.usage.shares.Text, "No share of a limit window in this range.")
	})
}
