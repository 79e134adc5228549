package proxy_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// hookTransport runs hook once, on the first upstream round trip, before
// sending it on: a way to change the engine while a request is in flight.
type hookTransport struct {
	next http.RoundTripper
	done atomic.Bool
	hook atomic.Pointer[func()]
}

func (h *hookTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if f := h.hook.Load(); f != nil && h.done.CompareAndSwap(false, true) {
		(*f)()
	}
	return h.next.RoundTrip(req)
}

// A key scoped to one account never fails over to another, not even to an
// account added while its request was in flight.
func TestScopedKeyNeverFailsOverToAnAccountAddedMidRequest(t *testing.T) {
	hook := &hookTransport{next: http.DefaultTransport}
	e := newEnv(t, func(_ *proxy.Config, d *proxy.Deps) { d.Transport = hook })
	e.addKey("home", homeKey)
	ctx := context.Background()
	_, scoped, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "home-only", Accounts: []string{"home"}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Script(homeKey, fakeBehaviorStatuses(http.StatusTooManyRequests))
	add := func() { e.addKey("work", accountKey) }
	hook.hook.Store(&add)
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`, keyed("x-api-key", scoped))
	resp.Body.Close()
	if !hook.done.Load() {
		t.Fatal("the account was not added mid-request")
	}
	for _, r := range e.fake.Received() {
		if r.Credential == accountKey {
			t.Fatalf("status %d: a key scoped to home was served by work", resp.StatusCode)
		}
	}
}
