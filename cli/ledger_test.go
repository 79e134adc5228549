package cli_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// sessionShares reads `sluice usage --by session --json` as session -> 5h share.
func sessionShares(t *testing.T, env map[string]string) (map[string]float64, api.UsageReport) {
	t.Helper()
	var rep api.UsageReport
	jsonOf(t, env, &rep, "usage", "--by", "session")
	out := map[string]float64{}
	for _, r := range rep.Rows {
		if f, ok := r.WindowShare["5h"]; ok {
			out[r.Session] = f
		}
	}
	return out, rep
}

func about(got, want float64) bool { return math.Abs(got-want) < 1e-6 }

// A subscription whose 5-hour window rises 1 % per request: two sessions
// of 3 and 1 requests show 3 % and 1 % of the window; after a reset the
// ledger starts afresh.
func TestUsageBySessionShowsEachSessionsShareOfTheWindow(t *testing.T) {
	auth := oauthtest.New(t)
	fake := fakeapi.New(t)
	env := oauthEnv(t, auth)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_USAGE_URL"] = fake.URL + "/api/oauth/usage"
	var opened []string
	if r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "personal"); r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.err)
	}
	addr := owner(t, env)
	key := createKey(t, env, "ledger")
	// The first answer is the ledger's baseline (nothing before it to
	// compare with): 10 %, resetting in an hour.
	if send(t, addr, key, "warm-up") != 200 {
		t.Fatal("warm-up request failed")
	}
	recv := fake.Received()
	cred := recv[len(recv)-1].Credential
	fake.Script(cred, fakeapi.Behavior{Utilization: 0.10, UtilizationStep: 0.01, ResetAt: time.Now().Add(time.Hour)})
	for _, s := range []string{"sess-a", "sess-a", "sess-b", "sess-a"} {
		if send(t, addr, key, s) != 200 {
			t.Fatalf("request of %s failed", s)
		}
	}
	var shares map[string]float64
	var rep api.UsageReport
	testkit.WaitFor(t, "four requests with shares in the journal", func() bool {
		shares, rep = sessionShares(t, env)
		return len(shares) == 2
	})
	if !about(shares["sess-a"], 0.03) || !about(shares["sess-b"], 0.01) {
		t.Errorf("5h shares %v, want sess-a 0.03, sess-b 0.01 (rows %+v)", shares, rep.Rows)
	}
	for _, r := range rep.Rows {
		if r.Session == "warm-up" && r.WindowShare != nil {
			t.Errorf("the first observation was attributed: %+v", r)
		}
		if r.ShareEstimate {
			t.Errorf("sequential requests marked estimate: %+v", r)
		}
	}
	if out := mustRun(t, env, "", "usage", "--by", "session").out; !strings.Contains(out, "5h 3.0 %") || !strings.Contains(out, "WINDOW SHARE") {
		t.Errorf("usage --by session:\n%s", out)
	}
	// The statusline of session a: the account, its window, a's part.
	if out := mustRun(t, env, `{"session_id":"sess-a"}`, "statusline").out; !strings.Contains(out, "personal · 5h 14% (this session 3 %)") {
		t.Errorf("statusline: %q", out)
	}

	// The window resets (and moves 5 hours on): the next request's share
	// is the new window's utilization, not a fall from 14 %.
	fake.Script(cred, fakeapi.Behavior{Utilization: 0, UtilizationStep: 0.01, ResetAt: time.Now().Add(5 * time.Hour)})
	if send(t, addr, key, "sess-c") != 200 {
		t.Fatal("request after the reset failed")
	}
	testkit.WaitFor(t, "the request after the reset in the journal", func() bool {
		shares, rep = sessionShares(t, env)
		return len(shares) == 3
	})
	if !about(shares["sess-c"], 0.01) {
		t.Errorf("after a reset sess-c has %v of the window, want 0.01", shares["sess-c"])
	}
	// Grouped by key, the key's share is every session's.
	var byKey api.UsageReport
	jsonOf(t, env, &byKey, "usage", "--by", "key")
	if len(byKey.Rows) != 1 || byKey.Rows[0].KeyName != "ledger" || !about(byKey.Rows[0].WindowShare["5h"], 0.05) {
		t.Errorf("usage --by key: %+v", byKey.Rows)
	}
}

// An API key has per-minute buckets, not windows: no share, and the CLI
// says so.
func TestAPIKeyAccountsHaveNoWindowShare(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "console")
	addr := owner(t, env)
	key := createKey(t, env, "k")
	for range 2 {
		if send(t, addr, key, "s") != 200 {
			t.Fatal("request failed")
		}
	}
	var rep api.UsageReport
	testkit.WaitFor(t, "the requests in the journal", func() bool {
		jsonOf(t, env, &rep, "usage", "--by", "session")
		return len(rep.Rows) == 1 && rep.Rows[0].Requests == 2
	})
	if rep.Rows[0].WindowShare != nil {
		t.Errorf("an API key got a window share: %+v", rep.Rows[0])
	}
	if out := mustRun(t, env, "", "status").out; !strings.Contains(out, "no window share") {
		t.Errorf("status does not say the key has no window share:\n%s", out)
	}
}
