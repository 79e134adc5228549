package app

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Events are dispatched by kind: a burst of request events re-reads the
// logs, not the engine's state; an account event re-reads the accounts.
func TestRequestEventsRefreshTheLogsOnly(t *testing.T) {
	eng := newFakeEngine(true, work)
	var logReads atomic.Int64
	eng.logs = func(api.LogFilter) api.LogPage {
		logReads.Add(1)
		return api.LogPage{}
	}
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the accounts", showing(w, "work"))
	reads := func() int { eng.Mu.Lock(); defer eng.Mu.Unlock(); return eng.AccountReads }
	ui.waitFor(t, "the first logs read", func() bool { return logReads.Load() > 0 })
	before, logsBefore := reads(), logReads.Load()
	for range 5 {
		eng.Publish(api.EventRequest)
	}
	ui.waitFor(t, "the logs re-read", func() bool { return logReads.Load() > logsBefore })
	ui.settle()
	if got := reads(); got != before {
		t.Errorf("request events read the accounts %d times, want none", got-before)
	}
	eng.Publish(api.EventAccounts)
	ui.waitFor(t, "the accounts re-read", func() bool { return reads() > before })
}

// A window that lost the engine says so where the proxy's state shows,
// and comes back with it.
func TestWindowSaysItLostTheEngine(t *testing.T) {
	eng := newFakeEngine(true, work)
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the proxy's state", showing(w, "Proxy on at 127.0.0.1:8788"))
	eng.Mu.Lock()
	eng.AccountsErr = fmt.Errorf("talk to the running Sluice: %w", api.ErrUnreachable)
	eng.Mu.Unlock()
	eng.Publish(api.EventProxyState)
	ui.waitFor(t, "the lost engine", showing(w, "Cannot reach Sluice's engine"))
	eng.Mu.Lock()
	eng.AccountsErr = nil
	eng.Mu.Unlock()
	eng.Publish(api.EventProxyState)
	ui.waitFor(t, "the engine back", showing(w, "Proxy on at 127.0.0.1:8788"))
}
