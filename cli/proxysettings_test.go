package cli_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// setArgs builds `sluice settings set KEY VALUE` from the usage line its
// --help prints, so the test types what a user reading the help would.
func setArgs(t *testing.T, env map[string]string, key, value string) []string {
	t.Helper()
	help := mustRun(t, env, "", "settings", "set", "--help").out
	_, usage, ok := strings.Cut(help, "Usage:\n")
	if !ok {
		t.Fatalf("settings set --help has no usage line:\n%s", help)
	}
	line := strings.Fields(strings.SplitN(usage, "\n", 2)[0])
	if len(line) == 6 && line[5] == "[flags]" {
		line = line[:5]
	}
	if len(line) != 5 || line[0] != "sluice" || line[3] != "KEY" || line[4] != "VALUE" {
		t.Fatalf("settings set usage %q, want sluice settings set KEY VALUE", line)
	}
	return []string{line[1], line[2], key, value}
}

// sessionAccounts sends two requests of one session through addr and
// returns the credentials the upstream saw them under.
func sessionAccounts(t *testing.T, fake *fakeapi.Server, addr, key string) (string, string) {
	t.Helper()
	before := len(fake.Received())
	for range 2 {
		if got := send(t, addr, key, "one-session"); got != http.StatusOK {
			t.Fatalf("request: %d", got)
		}
	}
	r := fake.Received()[before:]
	return r[0].Credential, r[1].Credential
}

// The proxy settings listed by `sluice settings --help` change the running
// engine's next request when set with the syntax the help shows; they
// survive a restart, and a SLUICE_* variable fixes one against the CLI.
func TestProxySettingsThroughServe(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	addr, stop := startOwner(t, env)
	defer func() { stop() }()
	key := createKey(t, env, "settings-test")
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	mustRun(t, env, keyB+"\n", "accounts", "add-key", "b")

	help := mustRun(t, env, "", "settings", "--help").out
	for _, k := range []string{"strategy", "session-window", "retries", "retry-delay", "allowed-origins", "openai-subscriptions"} {
		if !strings.Contains(help, "\n  "+k+" ") {
			t.Errorf("settings --help does not list %s:\n%s", k, help)
		}
	}
	for _, s := range api.StrategyNames() {
		if !strings.Contains(help, s) {
			t.Errorf("settings --help does not name the strategy %s", s)
		}
	}

	if x, y := sessionAccounts(t, fake, addr, key); x != y {
		t.Fatalf("under the default session strategy one session used two accounts")
	}
	mustRun(t, env, "", setArgs(t, env, "strategy", "round-robin")...)
	if x, y := sessionAccounts(t, fake, addr, key); x == y {
		t.Fatalf("after `settings set strategy round-robin` one session stayed on one account")
	}

	origin := func() int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(sendBody))
		req.Header.Set("x-api-key", key)
		req.Header.Set("Origin", "http://localhost:5173")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := origin(); got != http.StatusForbidden {
		t.Fatalf("a foreign origin before it was allowed: %d", got)
	}
	mustRun(t, env, "", setArgs(t, env, "allowed-origins", "http://localhost:5173,https://app.example")...)
	if got := origin(); got != http.StatusOK {
		t.Fatalf("an allowed origin: %d", got)
	}
	mustRun(t, env, "", setArgs(t, env, "allowed-origins", "none")...)
	if got := origin(); got != http.StatusForbidden {
		t.Fatalf("an origin no longer allowed: %d", got)
	}
	mustRun(t, env, "", setArgs(t, env, "session-window", "90m")...)
	mustRun(t, env, "", setArgs(t, env, "retries", "2")...)
	out := mustRun(t, env, "", setArgs(t, env, "retry-delay", "250ms")...).out
	if !strings.Contains(out, "retry-delay         250ms") || !strings.Contains(out, "session-window      1h30m") {
		t.Errorf("settings set prints:\n%s", out)
	}
	if out := mustRun(t, env, "", setArgs(t, env, "openai-subscriptions", "on")...).out; !strings.Contains(out, "openai-subscriptions on") {
		t.Errorf("settings set openai-subscriptions on prints:\n%s", out)
	}
	if r := sluice(t, env, "", setArgs(t, env, "openai-subscriptions", "maybe")...); r.code != 2 || !strings.Contains(r.err, "on or off") {
		t.Errorf("openai-subscriptions maybe: %d %q", r.code, r.err)
	}
	if r := sluice(t, env, "", setArgs(t, env, "strategy", "random")...); r.code == 0 || !strings.Contains(r.err, "unknown strategy") {
		t.Errorf("an unknown strategy: %d %q", r.code, r.err)
	}
	if r := sluice(t, env, "", setArgs(t, env, "allowed-origins", "http://x.example/path")...); r.code != 2 || !strings.Contains(r.err, "not an origin") {
		t.Errorf("an origin with a path: %d %q", r.code, r.err)
	}

	var all struct {
		api.Settings
		api.ProxySettings
	}
	jsonOf(t, env, &all, "settings", "--json")
	if all.Strategy != "round-robin" || all.SessionWindow != 90*time.Minute || all.RetryAttempts != 2 ||
		all.RetryDelay != 250*time.Millisecond || len(all.AllowedOrigins) != 0 || all.CaptureMaxBytes == 0 ||
		!all.OpenAISubscriptions {
		t.Fatalf("settings --json: %+v", all)
	}

	// Restarted with SLUICE_STRATEGY, the variable wins and is shown; the
	// stored session window is kept.
	stop()
	env["SLUICE_STRATEGY"] = "priority"
	_, stop = startOwner(t, env)
	out = mustRun(t, env, "", "settings").out
	if !strings.Contains(out, "priority  (fixed by SLUICE_STRATEGY)") || !strings.Contains(out, "1h30m") {
		t.Fatalf("settings after a restart with SLUICE_STRATEGY:\n%s", out)
	}
	if r := sluice(t, env, "", setArgs(t, env, "strategy", "session")...); r.code != 1 || !strings.Contains(r.err, "SLUICE_STRATEGY") {
		t.Fatalf("setting a fixed strategy: %d %q", r.code, r.err)
	}
}

// Each SLUICE_* variable of a proxy setting marks it fixed, by name.
func TestProxySettingVariablesAreFixed(t *testing.T) {
	env := map[string]string{"SLUICE_DATA_DIR": t.TempDir(), "SLUICE_STRATEGY": "priority", "SLUICE_SESSION_TTL": "1h",
		"SLUICE_RETRY_ATTEMPTS": "2", "SLUICE_RETRY_DELAY": "2s", "SLUICE_ALLOWED_ORIGINS": "http://localhost:3000"}
	set, err := cli.LoadSettings(func(k string) string { return env[k] }, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"strategy": "SLUICE_STRATEGY", "session-window": "SLUICE_SESSION_TTL",
		"retries": "SLUICE_RETRY_ATTEMPTS", "retry-delay": "SLUICE_RETRY_DELAY", "allowed-origins": "SLUICE_ALLOWED_ORIGINS"}
	if !maps.Equal(set.Proxy.Fixed, want) {
		t.Fatalf("Fixed = %v, want %v", set.Proxy.Fixed, want)
	}
	none, err := cli.LoadSettings(func(k string) string { return map[string]string{"SLUICE_DATA_DIR": t.TempDir()}[k] }, "test")
	if err != nil || len(none.Proxy.Fixed) != 0 {
		t.Fatalf("with no variables Fixed = %v (%v)", none.Proxy.Fixed, err)
	}
}

// `sluice serve --strategy` fixes the strategy: settings says so.
func TestServeStrategyFlagFixesIt(t *testing.T) {
	env := baseEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan run, 1)
	go func() { done <- sluiceCtx(ctx, t, env, "", "serve", "--port", "0", "--strategy", "least-used") }()
	defer func() {
		cancel()
		if r := <-done; r.code != 0 {
			t.Errorf("serve exit %d: %s", r.code, r.err)
		}
	}()
	testkit.WaitFor(t, "serve to answer on its control socket", func() bool {
		var st api.Status
		r := sluice(t, env, "", "status", "--json")
		return r.code == 0 && json.Unmarshal([]byte(r.out), &st) == nil && st.ProxyRunning
	})
	if out := mustRun(t, env, "", "settings").out; !strings.Contains(out, "least-used  (fixed by --strategy)") {
		t.Fatalf("settings under serve --strategy:\n%s", out)
	}
}
