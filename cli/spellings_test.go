package cli_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Every spelling a user's environment, flags or scripts could hold today,
// per setting and surface: these tables pinned the behaviour of the
// separate parsers before the SLUICE_* variables moved onto the
// registry's, and hold it since. A row says what one value means, or that
// it is refused with an error naming the variable (or key).

// envRow is one SLUICE_* spelling: accepted as want (what got prints
// of the Settings), or refused when want is "".
type envRow struct {
	name, value string
	want        string
	got         func(cli.Settings) any
}

func port(s cli.Settings) any          { return s.Proxy.Port }
func strategy(s cli.Settings) any      { return s.Proxy.Strategy }
func sessionTTL(s cli.Settings) any    { return s.Proxy.SessionTTL }
func retryAttempts(s cli.Settings) any { return s.Proxy.RetryAttempts }
func retryDelay(s cli.Settings) any    { return s.Proxy.RetryDelay }
func origins(s cli.Settings) any       { return strings.Join(s.Proxy.AllowedOrigins, " ") }
func retention(s cli.Settings) any     { return s.Proxy.Retention }
func passthrough(s cli.Settings) any   { return s.Proxy.Passthrough }
func backoff(s cli.Settings) any       { return s.Proxy.RetryBackoff }
func requireKey(s cli.Settings) any {
	if s.Proxy.RequireKey == nil {
		return "unset"
	}
	return *s.Proxy.RequireKey
}

var day = 24 * time.Hour

var envRows = []envRow{
	{"SLUICE_PORT", "8788", "8788", port},
	{"SLUICE_PORT", "0", "0", port}, // any free port
	{"SLUICE_PORT", "1", "1", port},
	{"SLUICE_PORT", "65535", "65535", port},
	{"SLUICE_PORT", "+9000", "9000", port},
	{"SLUICE_PORT", "65536", "", port},
	{"SLUICE_PORT", "99999", "", port},
	{"SLUICE_PORT", "-1", "", port},
	{"SLUICE_PORT", "not-a-port", "", port},
	{"SLUICE_PORT", "8788.0", "", port},

	{"SLUICE_REQUIRE_KEY", "true", "true", requireKey},
	{"SLUICE_REQUIRE_KEY", "on", "true", requireKey},
	{"SLUICE_REQUIRE_KEY", "yes", "true", requireKey},
	{"SLUICE_REQUIRE_KEY", "1", "true", requireKey},
	{"SLUICE_REQUIRE_KEY", "TRUE", "true", requireKey},
	{"SLUICE_REQUIRE_KEY", "false", "false", requireKey},
	{"SLUICE_REQUIRE_KEY", "off", "false", requireKey},
	{"SLUICE_REQUIRE_KEY", "no", "false", requireKey},
	{"SLUICE_REQUIRE_KEY", "0", "false", requireKey},
	{"SLUICE_REQUIRE_KEY", " Off ", "false", requireKey},
	{"SLUICE_REQUIRE_KEY", "perhaps", "", requireKey},
	{"SLUICE_REQUIRE_KEY", "2", "", requireKey},

	{"SLUICE_STRATEGY", "session", "session", strategy},
	{"SLUICE_STRATEGY", "priority", "priority", strategy},
	{"SLUICE_STRATEGY", "round-robin", "round-robin", strategy},
	{"SLUICE_STRATEGY", "least-used", "least-used", strategy},
	{"SLUICE_STRATEGY", "drain-soonest", "drain-soonest", strategy},

	{"SLUICE_SESSION_TTL", "5h", "5h0m0s", sessionTTL},
	{"SLUICE_SESSION_TTL", "90m", "1h30m0s", sessionTTL},
	{"SLUICE_SESSION_TTL", "1h30m", "1h30m0s", sessionTTL},
	{"SLUICE_SESSION_TTL", "1s", "1s", sessionTTL},           // under the window's minute: the variable has no bounds
	{"SLUICE_SESSION_TTL", "1000h", "1000h0m0s", sessionTTL}, // over its week
	{"SLUICE_SESSION_TTL", "0", "", sessionTTL},
	{"SLUICE_SESSION_TTL", "0s", "", sessionTTL},
	{"SLUICE_SESSION_TTL", "-5h", "", sessionTTL},
	{"SLUICE_SESSION_TTL", "5", "", sessionTTL},
	{"SLUICE_SESSION_TTL", "soon", "", sessionTTL},

	{"SLUICE_RETRY_ATTEMPTS", "0", "-1", retryAttempts}, // Config: negative is none
	{"SLUICE_RETRY_ATTEMPTS", "3", "3", retryAttempts},
	{"SLUICE_RETRY_ATTEMPTS", "10", "10", retryAttempts},
	{"SLUICE_RETRY_ATTEMPTS", "25", "25", retryAttempts}, // over settings set's 10: no bound here
	{"SLUICE_RETRY_ATTEMPTS", "-2", "", retryAttempts},
	{"SLUICE_RETRY_ATTEMPTS", "three", "", retryAttempts},
	{"SLUICE_RETRY_ATTEMPTS", "1.5", "", retryAttempts},

	{"SLUICE_RETRY_DELAY", "250ms", "250ms", retryDelay},
	{"SLUICE_RETRY_DELAY", "1s", "1s", retryDelay},
	{"SLUICE_RETRY_DELAY", "2m", "2m0s", retryDelay},     // over settings set's minute
	{"SLUICE_RETRY_DELAY", "500us", "500µs", retryDelay}, // under its millisecond
	{"SLUICE_RETRY_DELAY", "0s", "", retryDelay},
	{"SLUICE_RETRY_DELAY", "0", "", retryDelay},
	{"SLUICE_RETRY_DELAY", "-1s", "", retryDelay},
	{"SLUICE_RETRY_DELAY", "1", "", retryDelay},

	{"SLUICE_ALLOWED_ORIGINS", "http://localhost:3000", "http://localhost:3000", origins},
	{"SLUICE_ALLOWED_ORIGINS", "http://localhost:3000, https://app.example", "http://localhost:3000 https://app.example", origins},
	{"SLUICE_ALLOWED_ORIGINS", "https://app.example,", "https://app.example", origins},
	{"SLUICE_ALLOWED_ORIGINS", ",", "", nil}, // fixed to none
	{"SLUICE_ALLOWED_ORIGINS", "HTTP://App.Example", "HTTP://App.Example", origins},
	{"SLUICE_ALLOWED_ORIGINS", "http://a.example?x=1", "http://a.example?x=1", origins}, // no origin, but taken
	{"SLUICE_ALLOWED_ORIGINS", "http://me@a.example", "http://me@a.example", origins},
	{"SLUICE_ALLOWED_ORIGINS", "evil", "", origins},
	{"SLUICE_ALLOWED_ORIGINS", "http://x.example/path", "", origins},
	{"SLUICE_ALLOWED_ORIGINS", "localhost:3000", "", origins},

	{"SLUICE_RETENTION", "30d", fmt.Sprint(30 * day), retention},
	{"SLUICE_RETENTION", "1d", fmt.Sprint(day), retention},
	{"SLUICE_RETENTION", "720h", fmt.Sprint(30 * day), retention},
	{"SLUICE_RETENTION", "36h", fmt.Sprint(36 * time.Hour), retention},
	{"SLUICE_RETENTION", "90m", fmt.Sprint(90 * time.Minute), retention},
	{"SLUICE_RETENTION", "forever", "-1ns", retention},
	{"SLUICE_RETENTION", "0", "-1ns", retention},
	{"SLUICE_RETENTION", "0d", "-1ns", retention},
	{"SLUICE_RETENTION", "0h", "-1ns", retention},
	{"SLUICE_RETENTION", "abc", "", retention},
	{"SLUICE_RETENTION", "a month", "", retention},
	{"SLUICE_RETENTION", "-1d", "", retention},
	{"SLUICE_RETENTION", "-5h", "", retention},

	// Not settings of the registry: read as before.
	{"SLUICE_PASSTHROUGH", "true", "true", passthrough},
	{"SLUICE_PASSTHROUGH", "on", "true", passthrough},
	{"SLUICE_PASSTHROUGH", "0", "false", passthrough},
	{"SLUICE_PASSTHROUGH", "2", "", passthrough},
	{"SLUICE_RETRY_BACKOFF", "3", "3", backoff},
	{"SLUICE_RETRY_BACKOFF", "1.5", "1.5", backoff},
	{"SLUICE_RETRY_BACKOFF", "fast", "", backoff},
}

// Each SLUICE_* spelling users may have set is read as it always was.
func TestEnvironmentSpellings(t *testing.T) {
	for _, r := range envRows {
		checkEnvRow(t, r)
	}
}

// `sluice settings set KEY VALUE`, as README prints it, takes each of
// these spellings as the value `sluice settings` then prints, and refuses
// the others (exit 2, naming the key).
func TestSettingsSetSpellings(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no autostart entry of the user's
	env := baseEnv(t)
	for _, c := range []struct{ key, value, want string }{
		{"port", "9000", "9000"},
		{"port", " 9001 ", "9001"},
		{"port", "+9002", "9002"},
		{"port", "0", ""},
		{"port", "65536", ""},
		{"port", "http", ""},
		{"require-key", "off", "off"},
		{"require-key", "true", "on"},
		{"require-key", "no", "off"},
		{"require-key", "1", "on"},
		{"require-key", "ON", "on"},
		{"require-key", "maybe", ""},
		{"strategy", "priority", "priority"},
		{"strategy", "drain-soonest", "drain-soonest"},
		{"strategy", "Priority", ""},
		{"strategy", "random", ""},
		{"session-window", "90m", "1h30m"},
		{"session-window", "1d", "24h"},
		{"session-window", "7d", "168h"},
		{"session-window", "30s", ""},
		{"session-window", "8d", ""},
		{"session-window", "0", ""},
		{"retries", "0", "0"},
		{"retries", "10", "10"},
		{"retries", "11", ""},
		{"retry-delay", "250ms", "250ms"},
		{"retry-delay", "1m", "1m0s"},
		{"retry-delay", "2m", ""},
		{"retry-delay", "1", ""},
		{"allowed-origins", "http://localhost:3000, https://app.example", "http://localhost:3000,https://app.example"},
		{"allowed-origins", "NONE", "none"},
		{"allowed-origins", "http://x.example/path", ""},
		{"allowed-origins", "http://a.example?x=1", ""},
		{"request-retention", "14d", "14d"},
		{"request-retention", "36h", "36h0m0s"},
		{"request-retention", "forever", "forever"},
		{"request-retention", "none", "forever"},
		{"request-retention", "soon", ""},
		{"payload-retention", "3d", "3d"},
		{"payload-retention", "forever", "forever"},
		{"payload-retention", "soon", ""},
	} {
		r := sluice(t, env, "", setArgs(t, env, c.key, c.value)...)
		if c.want == "" {
			if r.code != 2 || !strings.Contains(r.err, c.key) {
				t.Errorf("settings set %s %q: exit %d %q, want 2 naming the key", c.key, c.value, r.code, r.err)
			}
			continue
		}
		if r.code != 0 {
			t.Errorf("settings set %s %q: exit %d %s", c.key, c.value, r.code, r.err)
			continue
		}
		if line := valueLine(r.out, c.key); line != c.want {
			t.Errorf("settings set %s %q: settings prints %q, want %q", c.key, c.value, line, c.want)
		}
	}
}

// valueLine is the value `sluice settings` prints for key.
func valueLine(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key {
			return f[1]
		}
	}
	return "(no line)"
}

// `sluice serve --port` takes 0 (any free port) as SLUICE_PORT does, and
// refuses what is not a port, naming the flag; a strategy the engine
// does not know stops serve, naming it.
func TestServeFlagSpellings(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"serve", "--port", "99999"}, "--port"},
		{[]string{"serve", "--port", "eighty"}, "--port"},
		{[]string{"serve", "--port", "0", "--strategy", "fastest"}, "fastest"},
		{[]string{"serve", "--port", "0", "--strategy", "Priority"}, "Priority"},
	} {
		env := baseEnv(t)
		if r := sluice(t, env, "", c.args...); r.code == 0 || !strings.Contains(r.err, c.says) {
			t.Errorf("%v: exit %d %q, want a refusal naming %s", c.args, r.code, r.err, c.says)
		}
	}
	env := baseEnv(t)
	env["SLUICE_STRATEGY"] = "fastest"
	if r := sluice(t, env, "", "serve", "--port", "0"); r.code == 0 || !strings.Contains(r.err, "fastest") {
		t.Errorf("SLUICE_STRATEGY=fastest: exit %d %q, want a refusal naming it", r.code, r.err)
	}
}

// Every variable of the registry (api.Setting.Env and DefaultEnv) has
// rows in envRows: a setting given a variable is read, and pinned, here.
func TestEveryRegistryVariableHasSpellings(t *testing.T) {
	for _, s := range api.Registry() {
		for _, name := range []string{s.Env, s.DefaultEnv} {
			if name != "" && !slices.ContainsFunc(envRows, func(r envRow) bool { return r.name == name }) {
				t.Errorf("%s (%s) has no rows in envRows", name, s.Key)
			}
		}
	}
}

// One parser for every surface: a spelling one of them took is taken by
// the others, with the same meaning.
func TestEachSurfaceTakesTheOthersSpellings(t *testing.T) {
	for _, r := range []envRow{
		{"SLUICE_RETENTION", "30", fmt.Sprint(30 * day), retention},        // the window's days
		{"SLUICE_RETENTION", "1.5", fmt.Sprint(36 * time.Hour), retention}, // fractions too
		{"SLUICE_RETENTION", "none", "-1ns", retention},                    // settings set's
		{"SLUICE_RETENTION", "Forever", "-1ns", retention},                 // the window's case
		{"SLUICE_RETENTION", " 14d ", fmt.Sprint(14 * day), retention},
		{"SLUICE_SESSION_TTL", "1d", fmt.Sprint(day), sessionTTL},                     // settings set's days
		{"SLUICE_ALLOWED_ORIGINS", "http://a.example/", "http://a.example/", origins}, // settings set's trailing slash
		{"SLUICE_ALLOWED_ORIGINS", "none", "", nil},
		{"SLUICE_PORT", " 9000 ", "9000", port},
		{"SLUICE_STRATEGY", " priority ", "priority", strategy},
	} {
		checkEnvRow(t, r)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	env := baseEnv(t)
	for _, c := range []struct{ key, value, want string }{
		{"request-retention", "30", "30d"},     // the window's days
		{"request-retention", "0", "forever"},  // SLUICE_RETENTION's zero
		{"request-retention", "0d", "forever"}, // and its days
		{"payload-retention", "1.5", "36h0m0s"},
		{"payload-retention", "Forever", "forever"},
	} {
		r := sluice(t, env, "", setArgs(t, env, c.key, c.value)...)
		if line := valueLine(r.out, c.key); r.code != 0 || line != c.want {
			t.Errorf("settings set %s %q: exit %d, prints %q, want %q (%s)", c.key, c.value, r.code, line, c.want, r.err)
		}
	}
}

// A bad variable is refused naming it, its value, and the spellings the
// setting takes.
func TestVariableErrorsSayWhatIsTaken(t *testing.T) {
	for _, c := range []struct{ name, value, says string }{
		{"SLUICE_RETENTION", "abc", "a number of days like 30d, a duration like 720h, or forever"},
		{"SLUICE_PORT", "http", "0 for any free one"},
		{"SLUICE_RETRY_ATTEMPTS", "-2", "0 or more"},
		{"SLUICE_STRATEGY", "fastest", "round-robin"},
		{"SLUICE_REQUIRE_KEY", "perhaps", "on or off"},
	} {
		env := map[string]string{"SLUICE_DATA_DIR": t.TempDir(), c.name: c.value}
		_, err := cli.LoadSettings(func(k string) string { return env[k] }, "test")
		if err == nil || !strings.HasPrefix(err.Error(), fmt.Sprintf("%s=%q: ", c.name, c.value)) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s=%q: %v, want it named with what it takes (%s)", c.name, c.value, err, c.says)
		}
	}
	// serve's flags are read by the same parsers.
	if r := sluice(t, baseEnv(t), "", "serve", "--strategy", "fastest"); r.code != 2 || !strings.Contains(r.err, "--strategy") || !strings.Contains(r.err, "round-robin") {
		t.Errorf("serve --strategy fastest: exit %d %q", r.code, r.err)
	}
}

// checkEnvRow reads r's variable alone through LoadSettings, as sluice
// does at start, and checks it is read as r wants (refused, naming the
// variable and its value, when r.want is empty).
func checkEnvRow(t *testing.T, r envRow) {
	t.Helper()
	env := map[string]string{"SLUICE_DATA_DIR": t.TempDir(), r.name: r.value}
	s, err := cli.LoadSettings(func(k string) string { return env[k] }, "test")
	switch {
	case r.want == "" && r.got != nil:
		if err == nil {
			t.Errorf("%s=%q accepted as %v", r.name, r.value, r.got(s))
		} else if !strings.Contains(err.Error(), r.name) || !strings.Contains(err.Error(), fmt.Sprintf("%q", r.value)) {
			t.Errorf("%s=%q: the error %q does not name the variable and its value", r.name, r.value, err)
		}
	case err != nil:
		t.Errorf("%s=%q refused: %v", r.name, r.value, err)
	case r.got == nil:
		if len(s.Proxy.AllowedOrigins) != 0 || s.Proxy.Fixed["allowed-origins"] != r.name {
			t.Errorf("%s=%q: origins %v, fixed %v", r.name, r.value, s.Proxy.AllowedOrigins, s.Proxy.Fixed)
		}
	default:
		if got := fmt.Sprint(r.got(s)); got != r.want {
			t.Errorf("%s=%q read as %s, want %s", r.name, r.value, got, r.want)
		}
	}
}
