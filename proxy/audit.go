package proxy

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/redact"
)

// Audit kinds. Issue 8 adds the client-key ones through Service.audit.
const (
	AuditAccountAdded    = "account.added"
	AuditAccountRemoved  = "account.removed"
	AuditAccountPaused   = "account.paused"
	AuditAccountResumed  = "account.resumed"
	AuditAccountRenamed  = "account.renamed"
	AuditAccountPriority = "account.priority"
	AuditSignInOK        = "signin.ok"
	AuditSignInFailed    = "signin.failed"
	AuditSettingsChanged = "settings.changed"
	AuditJournalCleanup  = "journal.cleanup"
	AuditClientKeyAdded  = "clientkey.created"
	AuditClientKeyRevoke = "clientkey.revoked"
	AuditClientAuthFail  = "client.auth_failed"
	// AuditClientRefused is a request the Host, Origin or path guards
	// refused: a web page or a rebinding name reaching the proxy.
	AuditClientRefused = "client.refused"
)

// auditWindow folds repeats: an identical entry within this long of the
// previous one bumps its count instead of adding a row, so a client
// retrying a wrong key all day adds one row per window, not thousands.
const auditWindow = 10 * time.Minute

// audit records an event in the audit log. It never fails the caller: the
// change it describes has happened already, so a write failure is logged.
// detail is redacted first, in case a caller quotes something secret.
func (s *Service) audit(ctx context.Context, kind, subject, detail string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.db.AddAudit(ctx, s.now(), auditWindow, kind, subject, redact.String(detail)); err != nil {
		s.log.Error("writing the audit log failed", "kind", kind, "err", err)
	}
}

// Audit lists audit entries, newest first.
func (s *Service) Audit(ctx context.Context, f api.AuditFilter) (api.AuditPage, error) {
	var before int64
	if f.Cursor != "" {
		if _, err := fmt.Sscan(f.Cursor, &before); err != nil || before <= 0 {
			return api.AuditPage{}, fmt.Errorf("proxy: audit: bad cursor %q", f.Cursor)
		}
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	es, err := s.db.Audit(ctx, journal.AuditQuery{Since: f.Since, Kind: f.Kind, Before: before, Limit: limit})
	if err != nil {
		return api.AuditPage{}, fmt.Errorf("proxy: %w", err)
	}
	p := api.AuditPage{Entries: es}
	if p.Entries == nil {
		p.Entries = []journal.AuditEntry{}
	}
	if len(es) == limit {
		p.Next = fmt.Sprint(es[len(es)-1].Seq)
	}
	return p, nil
}

// auditAccountChange logs what an account update changed.
func (s *Service) auditAccountChange(ctx context.Context, old, cur journal.Account) {
	switch {
	case !old.Paused && cur.Paused:
		s.audit(ctx, AuditAccountPaused, cur.Name, "")
	case old.Paused && !cur.Paused:
		s.audit(ctx, AuditAccountResumed, cur.Name, "")
	}
	if old.Name != cur.Name {
		s.audit(ctx, AuditAccountRenamed, cur.Name, "from "+old.Name)
	}
	if old.Priority != cur.Priority {
		s.audit(ctx, AuditAccountPriority, cur.Name, fmt.Sprintf("%d -> %d", old.Priority, cur.Priority))
	}
	if old.PlanGuard != cur.PlanGuard {
		s.audit(ctx, "account.plan_guard", cur.Name, fmt.Sprint(cur.PlanGuard))
	}
}

// refusalWindow is how long refusals are tallied before their rows are
// written: one row per minute, kind, client and reason, with a count.
const refusalWindow = time.Minute

// maxRefusalKeys bounds the tally: past it, further clients are folded
// into one "other clients" row, so a flood of source addresses cannot
// grow memory.
const maxRefusalKeys = 256

// otherClients is the subject refusals from clients past maxRefusalKeys
// are counted under.
const otherClients = "(other clients)"

type refusalKey struct{ kind, peer, reason string }

type refusalTally struct {
	first, last time.Time
	n           int64
}

// refusalAudit tallies refused requests for the audit log. It is separate
// from the log lines' rate limit (keyStore.logs): a log line may be
// skipped, a refusal is always counted. Every refusal costs a map update;
// the database sees one write per key per window.
type refusalAudit struct {
	mu      sync.Mutex
	tally   map[refusalKey]*refusalTally
	pending *time.Timer // the flush of the current window, nil when empty
	closed  bool
	// flushing is held while tallied rows are written, so Close waits for
	// a window's flush that is under way before the journal goes away.
	flushing sync.Mutex
	// logs limits refusal log lines per reason, so five junk requests
	// cannot hide the revoked key used after them. Reasons are a fixed
	// set of constants, so the map stays small.
	logs map[string]*rate.Limiter
}

// allowLog reports whether a log line for a refusal for reason may be
// written now: a handful per ten seconds per reason.
func (a *refusalAudit) allowLog(reason string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.logs == nil {
		a.logs = map[string]*rate.Limiter{}
	}
	l := a.logs[reason]
	if l == nil {
		l = rate.NewLimiter(rate.Every(10*time.Second), 5)
		a.logs[reason] = l
	}
	return l.Allow()
}

// auditRefusal counts one refusal of kind (AuditClientAuthFail,
// AuditClientRefused) from r's peer for reason. Its row is written when
// the window ends (or at Close).
func (s *Service) auditRefusal(r *http.Request, kind, reason string) {
	a := &s.refusals
	now := s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tally == nil {
		a.tally = map[refusalKey]*refusalTally{}
	}
	k := refusalKey{kind, peerOf(r), reason}
	t := a.tally[k]
	if t == nil && len(a.tally) >= maxRefusalKeys {
		k.peer = otherClients
		t = a.tally[k]
	}
	if t == nil {
		t = &refusalTally{first: now}
		a.tally[k] = t
	}
	t.n++
	t.last = now
	if a.pending == nil && !a.closed {
		a.pending = time.AfterFunc(refusalWindow, func() { s.flushRefusals(context.Background()) })
	}
}

// flushRefusals writes the tallied refusals, one row each, and starts a
// new window.
func (s *Service) flushRefusals(ctx context.Context) {
	a := &s.refusals
	a.flushing.Lock()
	defer a.flushing.Unlock()
	a.mu.Lock()
	tally := a.tally
	a.tally = nil
	if a.pending != nil {
		a.pending.Stop()
		a.pending = nil
	}
	a.mu.Unlock()
	for k, t := range tally {
		if err := s.db.AddAuditCount(ctx, t.first, t.last, t.n, k.kind, k.peer, k.reason); err != nil {
			s.log.Error("writing the audit log failed", "kind", k.kind, "err", err)
		}
	}
}

// closeRefusals writes what is tallied and stops further windows: Close
// calls it before the journal goes away.
func (s *Service) closeRefusals(ctx context.Context) {
	s.refusals.mu.Lock()
	s.refusals.closed = true
	s.refusals.mu.Unlock()
	s.flushRefusals(ctx)
}
