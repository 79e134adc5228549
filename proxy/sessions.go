package proxy

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// sessionTable remembers, per session key, the account serving it. It is
// kept here rather than in the pool because what users ask about is the
// account that actually served (after failover), not the one pinned.
// Sessions idle longer than the session TTL are forgotten.
type sessionTable struct {
	mu   sync.Mutex
	byID map[string]*api.SessionView
	// resets holds, per session key and window, the window period its
	// WindowShare is of (the quota ledger).
	resets map[string]map[string]time.Time
}

// observe records a finished request of the session key.
// resets are the account's windows' current resets, by window.
func (t *sessionTable) observe(key string, rec journal.Record, now time.Time, ttl time.Duration, resets map[string]time.Time) {
	if key == "" || rec.AccountID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID == nil {
		t.byID = make(map[string]*api.SessionView)
	}
	v := t.byID[key]
	if v == nil {
		t.sweep(now, ttl)
		v = &api.SessionView{ID: sessionID(key)}
		t.byID[key] = v
	}
	v.AccountID = rec.AccountID
	if rec.Model != "" {
		v.Model = rec.Model
	}
	v.Requests++
	v.LastUsed = now
	t.add(key, v, rec.WindowShare, resets)
}

// addShare adds a late part of a finished request's share to its session.
func (t *sessionTable) addShare(key string, resets map[string]time.Time, share map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v := t.byID[key]; v != nil {
		t.add(key, v, share, resets)
	}
}

// add counts share into session v's, starting a window's afresh when its
// reset (resets, by window) is not the one its share so far was of.
// Called with the lock held.
func (t *sessionTable) add(key string, v *api.SessionView, share map[string]float64, resets map[string]time.Time) {
	for k, f := range share {
		if v.WindowShare == nil {
			v.WindowShare = make(map[string]float64, 2)
		}
		if t.resets == nil {
			t.resets = make(map[string]map[string]time.Time)
		}
		rs := t.resets[key]
		if rs == nil {
			rs = make(map[string]time.Time, 2)
			t.resets[key] = rs
		}
		if r := resets[k]; !r.Equal(rs[k]) {
			v.WindowShare[k], rs[k] = 0, r
		}
		v.WindowShare[k] += f
	}
}

// shareReset is the window period session key's share of window is of.
// Called with the lock held.
func (t *sessionTable) shareReset(key, window string) time.Time { return t.resets[key][window] }

// sweep drops idle sessions; called on insert so the table stays bounded
// by the sessions of one TTL.
func (t *sessionTable) sweep(now time.Time, ttl time.Duration) {
	for k, v := range t.byID {
		if now.Sub(v.LastUsed) > ttl {
			delete(t.byID, k)
			delete(t.resets, k)
		}
	}
}

func (t *sessionTable) list(now time.Time, ttl time.Duration) []api.SessionView {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]api.SessionView, 0, len(t.byID))
	for _, v := range t.byID {
		if now.Sub(v.LastUsed) <= ttl {
			c := *v
			c.WindowShare = maps.Clone(v.WindowShare) // a copy: the table keeps adding to its own
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b api.SessionView) int { return b.LastUsed.Compare(a.LastUsed) })
	return out
}

// sessionID turns forward.go's session key into what users see.
func sessionID(key string) string {
	if id, ok := strings.CutPrefix(key, "cc:"); ok {
		return id
	}
	return "client:" + strings.TrimPrefix(key, "fp:")
}

// Sessions lists the live client sessions, most recently used first.
func (s *Service) Sessions() []api.SessionView {
	out := s.sessions.list(s.now(), s.proxySettings().SessionWindow)
	names := map[string]string{}
	for _, st := range s.pool.Snapshot() {
		names[st.ID] = st.Name
	}
	for i := range out {
		out[i].AccountName = names[out[i].AccountID]
	}
	return out
}
