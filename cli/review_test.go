package cli_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// A new user copies the root help's example: it must include the client
// key, without which every request gets 401.
func TestRootHelpExampleCarriesAClientKey(t *testing.T) {
	r := sluice(t, baseEnv(t), "", "--help")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "ANTHROPIC_AUTH_TOKEN=sk-sluice-") || !strings.Contains(r.out, "keys create") {
		t.Fatalf("root help: %d %q", r.code, r.out)
	}
}

// pflag reads a backquoted word of a flag's usage as the value's name:
// the --key line must name a string value, not "sluice keys list --json".
func TestLogsKeyFlagHelpNamesItsValue(t *testing.T) {
	r := sluice(t, baseEnv(t), "", "logs", "--help")
	if !regexp.MustCompile(`--key string\s+only this client key`).MatchString(r.out) {
		t.Fatalf("logs --help:\n%s", r.out)
	}
}

// Every account command says what it did, as pause and resume do.
func TestRenameAndPrioritySayWhatTheyDid(t *testing.T) {
	env := baseEnv(t)
	if r := sluice(t, env, secretKey+"\n", "accounts", "add-key", "work"); r.code != 0 {
		t.Fatalf("add-key: %d %s", r.code, r.err)
	}
	r := sluice(t, env, "", "accounts", "priority", "work", "3")
	if r.code != 0 || !strings.Contains(r.out, "work") || !strings.Contains(r.out, "3") {
		t.Fatalf("priority: %d %q %q", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "accounts", "rename", "work", "main")
	if r.code != 0 || !strings.Contains(r.out, "work") || !strings.Contains(r.out, "main") {
		t.Fatalf("rename: %d %q %q", r.code, r.out, r.err)
	}
}

// The on|off commands name the words they document in their errors.
func TestOnOffErrorsNameOnAndOff(t *testing.T) {
	r := sluice(t, baseEnv(t), "", "settings", "set", "capture", "maybe")
	if r.code != cli.ExitUsage || !strings.Contains(r.err, "on or off") {
		t.Fatalf("settings set capture maybe: %d %q", r.code, r.err)
	}
}

// Every command has --help (README), `sluice window` included.
func TestWindowHelp(t *testing.T) {
	r := runWindow(baseEnv(t), []string{"--help"}, nil)
	if r.code != cli.ExitOK || !strings.Contains(r.out, "sluice window") || !strings.Contains(r.out, "--copy-settings") {
		t.Fatalf("window --help: %d %q %q", r.code, r.out, r.err)
	}
}

// A cheap request costs less than a cent: usage and status must not round
// it to $0.00 while logs shows $0.0002 for the same request.
func TestSmallCostsAreNotShownAsZero(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	if r := sluice(t, env, keyA+"\n", "accounts", "add-key", "a"); r.code != 0 {
		t.Fatalf("add-key: %d %s", r.code, r.err)
	}
	addr := owner(t, env)
	key := createKey(t, env, "cheap")
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("request: %v %v", err, resp)
	}
	resp.Body.Close()
	var st api.Status
	testkit.WaitFor(t, "today's cost", func() bool {
		st = api.Status{}
		return json.Unmarshal([]byte(sluice(t, env, "", "status", "--json").out), &st) == nil && st.CostTodayMicros > 0
	})
	if st.CostTodayMicros >= 5000 {
		t.Fatalf("the fake's request cost %d micros: not below half a cent", st.CostTodayMicros)
	}
	if out := sluice(t, env, "", "status").out; strings.Contains(out, "$0.00\n") {
		t.Errorf("status shows a nonzero cost as $0.00:\n%s", out)
	}
	if out := sluice(t, env, "", "usage").out; strings.Contains(out, "$0.00\n") {
		t.Errorf("usage shows a nonzero cost as $0.00:\n%s", out)
	}
}

// An unknown account name says where the names are, for every account
// command, not only the limit ones.
func TestUnknownAccountSaysWhereTheNamesAre(t *testing.T) {
	env := baseEnv(t)
	for _, args := range [][]string{
		{"accounts", "remove", "nosuch"},
		{"accounts", "pause", "nosuch"},
		{"accounts", "priority", "nosuch", "1"},
		{"accounts", "rename", "nosuch", "other"},
		{"accounts", "clear-limit", "nosuch"},
	} {
		r := sluice(t, env, "", args...)
		if r.code != cli.ExitFailure || strings.Count(r.err, "see `sluice accounts list`") != 1 {
			t.Errorf("%v: %d %q", args, r.code, r.err)
		}
	}
}

// `sluice window --data-dir DIR` reaches the engine serving DIR, as
// `sluice serve --data-dir DIR` and every other command take it.
func TestWindowTakesDataDir(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	other := baseEnv(t) // SLUICE_DATA_DIR names a dir nothing serves
	for _, args := range [][]string{{"--data-dir", env["SLUICE_DATA_DIR"]}, {"--data-dir=" + env["SLUICE_DATA_DIR"]}} {
		ran := false
		r := runWindow(other, args, func(*control.Client, cli.WindowFlags) error { ran = true; return nil })
		if r.code != cli.ExitOK || !ran {
			t.Errorf("window %v: %d %q", args, r.code, r.err)
		}
	}
}
