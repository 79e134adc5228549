package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// A key scoped to some accounts, all of them limited, is told when one of
// its own accounts resets, not when an account it may not use does.
func TestScopedKeyRetryAfterQuotesItsOwnAccounts(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	now := e.clock.Now()
	e.fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: now.Add(2 * time.Hour)})
	e.fake.Script(keyB, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: now.Add(30 * time.Minute)}) // earliest of all
	e.fake.Script(keyC, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: now.Add(time.Hour)})
	c := sdkClient(e)
	for range 3 { // a serves; a fails over to b; b fails over to c
		send(t, c)
	}
	_, scoped, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "a-and-c", Accounts: []string{"a", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`
	resp := e.do("POST", "/v1/messages", body, keyed("x-api-key", scoped))
	retry := resp.Header.Get("Retry-After")
	got := readError(t, resp, http.StatusTooManyRequests, "rate_limit_error")
	if retry != "3600" {
		t.Errorf("retry-after %q, want 3600 (c, the first of the key's own accounts to reset; b is not its)", retry)
	}
	when := headerReset(now.Add(time.Hour)).Local().Format("Mon 2 Jan 15:04 MST")
	if !strings.Contains(got.Error.Message, when) || !strings.Contains(got.Error.Message, `key "a-and-c" may use`) {
		t.Errorf("message %q does not name c's reset %s and the key's accounts", got.Error.Message, when)
	}
	// An unscoped key still hears of the earliest of all.
	resp = e.do("POST", "/v1/messages", body, nil)
	if retry := resp.Header.Get("Retry-After"); retry != "1800" {
		t.Errorf("unscoped retry-after %q, want 1800", retry)
	}
	if got := readError(t, resp, http.StatusTooManyRequests, "rate_limit_error"); !strings.HasPrefix(got.Error.Message, "All Sluice accounts are rate limited") {
		t.Errorf("unscoped message %q", got.Error.Message)
	}
}
