package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// `logs cleanup` deletes requests, not the audit log: audit entries stay
// as long as the request retention setting, and at least 90 days.
func TestCleanupKeepsTheAuditLog(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	if _, _, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "laptop"}); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		p, err := e.svc.Audit(ctx, api.AuditFilter{Kind: proxy.AuditClientKeyAdded})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Entries)
	}
	before := count()
	if before == 0 {
		t.Fatal("no key-created audit entry to keep")
	}
	res, err := e.svc.Cleanup(ctx, api.CleanupOptions{OlderThan: 0})
	if err != nil {
		t.Fatal(err)
	}
	if got := count(); got != before || res.Audit != 0 {
		t.Fatalf("cleanup --older-than 0s: %d audit entries left of %d (%d deleted)", got, before, res.Audit)
	}
	// Past the request retention (30 days), within 90 days: kept.
	e.clock.Advance(60 * 24 * time.Hour)
	e.svc.Prune(ctx)
	if got := count(); got != before {
		t.Fatalf("after 60 days: %d audit entries left of %d", got, before)
	}
	e.clock.Advance(31 * 24 * time.Hour)
	e.svc.Prune(ctx)
	if got := count(); got != 0 {
		t.Fatalf("after 91 days: %d audit entries left, want none", got)
	}
}
