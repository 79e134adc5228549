package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// mustRun runs a command that must succeed and returns its output.
func mustRun(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	r := sluice(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("%v: %d %s", args, r.code, r.err)
	}
	return r
}

// jsonOf runs a command with --json and decodes what it prints into v.
func jsonOf(t *testing.T, env map[string]string, v any, args ...string) {
	t.Helper()
	r := mustRun(t, env, "", append(args, "--json")...)
	if err := json.Unmarshal([]byte(r.out), v); err != nil {
		t.Fatalf("%v --json: %v %q", args, err, r.out)
	}
}

// A key made with `sluice keys create` opens the running proxy, as
// x-api-key and as Bearer; once `sluice keys revoke` ran, it gets 401.
func TestKeysCreateThenRevokeThroughServe(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr := owner(t, env)

	r := mustRun(t, env, "", "keys", "create", "laptop", "--rpm", "100", "--accounts", "a")
	key := clientKey.FindString(r.out)
	if key == "" || !strings.Contains(r.out, "export ANTHROPIC_AUTH_TOKEN="+key) || !strings.Contains(r.out, "export ANTHROPIC_BASE_URL=http://"+addr) {
		t.Fatalf("keys create did not print the key and the exports: %q", r.out)
	}
	if got := send(t, addr, key, ""); got != 200 {
		t.Fatalf("x-api-key with the new key: %d", got)
	}
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(sendBody))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || uses(fake, keyA) != 2 {
		t.Fatalf("Bearer with the new key: %d, upstream %d", resp.StatusCode, uses(fake, keyA))
	}

	var keys []api.KeyView
	jsonOf(t, env, &keys, "keys", "list")
	var laptop *api.KeyView
	for i := range keys {
		if keys[i].Name == "laptop" {
			laptop = &keys[i]
		}
	}
	if laptop == nil || laptop.RPM != 100 || len(laptop.Accounts) != 1 || laptop.Accounts[0] != "a" || laptop.Revoked {
		t.Fatalf("keys list: %+v", keys)
	}
	if strings.Contains(mustRun(t, env, "", "keys", "list").out, key) {
		t.Fatal("keys list printed a secret")
	}
	mustRun(t, env, "", "keys", "update", "laptop", "--rename", "desk", "--daily-cost", "2.5", "--concurrent", "3")
	jsonOf(t, env, &keys, "keys", "list")
	if k := keys[len(keys)-1]; k.Name != "desk" || k.DailyCostMicros != 2_500_000 || k.MaxConcurrent != 3 || k.RPM != 100 || len(k.Accounts) != 1 {
		t.Fatalf("keys update kept or changed the wrong fields: %+v", k)
	}
	mustRun(t, env, "", "keys", "revoke", "desk")
	if got := send(t, addr, key, ""); got != 401 {
		t.Fatalf("revoked key: %d, want 401", got)
	}
	if uses(fake, keyA) != 2 {
		t.Fatal("a request with a revoked key reached the upstream")
	}
	if r := sluice(t, env, "", "keys", "revoke", "desk"); r.code != 1 || !strings.Contains(r.err, "no such client key") {
		t.Fatalf("revoke twice: %d %q", r.code, r.err)
	}
	grepTree(t, env["SLUICE_DATA_DIR"], key)
}

// The journal through a running serve: logs --json lists the request,
// logs show shows it, usage --by model counts its tokens, and cleanup
// --older-than 0s empties the log while usage keeps counting.
func TestLogsUsageAndCleanupThroughServe(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr := owner(t, env)
	key := createKey(t, env, "logs")
	mustRun(t, env, "", "settings", "set", "capture", "on")
	if send(t, addr, key, "sess-1") != 200 {
		t.Fatal("request failed")
	}
	var entries []api.LogEntry
	testkit.WaitFor(t, "the request to be journaled", func() bool {
		jsonOf(t, env, &entries, "logs")
		return len(entries) == 1
	})
	e := entries[0]
	if e.Model != "claude-test" || e.Status != 200 || e.AccountName != "a" || e.Session != "sess-1" || e.OutputTokens != 6 {
		t.Fatalf("logs --json: %+v", e)
	}
	for _, f := range [][]string{{"--model", "claude-test"}, {"--status", "2xx"}, {"--account", "a"}, {"--since", "1h"}, {"--session", "sess-1"}, {"--key", "logs"}} {
		var got []api.LogEntry
		jsonOf(t, env, &got, append([]string{"logs"}, f...)...)
		if len(got) != 1 {
			t.Errorf("logs %v: %d entries, want 1", f, len(got))
		}
	}
	for _, f := range [][]string{{"--status", "5xx"}, {"--model", "other"}, {"--key", "default"}} {
		var none []api.LogEntry
		jsonOf(t, env, &none, append([]string{"logs"}, f...)...)
		if len(none) != 0 {
			t.Errorf("logs %v: %d entries, want 0", f, len(none))
		}
	}
	if r := sluice(t, env, "", "logs", "--status", "teapot"); r.code != cli.ExitUsage || !strings.Contains(r.err, "2xx") {
		t.Errorf("bad status filter: %d %q", r.code, r.err)
	}

	r := mustRun(t, env, "", "logs", "show", e.ID)
	if !strings.Contains(r.out, e.ID) || !strings.Contains(r.out, "claude-test") || !strings.Contains(r.out, "POST /v1/messages") {
		t.Fatalf("logs show: %q", r.out)
	}
	// The key by the name the user gave it, as in `sluice keys list`.
	if !regexp.MustCompile(`Client key:\s+logs \(`).MatchString(r.out) {
		t.Fatalf("logs show names no client key: %q", r.out)
	}
	if !strings.Contains(r.out, "add --payload") || strings.Contains(r.out, "max_tokens") {
		t.Fatalf("logs show without --payload: %q", r.out)
	}
	r = mustRun(t, env, "", "logs", "show", e.ID, "--payload")
	if !strings.Contains(r.out, sendBody) || !strings.Contains(r.out, "chunk") {
		t.Fatalf("logs show --payload has not the bodies: %q", r.out)
	}
	var d api.RequestDetail
	jsonOf(t, env, &d, "logs", "show", e.ID)
	if d.ID != e.ID || d.InputTokens != e.InputTokens || d.Payload != nil {
		t.Fatalf("logs show --json: %+v", d)
	}
	r = mustRun(t, env, "", "logs", "cleanup", "--older-than", "0s", "--payloads-only")
	if !strings.Contains(r.out, "Deleted 0 request record(s), 1 payload(s)") {
		t.Fatalf("cleanup --payloads-only: %q", r.out)
	}
	if out := mustRun(t, env, "", "logs", "show", e.ID, "--payload").out; strings.Contains(out, "chunk") || !strings.Contains(out, "No payload") {
		t.Fatalf("payload still shown after cleanup --payloads-only: %q", out)
	}

	wantIn := int64(len(sendBody)/4 + 1) // what the fake reports for this body
	checkUsage := func(when string) {
		t.Helper()
		var rep api.UsageReport
		jsonOf(t, env, &rep, "usage", "--by", "model")
		if len(rep.Rows) != 1 || rep.Rows[0].Model != "claude-test" || rep.Rows[0].Requests != 1 ||
			rep.Rows[0].InputTokens != wantIn || rep.Rows[0].OutputTokens != 6 {
			t.Fatalf("usage --by model %s: %+v", when, rep)
		}
		if out := mustRun(t, env, "", "usage", "--by", "model").out; !strings.Contains(out, "claude-test") {
			t.Fatalf("usage --by model %s: %q", when, out)
		}
	}
	checkUsage("before cleanup")

	r = mustRun(t, env, "", "logs", "cleanup", "--older-than", "0s")
	if !strings.Contains(r.out, "Deleted 1 request record") {
		t.Fatalf("cleanup: %q", r.out)
	}
	jsonOf(t, env, &entries, "logs")
	if len(entries) != 0 {
		t.Fatalf("logs after cleanup: %+v", entries)
	}
	checkUsage("after cleanup")
	if r := sluice(t, env, "", "logs", "show", e.ID); r.code != 1 || !strings.Contains(r.err, "sluice logs") {
		t.Fatalf("logs show of a cleaned-up request: %d %q", r.code, r.err)
	}
}

// Audit, doctor and settings through a running serve: a setting changed
// from the CLI is in force in the engine and in the audit log.
func TestAuditDoctorSettingsThroughServe(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	mustRun(t, env, "", "settings", "set", "capture", "on")
	mustRun(t, env, "", "settings", "set", "request-retention", "14d")
	mustRun(t, env, "", "settings", "set", "max-db-size", "1GB")
	var st api.Settings
	jsonOf(t, env, &st, "settings")
	if !st.Capture || st.RequestMaxAge.Hours() != 14*24 || st.MaxDBBytes != 1<<30 {
		t.Fatalf("settings after set: %+v", st)
	}
	if r := sluice(t, env, "", "settings", "set", "capture-max", "lots"); r.code != 2 {
		t.Fatalf("bad value: %d %q", r.code, r.err)
	}
	var audit []struct{ Kind, Subject, Detail string }
	jsonOf(t, env, &audit, "audit")
	found := false
	for _, a := range audit {
		found = found || a.Kind == proxy.AuditSettingsChanged && strings.Contains(a.Detail, "capture off -> on")
	}
	if !found {
		t.Fatalf("audit has no settings change: %+v", audit)
	}
	var rep proxy.DoctorReport
	jsonOf(t, env, &rep, "doctor")
	if !rep.OK || rep.Health.Integrity != "ok" || rep.Settings.MaxDBBytes != 1<<30 {
		t.Fatalf("doctor: %+v", rep)
	}
	if out := mustRun(t, env, "", "doctor", "--compact").out; !strings.Contains(out, "All checks passed") || !strings.Contains(out, "Compacted") {
		t.Fatalf("doctor --compact: %q", out)
	}
}

// With no owner running, the commands open the data dir themselves: the
// records journaled by a serve that has since stopped are listed, keys
// are created and listed.
func TestJournalAndKeysWithoutOwner(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	r := mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	first := clientKey.FindString(r.err)
	if first == "" {
		t.Fatalf("the first command on a new data dir did not print the first key: %q", r.err)
	}
	addr, stop := startOwner(t, env)
	if send(t, addr, first, "") != 200 {
		t.Fatal("the first key did not work")
	}
	var entries []api.LogEntry
	testkit.WaitFor(t, "the request to be journaled", func() bool {
		jsonOf(t, env, &entries, "logs")
		return len(entries) == 1
	})
	stop()

	jsonOf(t, env, &entries, "logs", "--model", "claude-test")
	if len(entries) != 1 || entries[0].AccountName != "a" {
		t.Fatalf("logs without an owner: %+v", entries)
	}
	if out := mustRun(t, env, "", "logs", "show", entries[0].ID).out; !strings.Contains(out, entries[0].ID) {
		t.Fatalf("logs show without an owner: %q", out)
	}
	createKey(t, env, "offline")
	var keys []api.KeyView
	jsonOf(t, env, &keys, "keys", "list")
	if len(keys) != 2 || keys[0].Name != "default" || keys[1].Name != "offline" {
		t.Fatalf("keys list without an owner: %+v", keys)
	}
	var rep api.UsageReport
	jsonOf(t, env, &rep, "usage", "--by", "account")
	if len(rep.Rows) != 1 || rep.Rows[0].AccountName != "a" || rep.Total.Requests != 1 {
		t.Fatalf("usage without an owner: %+v", rep)
	}
	mustRun(t, env, "", "keys", "revoke", "offline")
	if r := mustRun(t, env, "", "keys", "require", "off"); !strings.Contains(r.err, "Warning") {
		t.Fatalf("turning keys off gave no warning: %q", r.err)
	}
	var st struct {
		RequireKey bool `json:"require_key"`
	}
	jsonOf(t, env, &st, "status")
	if st.RequireKey {
		t.Fatal("keys require off did not stick")
	}
}

// logs --follow prints requests journaled after it started, one JSON line
// each, until interrupted (exit 0).
func TestLogsFollow(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr := owner(t, env)
	key := createKey(t, env, "follow")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"logs", "--follow", "--json"}, cli.IO{
			In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return env[k] },
		}, "test")
	}()
	for _, session := range []string{"first", "second"} {
		if send(t, addr, key, session) != 200 {
			t.Fatal("request failed")
		}
		testkit.WaitFor(t, "logs --follow to print the "+session+" request", func() bool {
			return strings.Contains(out.String(), `"session":"`+session+`"`)
		})
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("logs --follow exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per request, got %q", out.String())
	}
	var e api.LogEntry
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil || e.Session != "first" {
		t.Fatalf("first line: %v %+v", err, e)
	}
}
