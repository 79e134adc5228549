package cli_test

import (
	"strings"
	"testing"
)

// The tray-window setting is set with the syntax `settings set --help`
// prints, kept, listed, and a value that names no window is refused.
func TestTrayWindowSetting(t *testing.T) {
	env := baseEnv(t)
	if out := mustRun(t, env, "", "settings").out; !strings.Contains(out, "tray-window") || !strings.Contains(out, "closest") {
		t.Fatalf("settings does not list tray-window closest by default:\n%s", out)
	}
	mustRun(t, env, "", setArgs(t, env, "tray-window", "7d")...)
	var st struct {
		TrayWindow string `json:"tray_window"`
	}
	jsonOf(t, env, &st, "settings")
	if st.TrayWindow != "7d" {
		t.Fatalf("tray_window %q after set 7d", st.TrayWindow)
	}
	if r := sluice(t, env, "", "settings", "set", "tray-window", "5 hours"); r.code != 2 {
		t.Fatalf("tray-window \"5 hours\": exit %d %q, want 2", r.code, r.err)
	}
	if !strings.Contains(mustRun(t, env, "", "settings", "--help").out, "tray-window") {
		t.Error("settings --help does not name tray-window")
	}
}
