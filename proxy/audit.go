package proxy

import (
	"context"
	"fmt"
	"time"

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
