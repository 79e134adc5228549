package proxy

import (
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
}

// observe records a finished request of the session key.
func (t *sessionTable) observe(key string, rec journal.Record, now time.Time, ttl time.Duration) {
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

func (t *sessionTable) list(now time.Time, ttl time.Duration) []api.SessionView {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]api.SessionView, 0, len(t.byID))
	for _, v := range t.byID {
		if now.Sub(v.LastUsed) <= ttl {
			out = append(out, *v)
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
