package app

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/owner"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// readCounter is the real engine's in-process client that counts the
// reads of the engine's state the window makes (the journal's pages are
// not counted: request events re-read them on purpose).
type readCounter struct {
	Engine
	reads atomic.Int64
}

func (c *readCounter) Snapshot(ctx context.Context) (api.Snapshot, error) {
	c.reads.Add(1)
	return c.Engine.Snapshot(ctx)
}

func (c *readCounter) FirstKey(ctx context.Context) (api.KeyView, string, bool, error) {
	c.reads.Add(1)
	return c.Engine.FirstKey(ctx)
}

func (c *readCounter) ProxySettings(ctx context.Context) (api.ProxySettings, error) {
	c.reads.Add(1)
	return c.Engine.ProxySettings(ctx)
}

func (c *readCounter) Settings(ctx context.Context) (api.Settings, error) {
	c.reads.Add(1)
	return c.Engine.Settings(ctx)
}

// TestWindowAppliesWhatEventsCarry drives the real engine: answers that
// raise an account's 5-hour window, a pause, and a strategy change from
// elsewhere; each reaches the window from its event alone, with no read
// of the engine's state per event.
func TestWindowAppliesWhatEventsCarry(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{Unified: true, Utilization: 0.10, UtilizationStep: 0.10, ResetAt: time.Now().Add(2 * time.Hour)})
	ctx := context.Background()
	if _, err := e.svc.AddAPIKey(ctx, "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	events, stop := e.svc.Subscribe()
	defer stop()
	var published atomic.Int64 // account and settings events
	go func() {
		for ev := range events {
			if ev.Kind == api.EventAccountState || ev.Kind == api.EventAccounts || ev.Kind == api.EventSettings {
				published.Add(1)
			}
		}
	}()
	eng := &readCounter{Engine: control.NewLocal(e.svc)}
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the card", showing(w, "a", "ok"))
	before := eng.reads.Load()

	for _, want := range []string{"20%", "30%", "40%"} {
		if got := e.message(t); got != http.StatusOK {
			t.Fatalf("request: %d", got)
		}
		ui.waitFor(t, "5-hour at "+want, showing(w, "5-hour", want))
	}
	if err := e.svc.PauseAccount(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	ui.waitFor(t, "paused", showing(w, "paused"))
	ps := e.svc.ProxySettings()
	ps.Strategy = "round-robin"
	if err := e.svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	ui.waitFor(t, "the strategy", func() bool { return v.settings.proxy.Strategy == "round-robin" })

	reads, n := eng.reads.Load()-before, published.Load()
	t.Logf("%d account and settings events: %d reads of the engine's state by the window, %.2f per event", n, reads, float64(reads)/float64(max(n, 1)))
	if reads != 0 {
		t.Errorf("the window read the engine's state %d times for %d events that carried what changed", reads, n)
	}
}

// A view's channel that is full loses its oldest event to a resync, so a
// view that applies what events carry reads the engine rather than miss
// a change for good.
func TestAFullViewGetsAResync(t *testing.T) {
	ch := make(chan api.Event, 2)
	owner.Deliver(ch, api.Event{Kind: api.EventAccountState, Seq: 1})
	owner.Deliver(ch, api.Event{Kind: api.EventAccountState, Seq: 2})
	owner.Deliver(ch, api.Event{Kind: api.EventAccountState, Seq: 3})
	if got := []api.Event{<-ch, <-ch}; got[0].Seq != 2 || got[1].Kind != api.EventResync {
		t.Errorf("a full channel holds %+v; want event 2, then a resync in place of 1 and 3", got)
	}
}

// feedEngine is an Engine whose one subscription the test feeds.
type feedEngine struct {
	Engine
	feed chan api.Event
}

func (f feedEngine) Subscribe() (<-chan api.Event, func(), error) { return f.feed, func() {}, nil }

// The window process's one subscription hands its view a resync where
// the engine dropped events (a gap in Seq), and the window's own
// requests to their handlers.
func TestSubscriptionResyncsOnAGap(t *testing.T) {
	feed, view := make(chan api.Event), make(chan api.Event, 16)
	shown := 0
	sub, err := subscribe(feedEngine{feed: feed}, view, map[api.EventKind]func(){api.EventShowWindow: func() { shown++ }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	feed <- api.Event{Kind: api.EventAccountState, Seq: 1}
	feed <- api.Event{Kind: api.EventShowWindow, Seq: 2}
	feed <- api.Event{Kind: api.EventAccountState, Seq: 4}
	close(feed)
	var got []api.EventKind
	for e := range view { // closed when the feed ends
		got = append(got, e.Kind)
	}
	sub.Stop()
	want := []api.EventKind{api.EventAccountState, api.EventResync, api.EventAccountState}
	if !slices.Equal(got, want) || shown != 1 {
		t.Errorf("the view got %v and the window was shown %d times; want %v and once", got, shown, want)
	}
}
