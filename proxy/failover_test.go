package proxy_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// Three account keys; the accounts are added in this order, so with the
// priority strategy keyA is preferred, then keyB, then keyC.
const (
	keyA = "sk-ant-api03-AAAA-failover"
	keyB = "sk-ant-api03-BBBB-failover"
	keyC = "sk-ant-api03-CCCC-failover"
)

func withStrategy(name string) envOption {
	return withConfig(func(c *proxy.Config) { c.Strategy = name })
}

// threeAccounts adds accounts a, b and c holding keyA, keyB and keyC.
func threeAccounts(e *env) {
	e.addKey("a", keyA)
	e.addKey("b", keyB)
	e.addKey("c", keyC)
}

// received counts the requests the fake got per credential.
func received(f *fakeapi.Server) map[string]int {
	n := map[string]int{}
	for _, r := range f.Received() {
		n[r.Credential]++
	}
	return n
}

// accountView returns the named account as the CLI shows it.
func accountView(t *testing.T, svc *proxy.Service, name string) api.AccountView {
	t.Helper()
	all, err := svc.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no account %q", name)
	return api.AccountView{}
}

// send makes one non-streamed request through the SDK and fails the test
// unless it succeeds.
func send(t *testing.T, c anthropic.Client, opts ...option.RequestOption) {
	t.Helper()
	if _, err := c.Messages.New(context.Background(), params(), opts...); err != nil {
		t.Fatalf("request through sluice failed: %v", err)
	}
}

// The unified reset goes out in whole seconds; this is the quarantine end
// the pool learns from it.
func headerReset(t time.Time) time.Time { return t.Truncate(time.Second) }

func TestLimitedAccountSkippedUntilReset(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	reset := e.clock.Now().Add(time.Hour)
	e.fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 2, ResetAt: reset})
	c := sdkClient(e)
	for range 10 {
		send(t, c)
	}
	if got := e.fake.Served(); got[keyA] != 2 || got[keyB] != 8 || got[keyC] != 0 {
		t.Fatalf("served a=%d b=%d c=%d, want 2, 8, 0", got[keyA], got[keyB], got[keyC])
	}
	// One 429 taught the pool the reset; a was not asked again.
	if n := received(e.fake)[keyA]; n != 3 {
		t.Fatalf("limited account received %d requests, want 3 (2 served + one 429)", n)
	}
	a := accountView(t, e.svc, "a")
	if a.State != "limited" || !a.LimitedUntil.Equal(headerReset(reset)) {
		t.Fatalf("a: state %q until %v, want limited until %v", a.State, a.LimitedUntil, headerReset(reset))
	}

	e.clock.Advance(time.Hour - time.Minute)
	send(t, c)
	if n := received(e.fake)[keyA]; n != 3 {
		t.Fatalf("a was tried before its reset")
	}
	e.fake.Script(keyA, fakeapi.Behavior{}) // the upstream's window reset too
	e.clock.Advance(2 * time.Minute)
	send(t, c)
	if got := e.fake.Served()[keyA]; got != 3 {
		t.Fatalf("a served %d after its reset, want 3: not chosen again", got)
	}
	if a := accountView(t, e.svc, "a"); a.State != "ok" {
		t.Errorf("a after reset: state %q", a.State)
	}
}

func TestSessionStaysOnOneAccount(t *testing.T) {
	e := newEnv(t, withStrategy("session"))
	threeAccounts(e)
	c := sdkClient(e)
	one := option.WithHeader("x-claude-code-session-id", "session-one")
	two := option.WithHeader("x-claude-code-session-id", "session-two")
	for i := range 20 {
		send(t, c, one)
		if i%4 == 0 {
			send(t, c, two)
		}
	}
	bySession := map[string]map[string]int{}
	for _, r := range e.fake.Received() {
		id := r.Header.Get("X-Claude-Code-Session-Id")
		if bySession[id] == nil {
			bySession[id] = map[string]int{}
		}
		bySession[id][r.Credential]++
	}
	if len(bySession["session-one"]) != 1 || len(bySession["session-two"]) != 1 {
		t.Fatalf("a session spread over several accounts: %v", bySession)
	}
	for k1, n1 := range bySession["session-one"] {
		for k2, n2 := range bySession["session-two"] {
			if k1 == k2 {
				t.Errorf("both sessions landed on the same account")
			}
			if n1 != 20 || n2 != 5 {
				t.Errorf("session requests %d and %d, want 20 and 5", n1, n2)
			}
		}
	}
}

func TestAllLimitedIs429WithRetryAfter(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	now := e.clock.Now()
	earliest := now.Add(30 * time.Minute)
	e.fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: now.Add(2 * time.Hour)})
	e.fake.Script(keyB, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: earliest})
	e.fake.Script(keyC, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: now.Add(time.Hour)})
	c := sdkClient(e)
	for range 3 { // a serves; a fails over to b; b fails over to c
		send(t, c)
	}
	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`, nil)
	retry := resp.Header.Get("Retry-After")
	got := readError(t, resp, http.StatusTooManyRequests, "rate_limit_error")
	if retry != "1800" {
		t.Errorf("retry-after %q, want 1800 (seconds until b resets)", retry)
	}
	when := headerReset(earliest).Local().Format("Mon 2 Jan 15:04 MST")
	if !strings.Contains(got.Error.Message, when) {
		t.Errorf("message %q does not name the reset %s", got.Error.Message, when)
	}
	// The refusal is journaled under the model asked for: the Logs tab and
	// Usage by model show it there, not under a blank model.
	testkit.WaitFor(t, "the refusal journaled with its model", func() bool {
		recs, _ := e.db.Records(context.Background(), journal.Query{})
		return slices.ContainsFunc(recs, func(r journal.Record) bool {
			return r.Status == http.StatusTooManyRequests && r.Model == "claude-sonnet-4-5"
		})
	})
	// The SDK reads it as the API's own rate-limit error.
	_, err := c.Messages.New(context.Background(), params())
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("SDK error %v, want a 429 *anthropic.Error", err)
	}
}

func TestServerErrorRetried(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", keyA)
	e.fake.Script(keyA, fakeapi.Behavior{Statuses: []int{500}})
	send(t, sdkClient(e))
	if n := len(e.fake.Received()); n != 2 {
		t.Fatalf("upstream received %d requests, want 2 (500, then 200)", n)
	}
}

func TestOverloadedFailsOver(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{Statuses: []int{529}})
	send(t, sdkClient(e))
	if got := e.fake.Served(); got[keyB] != 1 || got[keyA] != 0 {
		t.Fatalf("served %v, want b once after a's 529", got)
	}
	if a := accountView(t, e.svc, "a"); a.State != "limited" {
		t.Errorf("a after 529: state %q, want limited", a.State)
	}
}

func TestStreamCutEndsWithErrorEventNoReplay(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{CutAfterFirstEvent: true})
	c := sdkClient(e)
	stream := c.Messages.NewStreaming(context.Background(), params())
	events := 0
	for stream.Next() {
		events++
	}
	if stream.Err() == nil {
		t.Fatal("SDK saw a clean end of a stream the upstream cut")
	}
	if events != 1 {
		t.Errorf("SDK got %d events before the error, want 1 (message_start)", events)
	}
	if n := len(e.fake.Received()); n != 1 {
		t.Fatalf("upstream received %d requests, want 1: a started stream must not be replayed", n)
	}

	resp := e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":5,"stream":true,"messages":[]}`, nil)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("client read a broken stream instead of an error event: %v", err)
	}
	s := string(body)
	i, j := strings.Index(s, "event: message_start\n"), strings.Index(s, "event: error\ndata: {")
	if i < 0 || j < i || !strings.Contains(s[j:], `"type":"api_error"`) || !strings.HasSuffix(s, "\n\n") {
		t.Fatalf("stream does not end with a clean error event:\n%s", s)
	}
	if n := len(e.fake.Received()); n != 2 {
		t.Errorf("upstream received %d requests, want 2", n)
	}
}

func TestUnauthorizedNeedsLoginAndFailsOver(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{Statuses: []int{401}})
	c := sdkClient(e)
	send(t, c)
	if a := accountView(t, e.svc, "a"); a.State != "needs-login" {
		t.Fatalf("a after 401: state %q, want needs-login", a.State)
	}
	send(t, c)
	if got := received(e.fake); got[keyA] != 1 || got[keyB] != 2 {
		t.Fatalf("received %v, want a once (401), b twice", got)
	}
}

// A 429 without limit headers is a brief throttle: the first (with
// x-should-retry) is retried once on the same account, a second soon after
// benches the account for MinBackoff, and repeated ones do not grow the
// bench (a real limit's backoff would double: 1s, 2s, 4s).
func TestBareRateLimitBenchesBriefly(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{Statuses: []int{429, 429, 429, 429}, BareRateLimit: true})
	c := sdkClient(e)
	for i := range 3 {
		send(t, c)
		if got := received(e.fake)[keyA]; got != i+2 {
			t.Fatalf("round %d: a received %d requests, want %d: still benched", i, got, i+2)
		}
		if a := accountView(t, e.svc, "a"); a.State != "limited" {
			t.Fatalf("round %d: a after a bare 429: state %q, want limited", i, a.State)
		}
		send(t, c)
		if got := received(e.fake)[keyA]; got != i+2 {
			t.Fatalf("round %d: a retried at once after a 429", i)
		}
		e.clock.Advance(1001 * time.Millisecond)
	}
	send(t, c)
	if got := e.fake.Served()[keyA]; got != 1 {
		t.Fatalf("a served %d, want 1 once the throttling ended", got)
	}
}

func TestQuarantineSurvivesRestart(t *testing.T) {
	dir, fake := t.TempDir(), fakeapi.New(t)
	e := newEnvAt(t, dir, fake, withStrategy("priority"))
	threeAccounts(e)
	reset := e.clock.Now().Add(time.Hour)
	fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: reset})
	c := sdkClient(e)
	send(t, c)
	send(t, c) // a answers 429: limited until reset
	now := e.clock.Now()
	e.close()

	e2 := newEnvAt(t, dir, fake, withStrategy("priority"))
	e2.clock.Advance(now.Sub(e2.clock.Now()))
	a := accountView(t, e2.svc, "a")
	if a.State != "limited" || !a.LimitedUntil.Equal(headerReset(reset)) {
		t.Fatalf("after restart a is %q until %v, want limited until %v", a.State, a.LimitedUntil, headerReset(reset))
	}
	send(t, sdkClient(e2))
	if got := received(fake); got[keyA] != 2 || got[keyB] != 2 {
		t.Fatalf("received %v after restart: the limited account was tried again", got)
	}
}

// 200 concurrent clients, half streaming, over three accounts, one of which
// runs into its limit part way: every client gets its answer, and the fake
// answered exactly 200 requests successfully (none lost, none doubled).
func TestConcurrentRequestsNoneLostOrDoubled(t *testing.T) {
	e := newEnv(t, withStrategy("round-robin"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 20, ResetAt: e.clock.Now().Add(time.Hour)})
	c := sdkClient(e)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				_, err := c.Messages.New(context.Background(), params())
				errs <- err
				return
			}
			stream := c.Messages.NewStreaming(context.Background(), params())
			var msg anthropic.Message
			for stream.Next() {
				_ = msg.Accumulate(stream.Current())
			}
			if err := stream.Err(); err != nil {
				errs <- err
				return
			}
			if msg.StopReason != anthropic.StopReasonEndTurn {
				errs <- errors.New("stream ended without message_stop")
				return
			}
			errs <- nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a client failed: %v", err)
		}
	}
	served, got := e.fake.Served(), received(e.fake)
	if total := served[keyA] + served[keyB] + served[keyC]; total != n {
		t.Fatalf("upstream answered %d requests, want %d (served %v)", total, n, served)
	}
	if got[keyB] != served[keyB] || got[keyC] != served[keyC] {
		t.Errorf("healthy accounts got requests they did not serve: received %v served %v", got, served)
	}
	if served[keyA] < 20 || got[keyA] == served[keyA] {
		t.Errorf("a served %d and received %d: it should have served 20 and then been limited", served[keyA], got[keyA])
	}
	if int(e.fake.Count()) != len(e.fake.Received()) {
		t.Errorf("fake count %d != received %d", e.fake.Count(), len(e.fake.Received()))
	}
	if a := accountView(t, e.svc, "a"); a.State != "limited" {
		t.Errorf("a state %q, want limited", a.State)
	}
}

func TestStreamRateLimitErrorCoolsAccount(t *testing.T) {
	e := newEnv(t, withStrategy("priority"))
	threeAccounts(e)
	e.fake.Script(keyA, fakeapi.Behavior{StreamError: "rate_limit_error"})
	c := sdkClient(e)
	stream := c.Messages.NewStreaming(context.Background(), params())
	for stream.Next() {
	}
	if stream.Err() == nil || !strings.Contains(stream.Err().Error(), "rate_limit_error") {
		t.Fatalf("SDK stream error %v, want the relayed rate_limit_error", stream.Err())
	}
	// The client may read the error event before the relay has judged it.
	testkit.WaitFor(t, "a limited after a mid-stream rate_limit_error", func() bool {
		return accountView(t, e.svc, "a").State == "limited"
	})
	send(t, c)
	if got := received(e.fake); got[keyA] != 1 || got[keyB] != 1 {
		t.Fatalf("received %v: the next request should have gone to b", got)
	}
	e.fake.Script(keyA, fakeapi.Behavior{})
	e.clock.Advance(2 * time.Second) // past the first backoff step (at most 1s)
	send(t, c)
	if got := received(e.fake)[keyA]; got != 2 {
		t.Fatalf("a received %d requests after cooling down, want 2: not chosen again", got)
	}
}

// With retries off (SLUICE_RETRY_ATTEMPTS=0), a 500 reaches the client as is.
func TestNoRetriesWhenDisabled(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.RetryAttempts = -1 }))
	e.addKey("only", accountKey)
	e.fake.Script(accountKey, fakeBehaviorStatuses(500))
	resp := e.do("POST", "/v1/messages", `{"model":"m"}`, nil)
	resp.Body.Close()
	if resp.StatusCode != 500 || len(e.fake.Received()) != 1 {
		t.Fatalf("status %d after %d upstream requests, want 500 after 1", resp.StatusCode, len(e.fake.Received()))
	}
}

// A 403 is about the request (say, a model the organisation may not use):
// it fails over, but benches nobody, and when every account refuses, the
// client gets the upstream's own answer rather than a made-up 503.
func TestForbiddenEverywhereRelaysUpstreamAnswer(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", accountKey)
	e.addKey("b", accountKey+"-b")
	e.fake.Script(accountKey, fakeBehaviorStatuses(403))
	e.fake.Script(accountKey+"-b", fakeBehaviorStatuses(403))
	readError(t, e.do("POST", "/v1/messages", `{"model":"m"}`, nil), http.StatusForbidden, "permission_error")
	if n := len(e.fake.Received()); n != 2 {
		t.Fatalf("upstream saw %d requests, want one per account", n)
	}
	views, _ := e.svc.Accounts(context.Background())
	for _, v := range views {
		if v.State != "ok" {
			t.Fatalf("a 403 changed %s to %s", v.Name, v.State)
		}
	}
	resp := e.do("POST", "/v1/messages", `{"model":"m"}`, nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the refusals the next request got %d", resp.StatusCode)
	}
}

// Quitting with the shutdown budget already spent (a stream held the proxy
// open until the deadline) must still save quarantines and queued records.
func TestCloseFlushesWhenContextIsSpent(t *testing.T) {
	dir, fake := t.TempDir(), fakeapi.New(t)
	e := newEnvAt(t, dir, fake, withStrategy("priority"))
	threeAccounts(e)
	reset := e.clock.Now().Add(time.Hour)
	fake.Script(keyA, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: reset})
	c := sdkClient(e)
	send(t, c)
	send(t, c) // a answers 429 and is benched
	now := e.clock.Now()
	spent, cancel := context.WithCancel(context.Background())
	cancel()
	e.srv.Close()
	if err := e.svc.Close(spent); err != nil {
		t.Fatalf("close with a spent context: %v", err)
	}
	e.closing = true // already closed
	recs, err := e.db.Records(context.Background(), journal.Query{})
	if err != nil || len(recs) != 2 {
		t.Fatalf("journal holds %d records (%v), want 2", len(recs), err)
	}
	e.db.Close()

	e2 := newEnvAt(t, dir, fake, withStrategy("priority"))
	e2.clock.Advance(now.Sub(e2.clock.Now()))
	if a := accountView(t, e2.svc, "a"); a.State != "limited" {
		t.Fatalf("quarantine lost on close: a is %q", a.State)
	}
}
