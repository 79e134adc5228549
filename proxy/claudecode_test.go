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
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-p", "say hi", "--model", "claude-sonnet-4-5")
	home := t.TempDir()
	cmd.Env = []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
		"ANTHROPIC_BASE_URL=" + e.srv.URL,
		"ANTHROPIC_API_KEY=" + clientKey,
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"DISABLE_AUTOUPDATER=1",
	}
	out, err := cmd.CombinedOutput()
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
		if strings.Contains(strings.Join(r.Header.Values("X-Api-Key"), ""), "CLIENTSECRET") {
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
