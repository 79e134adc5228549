package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// The attack of issue 20: five junk requests used up the shared refusal
// limit, then twelve uses of a revoked key left no log line and no audit
// row, and Host/Origin refusals never reached the audit at all. Every
// refusal must now be audited, one row per minute, client and reason with
// its count, and each reason keeps its own log budget.
func TestRefusalsAreAuditedWithCounts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, revoked, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	send := func(n int, mod func(*http.Request)) {
		for range n {
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/messages", strings.NewReader(`{}`))
			mod(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	send(5, func(r *http.Request) { r.Header.Set("X-Api-Key", "junk") })
	send(12, func(r *http.Request) { r.Header.Set("X-Api-Key", revoked) })
	send(3, func(r *http.Request) { r.Host = "evil.example" })
	send(2, func(r *http.Request) { e.authorize(r); r.Header.Set("Origin", "https://evil.example") })
	e.svc.FlushRefusals(ctx)

	page, err := e.svc.Audit(ctx, api.AuditFilter{Kind: "client."})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, a := range page.Entries {
		got[fmt.Sprintf("%s %s %s", a.Kind, a.Subject, a.Detail)] += a.N
	}
	want := map[string]int64{
		"client.auth_failed 127.0.0.1 wrong key":        5,
		"client.auth_failed 127.0.0.1 revoked key":      12,
		"client.refused 127.0.0.1 Host is not loopback": 3,
		"client.refused 127.0.0.1 foreign Origin":       2,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit %q: count %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	if len(page.Entries) != len(want) {
		t.Errorf("%d audit rows, want one per client and reason (%d): %v", len(page.Entries), len(want), got)
	}
	if !strings.Contains(e.logs.String(), `reason="client key refused: revoked key"`) {
		t.Errorf("the revoked key's use was not logged after five junk requests:\n%s", e.logs.String())
	}
}
