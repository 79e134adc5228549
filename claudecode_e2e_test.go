package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/tray"
)

// The real Claude Code CLI against the real binary, run as its users run
// both: the app started as at login, an account added, the app quit from
// its tray and started again, the connection settings copied from the tray
// and pasted into a shell that runs `claude`.

// accountKey is the Console key of the test's account; the fake API serves
// only it.
const accountKey = "sk-ant-api03-E2EACCOUNT-0123456789"

// claudeBin is the Claude Code CLI that `make claude-code` installs
// (SLUICE_CLAUDE_BIN, as `make test` sets it). Without it the test skips,
// unless SLUICE_REQUIRE_CLAUDE_CODE=1 (CI), which makes it fail.
func claudeBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("SLUICE_CLAUDE_BIN")
	if bin == "" {
		if os.Getenv("SLUICE_REQUIRE_CLAUDE_CODE") == "1" {
			t.Fatal("SLUICE_REQUIRE_CLAUDE_CODE=1 but SLUICE_CLAUDE_BIN is not set")
		}
		t.Skip("SLUICE_CLAUDE_BIN not set: Claude Code not installed (make test installs it when npm is available)")
	}
	return bin
}

// shellEnv is the environment of the terminal a user pastes into: their
// HOME and PATH (with claude on it), none of the Anthropic variables, and
// Claude Code kept off every host but the one it is pointed at. dirs go on
// PATH after claude's.
func shellEnv(home, claude string, dirs ...string) []string {
	path := strings.Join(append([]string{filepath.Dir(claude)}, append(dirs, os.Getenv("PATH"))...), ":")
	return []string{"HOME=" + home, "PATH=" + path, "LANG=C.UTF-8",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_AUTOUPDATER=1"}
}

// pasteAndRun runs what was pasted, then `claude -p "say hi"`, in bash, as
// a user's terminal would, and returns what it printed.
func pasteAndRun(t *testing.T, pasted string, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", pasted+"\nclaude -p \"say hi\"\n")
	cmd.Env = env
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the pasted settings and claude -p: %v\n%s", err, out)
	}
	return string(out)
}

// runSluice runs `sluice ARGS` against the running owner with stdin and returns
// its standard output.
func runSluice(t *testing.T, bin string, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sluice %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// TestCopiedSettingsRunClaudeCodeAfterARestart is issue 17's "done means":
// restart the app, click "Copy connection settings", paste into a shell
// and run `claude`. The tray copies with its own clipboard program (no
// window opens for it), the key it hands out is the one from before the
// restart, `sluice env` prints the same lines, and both pastes get Claude
// Code an answer that Sluice journaled. Once that key is revoked, Copy
// hands out a new one, says so in a notification, and Claude Code is
// served with it.
func TestCopiedSettingsRunClaudeCodeAfterARestart(t *testing.T) {
	claude := claudeBin(t)
	testkit.NeedTools(t, "Xvfb", "dbus-daemon", "xclip", "bash")
	dir := t.TempDir()
	bin := buildSluice(t)
	fake := fakeapi.New(t)
	fake.RefuseUnknown = true
	fake.Script(accountKey, fakeapi.Behavior{})
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)
	notes := testkit.Notifications(t, bus)
	home := filepath.Join(dir, "home")
	port := strconv.Itoa(testkit.FreePort(t))
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + home, "SLUICE_DATA_DIR=" + filepath.Join(dir, "data"),
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=" + port, "SLUICE_UPSTREAM=" + fake.URL}

	// The first start, as at login (tray only); the user adds an account
	// and quits from the tray.
	first := startOwner(t, bin, env, "--background")
	item := trayRegistered(t, registered)
	runSluice(t, bin, env, accountKey+"\n", "accounts", "add-key", "work")
	clickUntil(t, item, tray.LabelQuit, func() bool {
		select {
		case <-first.exited:
			return true
		default:
			return false
		}
	})

	// The restart, then Copy from the tray (the watcher may still hold a
	// late registration of the first tray: the new one is on another
	// connection).
	owner := startOwner(t, bin, env, "--background")
	for old := item.Sender; item.Sender == old; {
		item = trayRegistered(t, registered)
	}
	clipboard := func() string {
		cmd := exec.Command("xclip", "-selection", "clipboard", "-o")
		cmd.Env = []string{"DISPLAY=" + display, "PATH=" + os.Getenv("PATH")}
		b, _ := cmd.Output()
		return string(b)
	}
	clickUntil(t, item, tray.LabelCopy, func() bool { return strings.Contains(clipboard(), "ANTHROPIC_AUTH_TOKEN=") })
	copied := clipboard()
	if w := children(owner.Process.Pid, "sluice-window"); len(w) != 0 {
		t.Errorf("Copy after a restart started window processes %v; the tray copies by itself", w)
	}
	want := "export ANTHROPIC_BASE_URL=http://127.0.0.1:" + port + "\nexport ANTHROPIC_AUTH_TOKEN=sk-sluice-"
	if !strings.HasPrefix(copied, want) || strings.Count(copied, "\n") != 2 {
		t.Fatalf("the clipboard holds %q, want the two export lines for port %s", redactKey(copied), port)
	}
	// The key is the one made at the first start, not a new one.
	var keys []api.KeyView
	if err := json.Unmarshal([]byte(runSluice(t, bin, env, "", "keys", "list", "--json")), &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Revoked {
		t.Fatalf("client keys after the restart: %+v, want the first one alone", keys)
	}
	if printed := runSluice(t, bin, env, "", "env"); printed != copied {
		t.Errorf("sluice env printed %q, the tray copied %q", redactKey(printed), redactKey(copied))
	}

	out := pasteAndRun(t, copied, shellEnv(home, claude))
	if !strings.Contains(out, "chunk chunk chunk") {
		t.Fatalf("claude did not print the fake API's answer:\n%s", out)
	}
	out = pasteAndRun(t, runSluice(t, bin, env, "", "env"), shellEnv(home, claude))
	if !strings.Contains(out, "chunk chunk chunk") {
		t.Fatalf("with `sluice env` pasted, claude did not print the fake API's answer:\n%s", out)
	}

	// Both answers came through Sluice: two Claude Code sessions in its
	// journal, served by the account with the key from before the restart.
	var entries []api.LogEntry
	sessions := map[string]bool{}
	testkit.WaitFor(t, "two Claude Code sessions in the journal", func() bool {
		if err := json.Unmarshal([]byte(runSluice(t, bin, env, "", "logs", "--json")), &entries); err != nil {
			t.Fatal(err)
		}
		clear(sessions)
		for _, e := range entries {
			if e.Path == "/v1/messages" && e.Status == 200 && e.Session != "" {
				sessions[e.Session] = true
			}
		}
		return len(sessions) == 2
	})
	for _, e := range entries {
		if e.Path != "/v1/messages" {
			continue
		}
		if e.ClientKeyID != keys[0].ID || e.AccountName != "work" || !strings.HasPrefix(e.UserAgent, "claude-cli/") {
			t.Errorf("journal row %s: key %q account %q agent %q; want key %s, account work, Claude Code",
				e.ID, e.ClientKeyID, e.AccountName, e.UserAgent, keys[0].ID)
		}
	}
	var upstream int
	for _, r := range fake.Received() {
		if r.Path == "/v1/messages" && r.Credential == accountKey {
			upstream++
		}
	}
	if upstream == 0 {
		t.Error("no Messages request reached the upstream with the account's key")
	}

	// The user revokes that key (issue 17's first item): Copy then hands
	// out a fresh one and says so, and Claude Code is served with it.
	runSluice(t, bin, env, "", "keys", "revoke", keys[0].Name)
	clickUntil(t, item, tray.LabelCopy, func() bool {
		c := clipboard()
		return c != copied && strings.Contains(c, "ANTHROPIC_AUTH_TOKEN=")
	})
	recopied := clipboard()
	if !strings.HasPrefix(recopied, want) {
		t.Fatalf("after revoking, the clipboard holds %q", redactKey(recopied))
	}
	testkit.WaitFor(t, "a notification of the new key", func() bool { return strings.Contains(notes.String(), "new key") })
	if printed := runSluice(t, bin, env, "", "env"); printed != recopied {
		t.Errorf("after revoking, sluice env printed %q, the tray copied %q", redactKey(printed), redactKey(recopied))
	}
	if out := pasteAndRun(t, recopied, shellEnv(home, claude)); !strings.Contains(out, "chunk chunk chunk") {
		t.Fatalf("with the new key, claude did not print the fake API's answer:\n%s", out)
	}
}

// redactKey hides a client key's secret in test output.
func redactKey(s string) string {
	if i := strings.Index(s, "sk-sluice-"); i >= 0 {
		end := i + len("sk-sluice-")
		for end < len(s) && s[end] != '\n' {
			end++
		}
		return s[:i] + "sk-sluice-[redacted]" + s[end:]
	}
	return s
}
