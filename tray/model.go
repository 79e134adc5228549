package tray

import (
	"slices"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// stateOf is what the tray shows of snap now.
func (t *Tray) stateOf(snap api.Snapshot) state {
	s := state{running: snap.ProxyRunning, addr: snap.Addr, startErr: snap.StartError, failed: t.failed.Load(), upstream: snap.UpstreamError}
	s.accounts, s.usable, s.limited = lines(snap.Accounts, time.Now(), snap.TrayWindow)
	return s
}

// apply updates the model with what e carries; it reports false when it
// cannot (e carries nothing, the model is not known, or e names an
// account the model does not have): the tray then reads a Snapshot.
func (t *Tray) apply(e api.Event) bool {
	if !e.Carries() {
		return false
	}
	t.modelMu.Lock()
	defer t.modelMu.Unlock()
	if t.lost {
		return false
	}
	m := &t.model
	switch e.Kind {
	case api.EventProxyState:
		m.ProxyRunning, m.Addr, m.StartError = e.Proxy.Running, e.Proxy.Addr, e.Proxy.StartError
	case api.EventAccounts:
		m.Accounts = e.Accounts
	case api.EventAccountState:
		accts := slices.Clone(m.Accounts)
		for _, a := range e.Accounts {
			i := slices.IndexFunc(accts, func(b api.AccountView) bool { return b.ID == a.ID })
			if i < 0 {
				return false // added since the list was read: read it again
			}
			accts[i] = a
		}
		m.Accounts = accts
	case api.EventSettings:
		m.TrayWindow = e.Settings.TrayWindow
	case api.EventUpstream:
		m.UpstreamError, m.UpstreamErrorSince = e.Upstream.Error, e.Upstream.Since
	}
	return true
}

// show renders the model, and hands it to OnRead.
func (t *Tray) show() {
	t.modelMu.Lock()
	snap := t.model
	t.modelMu.Unlock()
	if t.opts.OnRead != nil {
		t.opts.OnRead(snap)
	}
	s := t.stateOf(snap)
	t.do(func() { t.render(s) })
}
