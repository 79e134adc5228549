package proxy

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// SessionView is one live client session: which account served its last
// request. Claude Code sessions carry their own id; other clients are
// told apart by a fingerprint of their User-Agent.
type SessionView struct {
	ID          string    `json:"id"`         // Claude Code's session id, or "client:<fingerprint>"
	AccountID   string    `json:"account_id"` // the account that served the last request
	AccountName string    `json:"account"`    // its name now ("" if it was removed)
	Model       string    `json:"model"`      // the last request's model
	Requests    int64     `json:"requests"`   // requests seen in this session
	LastUsed    time.Time `json:"last_used"`  // when the last one finished
	// WindowShare is the session's share of each window of its account
	// in the window's current period (the quota ledger); absent for
	// windows no header told of (API keys).
	WindowShare map[string]float64 `json:"window_share,omitempty"`

	shareResets map[string]time.Time // the period each share is of
}

// sessionTable remembers, per session key, the account serving it. It is
// kept here rather than in the pool because what users ask about is the
// account that actually served (after failover), not the one pinned.
// Sessions idle longer than the session TTL are forgotten.
type sessionTable struct {
	mu   sync.Mutex
	byID map[string]*SessionView
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
		t.byID = make(map[string]*SessionView)
	}
	v := t.byID[key]
	if v == nil {
		t.sweep(now, ttl)
		v = &SessionView{ID: sessionID(key)}
		t.byID[key] = v
	}
	v.AccountID = rec.AccountID
	if rec.Model != "" {
		v.Model = rec.Model
	}
	v.Requests++
	v.LastUsed = now
	v.add(rec.WindowShare, resets)
}

// addShare adds a late part of a finished request's share to its session.
func (t *sessionTable) addShare(key string, resets map[string]time.Time, share map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v := t.byID[key]; v != nil {
		v.add(share, resets)
	}
}

// add counts share into the session's, starting a window's afresh when its
// reset (resets, by window) is not the one its share so far was of.
func (v *SessionView) add(share map[string]float64, resets map[string]time.Time) {
	for k, f := range share {
		if v.WindowShare == nil {
			v.WindowShare, v.shareResets = make(map[string]float64, 2), make(map[string]time.Time, 2)
		}
		if r := resets[k]; !r.Equal(v.shareResets[k]) {
			v.WindowShare[k], v.shareResets[k] = 0, r
		}
		v.WindowShare[k] += f
	}
}

// sweep drops idle sessions; called on insert so the table stays bounded
// by the sessions of one TTL.
func (t *sessionTable) sweep(now time.Time, ttl time.Duration) {
	for k, v := range t.byID {
		if now.Sub(v.LastUsed) > ttl {
			delete(t.byID, k)
		}
	}
}

func (t *sessionTable) list(now time.Time, ttl time.Duration) []SessionView {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]SessionView, 0, len(t.byID))
	for _, v := range t.byID {
		if now.Sub(v.LastUsed) <= ttl {
			c := *v
			c.WindowShare, c.shareResets = maps.Clone(v.WindowShare), nil
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b SessionView) int { return b.LastUsed.Compare(a.LastUsed) })
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
func (s *Service) Sessions() []SessionView {
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
