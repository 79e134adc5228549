package proxy_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestClaudeCode runs the real Claude Code CLI (npm @anthropic-ai/claude-code)
// against Sluice in front of the fake API. It needs SLUICE_CLAUDE_BIN (the
// Makefile sets it when npm could install Claude Code); CI sets
// SLUICE_REQUIRE_CLAUDE_CODE=1 so that a missing binary fails the run.
func TestClaudeCode(t *testing.T) {
	bin := os.Getenv("SLUICE_CLAUDE_BIN")
	if bin == "" {
		if os.Getenv("SLUICE_REQUIRE_CLAUDE_CODE") == "1" {
			t.Fatal("SLUICE_REQUIRE_CLAUDE_CODE=1 but SLUICE_CLAUDE_BIN is not set")
		}
		t.Skip("SLUICE_CLAUDE_BIN not set: Claude Code not installed (make test installs it when npm is available)")
	}
	for _, envVar := range []string{"ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"} {
		t.Run(envVar, func(t *testing.T) { claudeCodeAnswers(t, bin, envVar) })
	}
	// Without any key Claude Code does not call at all ("Not logged in");
	// with the user's own Anthropic key, or a stale Sluice key, it must show
	// Sluice's 401 that says what to set.
	for _, c := range []struct{ name, env, want string }{
		{"anthropic key", "ANTHROPIC_API_KEY=sk-ant-api03-USERSOWN-0123", "Anthropic credential"},
		{"wrong key", "ANTHROPIC_AUTH_TOKEN=sk-sluice-" + strings.Repeat("x", 43), "ANTHROPIC_AUTH_TOKEN=sk-sluice-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.addKey("work", accountKey)
			out, err := runClaude(t, bin, e.srv.URL, c.env)
			if err == nil {
				t.Fatalf("claude -p succeeded without a valid client key:\n%s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("Claude Code did not show Sluice's 401 message (%q):\n%s", c.want, out)
			}
			if n := len(e.fake.Received()); n != 0 {
				t.Errorf("%d requests reached the upstream without a valid client key", n)
			}
		})
	}
}

// runClaude runs `claude -p` against base with env set ("" for no key).
func runClaude(t *testing.T, bin, base, env string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), claudeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-p", "say hi", "--model", "claude-sonnet-4-5")
	home := t.TempDir()
	cmd.Env = []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
		"ANTHROPIC_BASE_URL=" + base,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
	}
	if env != "" {
		cmd.Env = append(cmd.Env, env)
	}
	return cmd.CombinedOutput()
}

// claudeCodeAnswers runs Claude Code with the client key in envVar.
func claudeCodeAnswers(t *testing.T, bin, envVar string) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	out, err := runClaude(t, bin, e.srv.URL, envVar+"="+e.key)
	if err != nil {
		t.Fatalf("claude -p failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "chunk chunk chunk") {
		t.Fatalf("Claude Code did not print the answer:\n%s", out)
	}
	var msgs int
	for _, r := range e.fake.Received() {
		if r.Credential != accountKey {
			t.Errorf("%s %s reached the upstream without the account's key", r.Method, r.Path)
		}
		if strings.Contains(strings.Join(r.Header.Values("X-Api-Key"), "")+r.Header.Get("Authorization"), e.key) {
			t.Errorf("client key reached the upstream")
		}
		if r.Path == "/v1/messages" {
			msgs++
			if !strings.HasPrefix(r.Header.Get("User-Agent"), "claude-cli/") {
				t.Errorf("Claude Code's user agent was not forwarded as sent: %q", r.Header.Get("User-Agent"))
			}
		}
	}
	if msgs == 0 {
		t.Fatal("no /v1/messages request reached the upstream")
	}
	if strings.Contains(e.logs.String(), "level=ERROR") {
		t.Errorf("errors logged during a Claude Code session:\n%s", e.logs.String())
	}
}

// claudeTimeout bounds one Claude Code run.
var claudeTimeout = 90 * time.Second
