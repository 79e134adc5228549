package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// Claude Code runs its statusLine command only in its interactive screen,
// so this test drives the real `claude` in a terminal: tmux gives it one
// and renders the screen as a user sees it (Claude Code redraws only the
// cells that changed, so the raw byte stream is no place to read text).

// tmuxScreen is a claude session in a private tmux server.
type tmuxScreen struct {
	socket string
}

// startScreen runs command in a new tmux server on a 150x40 terminal, in
// dir with env, and ends the server at cleanup.
func startScreen(t *testing.T, dir string, env []string, command string) tmuxScreen {
	t.Helper()
	s := tmuxScreen{socket: filepath.Join(t.TempDir(), "tmux.sock")}
	cmd := exec.Command("tmux", "-S", s.socket, "-f", "/dev/null", "new-session", "-d", "-x", "150", "-y", "40", "-c", dir, command)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	out, err := exec.Command("tmux", "-S", s.socket, "display-message", "-p", "#{pane_pid}").Output()
	if err != nil {
		t.Fatalf("tmux display-message: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("tmux's pane pid %q: %v", out, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the screen:\n%s", s.text())
		}
		_ = exec.Command("tmux", "-S", s.socket, "kill-server").Run()
		// The command ends on the hang-up after tmux has; until it has,
		// it may still write in the test's temporary HOME.
		testkit.WaitFor(t, "the command in tmux to end", func() bool { return syscall.Kill(pid, 0) != nil })
	})
	return s
}

// text is the screen as drawn now.
func (s tmuxScreen) text() string {
	out, _ := exec.Command("tmux", "-S", s.socket, "capture-pane", "-p").Output()
	return string(out)
}

// typeLine types line and presses Enter.
func (s tmuxScreen) typeLine(t *testing.T, line string) {
	t.Helper()
	for _, keys := range [][]string{{"-l", line}, {"Enter"}} {
		if out, err := exec.Command("tmux", append([]string{"-S", s.socket, "send-keys", "-t", "0"}, keys...)...).CombinedOutput(); err != nil {
			t.Fatalf("tmux send-keys: %v\n%s", err, out)
		}
	}
}

// needTool fails the test when tool is missing and CI requires the
// end-to-end tests to run, and skips it otherwise.
func needTool(t *testing.T, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("SLUICE_REQUIRE_DESKTOP") == "1" || os.Getenv("SLUICE_REQUIRE_CLAUDE_CODE") == "1" {
			t.Fatalf("%s not installed", tool)
		}
		t.Skipf("%s not installed", tool)
	}
}

// sessionShareRE finds the session's share in the status line, e.g.
// "work · 5h 14% (this session 3 %)".
var sessionShareRE = regexp.MustCompile(`work · 5h (\d+)% \(this session (\d+) %\)`)

// TestStatuslineShowsTheSessionsShareInClaudeCode is issue 18's "done
// means": the statusline shows the session's share in the real Claude
// Code footer. A user runs `sluice serve`, signs in a subscription, runs
// `sluice setup claude-code` and sets the statusLine as the README says;
// the account's 5-hour window rises 1 % per request. After a prompt in claude's interactive screen
// the footer shows the account's window and the session's share of it,
// the same share the journal holds for that session.
func TestStatuslineShowsTheSessionsShareInClaudeCode(t *testing.T) {
	claude := claudeBin(t)
	needTool(t, "tmux")
	dir := t.TempDir()
	bin := buildSluice(t)
	tools := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(tools, "sluice-statusline"), "./cmd/sluice-statusline")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sluice-statusline: %v\n%s", err, out)
	}
	fake := fakeapi.New(t)
	auth := oauthtest.New(t)
	ep := auth.Endpoints()

	// Sluice and Claude Code share the user's HOME: the data dir is the
	// default one under it, where sluice-statusline looks too.
	home := filepath.Join(dir, "home")
	port := strconv.Itoa(testkit.FreePort(t))
	env := []string{"PATH=" + tools + ":" + os.Getenv("PATH"), "LANG=en_US.UTF-8", "HOME=" + home,
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus",
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=" + port, "SLUICE_UPSTREAM=" + fake.URL,
		"SLUICE_USAGE_URL=" + fake.URL + "/api/oauth/usage", "SLUICE_OAUTH_AUTHORIZE_URL=" + ep.MaxAuthorizeURL,
		"SLUICE_OAUTH_TOKEN_URL=" + ep.TokenURL, "SLUICE_OAUTH_MANUAL_REDIRECT_URL=" + ep.ManualRedirectURL}
	serve := exec.Command(bin, "serve")
	serve.Env = env
	var serveOut testkit.Buffer
	serve.Stdout, serve.Stderr = &serveOut, &serveOut
	serve.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
		if t.Failed() {
			t.Logf("sluice serve:\n%s", serveOut.String())
		}
	})
	testkit.WaitFor(t, "sluice serve's control socket", func() bool { return strings.Contains(serveOut.String(), "sluice.sock") })
	signIn(t, bin, env, "work")

	// The subscription's 5-hour window: 10 %, +1 % per request. Two
	// requests before Claude Code's: the first tells the credential to
	// script, the second is the ledger's baseline for the scripted window
	// (a first observation has nothing to compare with).
	token := strings.TrimPrefix(strings.Split(runSluice(t, bin, env, "", "env"), "\n")[1], "export ANTHROPIC_AUTH_TOKEN=")
	if status := send("127.0.0.1:"+port, token); status != http.StatusOK {
		t.Fatalf("a request through the proxy got %d", status)
	}
	recv := fake.Received()
	fake.Script(recv[len(recv)-1].Credential, fakeapi.Behavior{Utilization: 0.10, UtilizationStep: 0.01, ResetAt: time.Now().Add(3 * time.Hour)})
	if status := send("127.0.0.1:"+port, token); status != http.StatusOK {
		t.Fatalf("a request through the proxy got %d", status)
	}

	// Claude Code as a user has it: onboarding done and this folder
	// trusted (~/.claude.json), the status line as the README gives it,
	// then `sluice setup claude-code` for the address and key.
	project := filepath.Join(dir, "project")
	writeJSON(t, filepath.Join(home, ".claude.json"), map[string]any{
		"hasCompletedOnboarding": true, "theme": "dark",
		"projects": map[string]any{project: map[string]any{"hasTrustDialogAccepted": true, "hasCompletedProjectOnboarding": true}},
	})
	writeJSON(t, filepath.Join(home, ".claude", "settings.json"), map[string]any{
		"statusLine": map[string]any{"type": "command", "command": "sluice-statusline"},
	})
	if err := os.MkdirAll(project, 0o755); err != nil {
		t.Fatal(err)
	}
	runSluice(t, bin, env, "", "setup", "claude-code")

	ccEnv := append(shellEnv(home, claude, tools), "TERM=xterm-256color")
	screen := startScreen(t, project, ccEnv, "claude")
	testkit.WaitFor(t, "Claude Code's prompt", func() bool { return strings.Contains(screen.text(), "❯") })
	screen.typeLine(t, "say hi")

	// The footer shows the session's share; the journal has the same
	// session with the same share, rounded as the line rounds it.
	var footer []string
	var share float64
	var session string
	deadline := time.Now().Add(45 * time.Second)
	for {
		text := screen.text()
		footer = sessionShareRE.FindStringSubmatch(text)
		if footer != nil && strings.Contains(text, "chunk chunk chunk") {
			session, share = journalShare(t, bin, env)
			if n, _ := strconv.Atoi(footer[2]); session != "" && n == int(math.Round(share*100)) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the footer never showed the session's share as journaled (footer %q, session %q with %.4f of the window)", footer, session, share)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("footer %q; the journal: session %s, %.4f of the 5-hour window", footer[0], session, share)
	if share <= 0 {
		t.Errorf("the journal gives Claude Code's session %q no share of the window", session)
	}
	if n, _ := strconv.Atoi(footer[1]); n < 11 {
		t.Errorf("the footer shows the window at %s %%, want it past the 10 %% it started at", footer[1])
	}
}

// journalShare reads `sluice usage --by session --json` and returns the
// one Claude Code session and its share of the 5-hour window.
func journalShare(t *testing.T, bin string, env []string) (string, float64) {
	t.Helper()
	var rep api.UsageReport
	if err := json.Unmarshal([]byte(runSluice(t, bin, env, "", "usage", "--by", "session", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.Session != "" {
			return r.Session, r.WindowShare["5h"]
		}
	}
	return "", 0
}

// writeJSON writes v as JSON to path, making its directory.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}

// signIn adds the subscription account name as a user on this machine
// does: `sluice accounts login NAME --no-browser` prints the sign-in URL,
// the user opens it, the sign-in page (the fake authorize endpoint, which
// approves at once) redirects to the engine's loopback callback.
func signIn(t *testing.T, bin string, env []string, name string) {
	t.Helper()
	cmd := exec.Command(bin, "accounts", "login", name, "--no-browser")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out testkit.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var printed []string
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		printed = append(printed, lines.Text())
		if u := strings.TrimSpace(lines.Text()); strings.HasPrefix(u, "http") {
			resp, err := http.Get(u)
			if err != nil {
				t.Fatalf("open the sign-in URL: %v", err)
			}
			resp.Body.Close()
		}
	}
	if err := cmd.Wait(); err != nil || !strings.HasPrefix(out.String(), "Added "+name) {
		t.Fatalf("sluice accounts login: %v %q\n%s", err, out.String(), strings.Join(printed, "\n"))
	}
}
