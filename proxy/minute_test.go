package proxy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// A Console key that runs out of requests for the minute gets a 429 with
// retry-after and no unified header: the pool benches it until retry-after,
// names the bucket, shows its per-minute windows, and uses it again after.
func TestKeyRateLimitBenchesUntilRetryAfter(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	// 20 s into a minute: the fake's buckets refill in 40 s.
	now := e.clock.Now()
	e.clock.Advance(now.Truncate(time.Minute).Add(time.Minute + 20*time.Second).Sub(now))
	refill := e.clock.Now().Truncate(time.Minute).Add(time.Minute)
	e.fake.Script(keyA, fakeapi.Behavior{LimitAfter: 1})
	c := sdkClient(e)
	send(t, c)
	send(t, c) // a answers 429: b serves
	if got := e.fake.Served(); got[keyA] != 1 || got[keyB] != 1 {
		t.Fatalf("served a=%d b=%d, want 1 and 1", got[keyA], got[keyB])
	}
	a := accountView(t, e.svc, "a")
	if a.State != "limited" || !a.LimitedUntil.Equal(refill) || !strings.Contains(a.Reason, "requests per minute") {
		t.Fatalf("a: %q until %v (%q), want limited until %v by the requests per minute", a.State, a.LimitedUntil, a.Reason, refill)
	}
	kinds := map[string]api.Window{}
	for _, w := range a.Windows {
		kinds[w.Kind] = w
	}
	if w := kinds["rpm"]; w.Utilization != 1 || !w.ResetsAt.Equal(refill) {
		t.Errorf("rpm window %+v, want full until %v", w, refill)
	}
	for _, k := range []string{"input_tpm", "output_tpm", "tpm"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s window in %+v", k, a.Windows)
		}
	}
	if slices.ContainsFunc(a.Windows, func(w api.Window) bool { return w.Kind == "session" || w.Kind == "weekly" }) {
		t.Errorf("a key shows subscription windows: %+v", a.Windows)
	}

	e.clock.Advance(39 * time.Second)
	send(t, c)
	if n := received(e.fake)[keyA]; n != 2 {
		t.Fatalf("a asked %d times before retry-after passed, want 2", n)
	}
	e.fake.Script(keyA, fakeapi.Behavior{}) // the new minute's bucket
	e.clock.Advance(2 * time.Second)
	send(t, c)
	if got := e.fake.Served()[keyA]; got != 2 {
		t.Fatalf("a served %d in all, want 2: not used again once retry-after passed", got)
	}
}
