package cli_test

import (
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// accountNamed reads one account through `sluice accounts list --json`.
func accountNamed(t *testing.T, env map[string]string, name string) api.AccountView {
	t.Helper()
	var views []api.AccountView
	jsonOf(t, env, &views, "accounts", "list")
	for _, v := range views {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no account %s in %+v", name, views)
	return api.AccountView{}
}

// plan-guard, clear-limit and headroom given on the command line change
// what the running proxy does with the next request (counted at the fake).
func TestLimitControlsReachTheRunningEngine(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_STRATEGY"] = "priority"
	addr := owner(t, env)
	key := createKey(t, env, "limits")
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	mustRun(t, env, keyB+"\n", "accounts", "add-key", "b")
	mustRun(t, env, "", "accounts", "priority", "b", "5")
	fake.Script(keyA, fakeapi.Behavior{BodyError: &fakeapi.BodyError{Status: 400, Message: fakeapi.MsgThirdPartyExtraUsage}})
	fake.Script(keyB, fakeapi.Behavior{Unified: true, Utilization: 0.9}) // a key answered with unified windows, for the 5h figures

	// An API-key account starts without the guard: the extra-usage answer
	// is the client's.
	if a := accountNamed(t, env, "a"); a.PlanGuard {
		t.Fatal("an API-key account has the plan guard on by default")
	}
	if got := send(t, addr, key, ""); got != 400 || uses(fake, keyA) != 1 {
		t.Fatalf("guard off: %d, a asked %d times", got, uses(fake, keyA))
	}
	mustRun(t, env, "", "accounts", "plan-guard", "a", "on")
	if got := send(t, addr, key, ""); got != 200 || uses(fake, keyA) != 2 || uses(fake, keyB) != 1 {
		t.Fatalf("guard on: %d, a %d, b %d (want a failover to b)", got, uses(fake, keyA), uses(fake, keyB))
	}
	if a := accountNamed(t, env, "a"); !a.PlanGuard || a.State != "limited" {
		t.Fatalf("after the guard stopped a: %+v", a)
	}
	send(t, addr, key, "")
	if uses(fake, keyA) != 2 {
		t.Fatal("a benched account was asked again")
	}
	mustRun(t, env, "", "accounts", "clear-limit", "a")
	if a := accountNamed(t, env, "a"); a.State == "limited" {
		t.Fatalf("clear-limit left a limited: %+v", a)
	}
	send(t, addr, key, "")
	if uses(fake, keyA) != 3 {
		t.Fatalf("after clear-limit a was not tried: %d", uses(fake, keyA))
	}

	// b's headers report its 5-hour window at 90%: every window shows,
	// and a headroom cap at 50% of it stops b at once.
	if out := mustRun(t, env, "", "accounts", "list").out; !strings.Contains(out, "5h 90%") {
		t.Fatalf("accounts list does not show b's windows: %q", out)
	}
	if b := accountNamed(t, env, "b"); len(b.Windows) == 0 {
		t.Fatalf("accounts list --json has no windows for b: %+v", b)
	}
	if out := mustRun(t, env, "", "status").out; !strings.Contains(out, "5h 90%") {
		t.Fatalf("status does not show b's windows: %q", out)
	}
	var st struct {
		Windows []struct {
			Account string
			Windows []api.Window
		}
	}
	jsonOf(t, env, &st, "status")
	fiveHour := -1.0
	for _, a := range st.Windows {
		for _, w := range a.Windows {
			if a.Account == "b" && w.Name == "5h" {
				fiveHour = w.Utilization
			}
		}
	}
	if len(st.Windows) != 2 || fiveHour != 0.9 {
		t.Fatalf("status --json windows: %+v", st.Windows)
	}
	mustRun(t, env, "", "accounts", "headroom", "b", "session", "50")
	if b := accountNamed(t, env, "b"); b.Headroom["session"] != 50 {
		t.Fatalf("headroom not set: %+v", b.Headroom)
	}
	served := uses(fake, keyB)
	if got := send(t, addr, key, ""); got == 200 || uses(fake, keyB) != served {
		t.Fatalf("b served past its headroom: %d, b %d -> %d", got, served, uses(fake, keyB))
	}
	mustRun(t, env, "", "accounts", "headroom", "b", "session", "0")
	if b := accountNamed(t, env, "b"); len(b.Headroom) != 0 {
		t.Fatalf("headroom 0 did not remove the cap: %+v", b.Headroom)
	}
	if got := send(t, addr, key, ""); got != 200 || uses(fake, keyB) != served+1 {
		t.Fatalf("b not back after the cap was removed: %d", got)
	}
	if r := sluice(t, env, "", "accounts", "headroom", "b", "session", "150"); r.code != 2 {
		t.Fatalf("headroom 150: %d %q", r.code, r.err)
	}
	if r := sluice(t, env, "", "accounts", "plan-guard", "nosuch", "on"); r.code != 1 || !strings.Contains(r.err, "no such account") {
		t.Fatalf("plan-guard nosuch: %d %q", r.code, r.err)
	}
}
