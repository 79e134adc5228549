package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// `sluice prices` shows the table with dates and sources, marks the rows of
// the user's prices.json, and lists the journaled models nothing prices; a
// broken prices.json stops the engine with an error naming the file.
func TestPricesShowsTableOverridesAndUnpricedModels(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr, stop := startOwner(t, env)
	key := createKey(t, env, "prices")
	if send(t, addr, key, "s") != 200 {
		t.Fatal("request failed")
	}
	var rep struct {
		Rows []struct {
			Prefix   string  `json:"prefix"`
			Input    float64 `json:"input"`
			Checked  string  `json:"checked"`
			Source   string  `json:"source"`
			Override bool    `json:"override"`
		} `json:"rows"`
		Unpriced []struct {
			Model    string `json:"model"`
			Requests int64  `json:"requests"`
		} `json:"unpriced"`
		APIEquivalent bool `json:"api_equivalent"`
	}
	testkit.WaitFor(t, "the unpriced model to be listed", func() bool {
		jsonOf(t, env, &rep, "prices")
		return len(rep.Unpriced) == 1
	})
	if rep.Unpriced[0].Model != "claude-test" || rep.Unpriced[0].Requests != 1 || !rep.APIEquivalent {
		t.Fatalf("prices --json: %+v", rep)
	}
	found := false
	for _, r := range rep.Rows {
		if r.Prefix == "claude-opus-5-5" {
			found = r.Input == 4 && r.Checked == "2026-12-01" && r.Source != "" && !r.Override
		}
	}
	if !found {
		t.Errorf("no claude-opus-5-5 row at $4 with date and source: %+v", rep.Rows)
	}
	out := mustRun(t, env, "", "prices").out
	for _, want := range []string{"claude-opus-5-5", "2026-12-01", "claude-test", "API-equivalent"} {
		if !strings.Contains(out, want) {
			t.Errorf("prices output lacks %q:\n%s", want, out)
		}
	}

	// The request's model has no price: logs and usage say so, never $0.
	if out := mustRun(t, env, "", "logs").out; !strings.Contains(out, "unpriced") {
		t.Errorf("logs do not mark the unpriced request:\n%s", out)
	}
	if out := mustRun(t, env, "", "usage", "--by", "model").out; !strings.Contains(out, "unpriced") || !strings.Contains(out, "API-equivalent") {
		t.Errorf("usage --by model does not mark the unpriced model:\n%s", out)
	}
	path := filepath.Join(env["SLUICE_DATA_DIR"], "prices.json")
	os.WriteFile(path, []byte(`{"models":[{"prefix":"claude-test","input":1,"output":2}]}`), 0o600)
	jsonOf(t, env, &rep, "prices")
	if len(rep.Unpriced) != 0 || !strings.Contains(mustRun(t, env, "", "prices").out, "claude-test *") {
		t.Errorf("override not shown or model still unpriced: %+v", rep.Unpriced)
	}
	stop()

	os.WriteFile(path, []byte(`{"models":[{"prefix":"claude-test","input":-1}]}`), 0o600)
	r := sluice(t, env, "", "serve")
	if r.code == 0 || !strings.Contains(r.err, path) {
		t.Errorf("serve with a bad prices.json: %d %q", r.code, r.err)
	}
}
