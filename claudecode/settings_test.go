package claudecode_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/sluice-proxy/sluice/claudecode"
)

const (
	url   = "http://127.0.0.1:8788"
	token = "sk-sluice-test"
)

func writeSettings(t *testing.T, home, content string, mode os.FileMode) string {
	t.Helper()
	path := claudecode.SettingsPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The user's own formatting and key order survive byte for byte: only the
// two values change (README promises no other key is touched).
func TestSetUpEditsInPlaceKeepingEveryOtherByte(t *testing.T) {
	home := t.TempDir()
	before := "{\n    \"zeta\": 1,\n    \"env\": {\n        \"FOO\": \"bar\",\n        \"ANTHROPIC_BASE_URL\": \"http://old\"\n    },\n  \"alpha\":   [1,2,   3]\n}\n"
	path := writeSettings(t, home, before, 0o600)
	s, err := claudecode.SetUp(home, url, token)
	if err != nil {
		t.Fatal(err)
	}
	got := read(t, path)
	// Outside the env object every byte stays; inside it, FOO stays.
	outside := func(doc string) string {
		env := gjson.Get(doc, "env")
		return doc[:env.Index] + "ENV" + doc[env.Index+len(env.Raw):]
	}
	if outside(got) != outside(before) {
		t.Fatalf("bytes outside env changed:\n got %q\nwant %q", outside(got), outside(before))
	}
	env := gjson.Get(got, "env")
	if env.Get("FOO").String() != "bar" || env.Get(claudecode.BaseURLVar).String() != url || env.Get(claudecode.TokenVar).String() != token {
		t.Fatalf("env now %s", env.Raw)
	}
	if !strings.HasPrefix(env.Raw, "{\n        \"FOO\": \"bar\",\n        \"ANTHROPIC_BASE_URL\": ") {
		t.Fatalf("env's own formatting changed: %s", env.Raw)
	}
	if read(t, s.Backup) != before {
		t.Fatal("backup differs from the original")
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if read(t, path) != before {
		t.Fatal("undo did not restore the file")
	}
}

func TestSetUpAddsEnvAndTightensMode(t *testing.T) {
	home := t.TempDir()
	path := writeSettings(t, home, `{"model":"opus"}`, 0o644)
	if _, err := claudecode.SetUp(home, url, token); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Model string            `json:"model"`
		Env   map[string]string `json:"env"`
	}
	if err := json.Unmarshal([]byte(read(t, path)), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Model != "opus" || doc.Env[claudecode.BaseURLVar] != url || doc.Env[claudecode.TokenVar] != token {
		t.Fatalf("got %+v", doc)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v: the file holds a key", fi.Mode().Perm())
	}
}

// The attack: a settings.json holding null (or garbage, or an env that is
// not an object) is an error, never a panic, and nothing is written.
func TestSetUpRefusesNullAndInvalidFiles(t *testing.T) {
	for _, content := range []string{"null", "{not json", "[1,2]", `"str"`, `{"env":null}`, `{"env":[1]}`} {
		home := t.TempDir()
		path := writeSettings(t, home, content, 0o600)
		if _, err := claudecode.SetUp(home, url, token); err == nil {
			t.Errorf("%s: no error", content)
		}
		if got := read(t, path); got != content {
			t.Errorf("%s: file now %q", content, got)
		}
		if m, _ := filepath.Glob(path + ".sluice-backup-*"); len(m) != 0 {
			t.Errorf("%s: backups written: %v", content, m)
		}
	}
}

// The attack: a symlinked settings.json (dotfiles managers do this) stays
// a symlink, and its target gets the change.
func TestSetUpWritesThroughASymlink(t *testing.T) {
	home := t.TempDir()
	real := filepath.Join(t.TempDir(), "dotfiles-settings.json")
	if err := os.WriteFile(real, []byte(`{"model":"opus"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := claudecode.SettingsPath(home)
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.Symlink(real, path); err != nil {
		t.Fatal(err)
	}
	s, err := claudecode.SetUp(home, url, token)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("settings.json is no longer a symlink: %v", err)
	}
	if !strings.Contains(read(t, real), token) {
		t.Fatal("the link's target was not written")
	}
	if err := s.Undo(); err != nil {
		t.Fatal(err)
	}
	if read(t, real) != `{"model":"opus"}` {
		t.Fatal("undo did not restore the target")
	}
	if fi, _ := os.Lstat(path); fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("undo replaced the symlink")
	}
}

// The attack: two set-ups in the same second must not overwrite the first
// backup (which holds the only copy of the original).
func TestTwoSetUpsKeepTheOriginalBackup(t *testing.T) {
	home := t.TempDir()
	before := `{"model":"opus"}`
	writeSettings(t, home, before, 0o600)
	first, err := claudecode.SetUp(home, url, token)
	if err != nil {
		t.Fatal(err)
	}
	second, err := claudecode.SetUp(home, url, "sk-sluice-other")
	if err != nil {
		t.Fatal(err)
	}
	if first.Backup == second.Backup {
		t.Fatalf("both set-ups backed up to %s", first.Backup)
	}
	if read(t, first.Backup) != before {
		t.Fatal("the original's backup was overwritten")
	}
	// --undo twice walks back to the original.
	for range 2 {
		last, err := claudecode.Last(home)
		if err != nil {
			t.Fatal(err)
		}
		if err := last.Undo(); err != nil {
			t.Fatal(err)
		}
	}
	if read(t, claudecode.SettingsPath(home)) != before {
		t.Fatal("two undos did not restore the original")
	}
	if _, err := claudecode.Last(home); err == nil {
		t.Fatal("a backup left after undoing both")
	}
}

func TestSetUpWithoutAFileAndUndo(t *testing.T) {
	home := t.TempDir()
	s, err := claudecode.SetUp(home, url, token)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, s.Path), token) {
		t.Fatal("no key written")
	}
	last, err := claudecode.Last(home)
	if err != nil {
		t.Fatal(err)
	}
	if err := last.Undo(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Path); !os.IsNotExist(err) {
		t.Fatalf("file left after undo: %v", err)
	}
}
