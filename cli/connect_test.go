package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `sluice env` hands out the connection key, the same one each time and
// across commands (each opens the data dir anew: a restart), and a new one
// once it is revoked.
func TestEnvPrintsTheConnectionKeyInEachShell(t *testing.T) {
	env := baseEnv(t)
	r := sluice(t, env, "", "env")
	key := clientKey.FindString(r.out)
	if r.code != 0 || key == "" || !strings.HasPrefix(r.out, "export ANTHROPIC_BASE_URL=http://127.0.0.1:") ||
		!strings.Contains(r.out, "export ANTHROPIC_AUTH_TOKEN="+key+"\n") {
		t.Fatalf("env: %d %q %q", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "env", "--shell", "fish")
	if r.code != 0 || !strings.Contains(r.out, "set -gx ANTHROPIC_AUTH_TOKEN "+key+"\n") {
		t.Fatalf("env --shell fish: %d %q %q; want the same key", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "env", "--shell", "powershell")
	if r.code != 0 || !strings.Contains(r.out, `$env:ANTHROPIC_AUTH_TOKEN = "`+key+`"`) {
		t.Fatalf("env --shell powershell: %d %q", r.code, r.out)
	}
	if r := sluice(t, env, "", "env", "--shell", "tcsh"); r.code == 0 {
		t.Fatal("an unknown shell was accepted")
	}
	if r := sluice(t, env, "", "keys", "revoke", "default"); r.code != 0 {
		t.Fatalf("revoke: %d %q", r.code, r.err)
	}
	r = sluice(t, env, "", "env")
	fresh := clientKey.FindString(r.out)
	if r.code != 0 || fresh == "" || fresh == key || !strings.Contains(r.err, "new client key") {
		t.Fatalf("env after revoking: %d %q %q; want a new key, said so", r.code, r.out, r.err)
	}
}

func TestSetupClaudeCodeAndUndo(t *testing.T) {
	env := baseEnv(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	path := filepath.Join(home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	before := "{\n  \"model\": \"opus\"\n}\n"
	if err := os.WriteFile(path, []byte(before), 0o600); err != nil {
		t.Fatal(err)
	}
	r := sluice(t, env, "", "setup", "claude-code")
	b, _ := os.ReadFile(path)
	key := clientKey.FindString(string(b))
	if r.code != 0 || key == "" || !strings.Contains(string(b), `"model": "opus"`) {
		t.Fatalf("setup: %d %q %q; file %q", r.code, r.out, r.err, b)
	}
	if e := sluice(t, env, "", "env"); !strings.Contains(e.out, key) {
		t.Fatal("setup and env hand out different keys")
	}
	r = sluice(t, env, "", "setup", "claude-code", "--undo")
	if b, _ := os.ReadFile(path); r.code != 0 || string(b) != before {
		t.Fatalf("undo: %d %q; file %q", r.code, r.err, b)
	}
}
