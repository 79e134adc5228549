package cli_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

func TestRequireKeyAndPassthroughSettings(t *testing.T) {
	load := func(kv ...string) (cli.Settings, error) {
		env := map[string]string{"SLUICE_DATA_DIR": t.TempDir()}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return cli.LoadSettings(func(k string) string { return env[k] }, "test")
	}
	s, err := load()
	if err != nil || s.Proxy.RequireKey != nil || s.Proxy.Passthrough {
		t.Fatalf("defaults: require %v passthrough %v %v", s.Proxy.RequireKey, s.Proxy.Passthrough, err)
	}
	s, err = load("SLUICE_REQUIRE_KEY", "false", "SLUICE_PASSTHROUGH", "true")
	if err != nil || s.Proxy.RequireKey == nil || *s.Proxy.RequireKey || !s.Proxy.Passthrough {
		t.Fatalf("SLUICE_REQUIRE_KEY=false SLUICE_PASSTHROUGH=true: %v %v %v", s.Proxy.RequireKey, s.Proxy.Passthrough, err)
	}
	for _, kv := range [][2]string{{"SLUICE_REQUIRE_KEY", "perhaps"}, {"SLUICE_PASSTHROUGH", "2"}} {
		if _, err := load(kv[0], kv[1]); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%s accepted: %v", kv[0], kv[1], err)
		}
	}
}

// The CLI's logger masks secrets wherever they appear in a line.
func TestLoggerRedactsSecrets(t *testing.T) {
	s, err := cli.LoadSettings(func(k string) string { return map[string]string{"SLUICE_DATA_DIR": t.TempDir()}[k] }, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "json"} {
		s.LogFormat = format
		var buf bytes.Buffer
		const secret = "sk-ant-api03-LOGSECRET-0123456789abcdef"
		s.Logger(&buf).Error("refresh failed with "+secret, "err", errors.New("bad token "+secret))
		if strings.Contains(buf.String(), "LOGSECRET") || buf.Len() == 0 {
			t.Errorf("%s log: %q", format, buf.String())
		}
	}
}

// SLUICE_REQUIRE_KEY=false lets a request without a key through, and the
// CLI says so; the strategy help names drain-soonest.
func TestServeWithoutRequiredKeys(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_REQUIRE_KEY"] = "false"
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr := owner(t, env)
	if got := send(t, addr, "", ""); got != 200 {
		t.Fatalf("a request without a key got %d with SLUICE_REQUIRE_KEY=false", got)
	}
	var st struct {
		RequireKey bool `json:"require_key"`
	}
	jsonOf(t, env, &st, "status")
	if st.RequireKey {
		t.Fatal("status says keys are required")
	}
	if out := mustRun(t, env, "", "keys", "list").out; !strings.Contains(out, "NOT required") {
		t.Fatalf("keys list does not warn: %q", out)
	}
	if out := mustRun(t, env, "", "serve", "--help").out; !strings.Contains(out, "drain-soonest") {
		t.Fatalf("serve --help does not name drain-soonest: %q", out)
	}
}

// SLUICE_PASSTHROUGH=true forwards a request carrying the client's own
// Anthropic key with that key, though Sluice has no account; off (the
// default), the same request is refused.
func TestPassthroughFromTheEnvironment(t *testing.T) {
	const own = "sk-ant-api03-PASSTHRU-0123456789"
	for _, on := range []bool{false, true} {
		fake := fakeapi.New(t)
		env := baseEnv(t)
		env["SLUICE_UPSTREAM"] = fake.URL
		if on {
			env["SLUICE_PASSTHROUGH"] = "true"
		}
		addr := owner(t, env)
		got := send(t, addr, own, "")
		if on && (got != 200 || uses(fake, own) != 1) {
			t.Fatalf("passthrough on: %d, upstream saw the client's key %d times", got, uses(fake, own))
		}
		if !on && (got != 401 || len(fake.Received()) != 0) {
			t.Fatalf("passthrough off: %d, upstream got %d requests", got, len(fake.Received()))
		}
	}
}
