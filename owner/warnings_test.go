package owner

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Quota warnings go through the owner's one event loop into the same
// burst as account changes: a warning and a limit at once make one
// bubble; a warning told once is not told again when it comes again (a
// second subscription), and the next window's does come.
func TestOwnerTellsQuotaWarningsInTheBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var bubbles [][2]string
		o := &owner{notes: NewNotifier(), notify: func(title, body string) {
			mu.Lock()
			defer mu.Unlock()
			bubbles = append(bubbles, [2]string{title, body})
		}}
		sent := func() [][2]string { mu.Lock(); defer mu.Unlock(); return slices.Clone(bubbles) }
		day := func(h, m int) time.Time { return time.Date(2026, 12, 7, h, m, 0, 0, time.Local) }
		o.notes.now = func() time.Time { return day(15, 0) }
		feed, toTray := make(chan api.Event), make(chan api.Event, 64)
		done := make(chan struct{})
		go func() { defer close(done); o.dispatch(feed, toTray) }()
		go func() {
			for range toTray {
			}
		}()
		threshold := api.Warning{AccountID: "1", Account: "personal", Window: "5h", Kind: api.WarningThreshold, Threshold: 0.9,
			Utilization: 0.91, ResetsAt: day(17, 0), Message: "personal: 5h window at 91 %, resets 17:00"}
		pool := api.Warning{Kind: api.WarningPool, RunsOutAt: day(16, 10), ResetsAt: day(17, 0),
			Message: "At this pace every account is spent at 16:10, until 17:00. Another account, or a Console API key (sluice accounts add-key), would keep requests going."}

		// One warning alone: its own title.
		feed <- api.Event{Kind: api.EventWarning, Warning: &threshold}
		time.Sleep(notifyBurst)
		synctest.Wait()
		want := [][2]string{{"Sluice: personal at 91 % of its 5h window", threshold.Message}}
		if got := sent(); !slices.Equal(got, want) {
			t.Fatalf("sent %q, want %q", got, want)
		}

		// The same warning again, and the pool's with a limit, in one burst.
		accts := []api.AccountView{{ID: "1", Name: "personal", State: api.StateOK}, {ID: "2", Name: "team", State: api.StateOK}}
		o.read(api.Snapshot{Accounts: slices.Clone(accts)}) // the baseline
		feed <- api.Event{Kind: api.EventWarning, Warning: &threshold}
		feed <- api.Event{Kind: api.EventWarning, Warning: &pool}
		accts[1].State, accts[1].LimitedUntil = api.StateLimited, day(18, 30)
		o.read(api.Snapshot{Accounts: slices.Clone(accts)})
		time.Sleep(notifyBurst)
		synctest.Wait()
		want = append(want, [2]string{"Sluice: accounts changed", "team reached a usage limit; it is back at 18:30.\n" + pool.Message})
		if got := sent(); !slices.Equal(got, want) {
			t.Fatalf("sent %q, want %q", got, want)
		}

		// The next 5-hour window's warning is news again.
		next := threshold
		next.ResetsAt = day(22, 0)
		feed <- api.Event{Kind: api.EventWarning, Warning: &next}
		time.Sleep(notifyBurst)
		synctest.Wait()
		if got := sent(); len(got) != 3 {
			t.Errorf("the next window's warning: sent %q", got[2:])
		}
		close(feed)
		<-done
	})
}
