package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestSetUpClaudeCodeKeepsOtherKeysAndUndoes(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	before := `{"model":"opus","env":{"FOO":"bar","ANTHROPIC_BASE_URL":"http://old"},"permissions":{"allow":["Bash"]}}`
	if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := SetUpClaudeCode(home, "http://127.0.0.1:8788", "sk-sluice-test")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Model       string            `json:"model"`
		Env         map[string]string `json:"env"`
		Permissions struct {
			Allow []string `json:"allow"`
		} `json:"permissions"`
	}
	raw, _ := os.ReadFile(path)
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Model != "opus" || doc.Env["FOO"] != "bar" || len(doc.Permissions.Allow) != 1 {
		t.Errorf("other keys changed: %s", raw)
	}
	if doc.Env["ANTHROPIC_BASE_URL"] != "http://127.0.0.1:8788" || doc.Env["ANTHROPIC_AUTH_TOKEN"] != "sk-sluice-test" {
		t.Errorf("env %v", doc.Env)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600: it holds a key", fi.Mode().Perm())
	}
	if b, err := os.ReadFile(s.Backup); err != nil || string(b) != before {
		t.Errorf("backup %q, %v", b, err)
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != before {
		t.Errorf("after undo %q, want %q", b, before)
	}
}

func TestSetUpClaudeCodeWithoutAFileAndUndo(t *testing.T) {
	home := t.TempDir()
	s, err := SetUpClaudeCode(home, "http://127.0.0.1:8788", "sk-sluice-test")
	if err != nil {
		t.Fatal(err)
	}
	if s.Backup != "" {
		t.Errorf("backup %q of no file", s.Backup)
	}
	if _, err := os.Stat(s.Path); err != nil {
		t.Fatal(err)
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path); !os.IsNotExist(err) {
		t.Errorf("file left after undo: %v", err)
	}
}

func TestSetUpClaudeCodeLeavesABrokenFileAlone(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".claude", "settings.json")
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	_ = os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := SetUpClaudeCode(home, "http://x", "k"); err == nil {
		t.Fatal("a broken file was overwritten")
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Errorf("file now %q", b)
	}
}
