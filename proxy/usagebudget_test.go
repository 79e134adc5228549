package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// benchedHour benches one subscription account (a 429 whose reset is
// resetIn away) and runs the poll loop every 30 s of fake time for an hour,
// returning the usage reads the fake received.
func benchedHour(t *testing.T, resetIn time.Duration) int {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	reset := e.clock.Now().Add(resetIn).Truncate(time.Second)
	e.fake.Script(oauthToken, fakeapi.Behavior{LimitAfter: 1, ResetAt: reset, Utilization: 1})
	e.ask("claude-opus-5", "s")
	e.ask("claude-opus-5", "s")
	if v := accountView(t, e.svc, "max"); v.State != "limited" {
		t.Fatalf("account %s, want limited", v.State)
	}
	ctx := context.Background()
	for range 120 {
		_ = e.svc.PollDue(ctx)
		e.clock.Advance(30 * time.Second)
	}
	return usagePolls(e.fake)[oauthToken]
}

// A benched account is read every 2 minutes, backing off to 10 while the
// answer does not change: over a benched hour that is 8 reads, within the
// budget of 20, and `sluice doctor` counts them.
func TestBenchedAccountPollsWithinBudget(t *testing.T) {
	n := benchedHour(t, 3*time.Hour)
	t.Logf("usage reads over a benched hour: %d", n)
	if n < 5 || n > 10 {
		t.Errorf("%d reads in a benched hour, want 2-minute polls backing off to 10 (about 8)", n)
	}
}

// The reset is read right after it passes, once.
func TestBenchedAccountReadOnceAfterReset(t *testing.T) {
	n := benchedHour(t, 25*time.Minute)
	t.Logf("usage reads over an hour with a reset at 25 min: %d", n)
	if n < 6 || n > 12 {
		t.Errorf("%d reads, want the backed-off cadence plus one right after the reset", n)
	}
}

// No cause reads an account more than 20 times an hour: forced polls stop
// at the budget, and the doctor reports the count.
func TestUsageReadsNeverExceedTwentyAnHour(t *testing.T) {
	e := newUsageEnv(t)
	e.addOAuth("max", oauthToken)
	ctx := context.Background()
	for range 40 {
		_ = e.svc.PollUsage(ctx)
		e.clock.Advance(time.Minute / 2)
	}
	if n := usagePolls(e.fake)[oauthToken]; n != 20 {
		t.Errorf("%d reads in 20 minutes of forced polls, want 20 (the budget)", n)
	}
	rep, err := e.svc.Doctor(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.UsageReads) != 1 || rep.UsageReads[0].Account != "max" || rep.UsageReads[0].LastHour != 20 {
		t.Errorf("doctor usage reads %+v", rep.UsageReads)
	}
	e.clock.Advance(45 * time.Minute) // the first reads leave the window
	_ = e.svc.PollUsage(ctx)
	if n := usagePolls(e.fake)[oauthToken]; n != 21 {
		t.Errorf("%d reads after the window slid, want 21", n)
	}
}
