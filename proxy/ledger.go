package proxy

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
)

// The quota ledger's hooks in the request path (the rule is on package
// pool's ledger.go): a charge begins before each upstream attempt and ends
// with the request, its share going into the journal record.

// ledgerState orders the ends of charges with their journal writes.
type ledgerState struct {
	// mu is held from a charge's End to its record's Add: a late share of a
	// record (Options.OnShare, run inside another request's End) can only
	// exist once that record's End has run, and under mu its Add has run
	// too, so an amendment never reaches the writer before its record.
	mu sync.Mutex
}

// beginCharge starts the ledger's charge for an attempt on accountID,
// ending the charge of an earlier attempt (failed over) with no tokens.
func (s *Service) beginCharge(req *request, accountID string) {
	if req.charge != nil {
		s.pool.End(req.charge, 0, nil)
	}
	req.charge = s.pool.Begin(accountID)
}

// journalRecord ends the request's charge, puts its share in rec and
// queues rec for the journal.
func (s *Service) journalRecord(rec *journal.Record, req *request) {
	if req.charge == nil {
		s.records.Add(*rec)
		return
	}
	if rec.ID == "" {
		rec.ID = journal.NewID(rec.Time)
	}
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	// rec itself is the reference (a pointer boxes without allocating); it
	// is not changed after this, and only its rollup fields are read.
	sh := s.pool.End(req.charge, rec.InputTokens+rec.OutputTokens+rec.CacheRead+rec.CacheCreate, rec)
	req.charge = nil
	rec.WindowShare, rec.ShareEstimate = sh.Windows, sh.Estimate
	s.records.Add(*rec)
	rec.Payload = nil // the writer has its copy; a share still pending must not keep the bodies alive
}

// lateShare is the pool's OnShare hook: a part of a finished request's
// share that settled when a request it ran alongside ended. It amends the
// stored record and the live session.
func (s *Service) lateShare(ref any, sh pool.Share) {
	rec, ok := ref.(*journal.Record)
	if !ok || len(sh.Windows) == 0 {
		return
	}
	r := journal.Record{ID: rec.ID, Time: rec.Time, AccountID: rec.AccountID, Model: rec.Model, Project: rec.Project,
		ClientKeyID: rec.ClientKeyID, Session: rec.Session, Amend: true, WindowShare: sh.Windows, ShareEstimate: sh.Estimate}
	s.records.Add(r)
	if r.Session != "" {
		s.sessions.addShare("cc:"+r.Session, s.windowResets(r.AccountID), sh.Windows)
	}
}

// windowResets are the current resets of accountID's windows, by window.
func (s *Service) windowResets(accountID string) map[string]time.Time {
	return s.pool.Resets(accountID)
}

// shareResets is windowResets of rec's account when rec has a share to
// count, nil (and no cost) otherwise.
func (s *Service) shareResets(rec *journal.Record) map[string]time.Time {
	if len(rec.WindowShare) == 0 {
		return nil
	}
	return s.windowResets(rec.AccountID)
}

// keyNameOf is a client key's name, or its id when it is gone.
func (s *Service) keyNameOf(ctx context.Context, id string) string {
	keys, _ := s.Keys(ctx)
	for _, k := range keys {
		if k.ID == id {
			return k.Name
		}
	}
	return id
}

// withPace adds w's pace from paces to its view v.
func withPace(v api.Window, w pool.Window, paces []pool.WindowPace) api.Window {
	k := pool.WindowKey(w)
	for _, p := range paces {
		if p.Key == k {
			v.PerHour, v.RunsOutAt = p.PerHour, p.RunsOutAt
		}
	}
	return v
}

// runway forecasts the pool's runway for every model family the accounts'
// windows name, and for any model ("").
func (s *Service) runway(views []api.AccountView) []api.Runway {
	fams := []string{""}
	for _, v := range views {
		for _, w := range v.Windows {
			if w.Scope != "" && !slices.Contains(fams, w.Scope) {
				fams = append(fams, w.Scope)
			}
		}
	}
	var out []api.Runway
	for _, f := range fams {
		if r := s.pool.Runway(f); !r.RunsOutAt.IsZero() {
			out = append(out, api.Runway{Family: f, RunsOutAt: r.RunsOutAt, Until: r.Until})
		}
	}
	return out
}

// Statusline reports session (Claude Code's session id) in a few map
// lookups: it runs on every status update of the client.
func (s *Service) Statusline(session string) api.StatuslineView {
	var v api.StatuslineView
	var family string
	var shareReset time.Time
	s.sessions.mu.Lock()
	if sv := s.sessions.byID["cc:"+session]; sv != nil && session != "" {
		v.Account = sv.AccountID
		family = pool.Family(sv.Model)
		if f, ok := sv.WindowShare["5h"]; ok {
			v.SessionShare, v.HasShare, shareReset = f, true, s.sessions.shareReset("cc:"+session, "5h")
		}
	}
	s.sessions.mu.Unlock()
	if v.Account != "" {
		if st, ok := s.pool.Status(v.Account); ok {
			v.Account = st.Name
			w := st.Limits.FiveHour
			if w.Kind != "" && (w.ResetsAt.IsZero() || w.ResetsAt.After(s.now())) {
				v.Utilization, v.HasWindow = w.Utilization, true
			}
			if d := w.ResetsAt.Sub(shareReset); v.HasShare && (d > 5*time.Minute || d < -5*time.Minute) {
				v.SessionShare = 0 // its share was of a window that has since reset
			}
			v.HasShare = v.HasShare && v.HasWindow
		}
	}
	// Claude Code sessions are pinned to accounts of any family: the pool
	// runs out for the session when it runs out for its family.
	v.RunsOutAt = s.pool.Runway(family).RunsOutAt
	return v
}
