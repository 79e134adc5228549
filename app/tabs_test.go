package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The Logs table reads the journal a page at a time: scrolling to the end
// reads the next page by cursor until the log is through, with no row
// twice.
func TestRealEngineLogsPageAsTheTableScrolls(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{})
	if _, err := e.svc.AddAPIKey(context.Background(), "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	const n = logPage*2 + 50
	for range n {
		if got := e.message(t); got != 200 {
			t.Fatalf("status %d", got)
		}
	}
	v, _, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "the journal to hold every request", func() bool { return countLogs(t, e) == n })
	v.tabs.SelectIndex(1)
	ui.waitFor(t, "the first page", func() bool { return len(v.logs.rows) == logPage })
	for len(v.logs.rows) < n {
		before := len(v.logs.rows)
		v.logs.table.ScrollToBottom()
		ui.waitFor(t, "the next page", func() bool { return len(v.logs.rows) > before })
	}
	seen := map[string]bool{}
	for _, r := range v.logs.rows {
		if seen[r.ID] {
			t.Fatalf("row %s twice", r.ID)
		}
		seen[r.ID] = true
	}
	if len(seen) != n || v.logs.next != "" {
		t.Errorf("%d distinct rows, next %q; want %d and the end", len(seen), v.logs.next, n)
	}
}

// countLogs counts the journal's requests the way the CLI would.
func countLogs(t *testing.T, e *realEngine) int {
	t.Helper()
	total := 0
	f := api.LogFilter{Limit: 1000}
	for {
		p, err := e.svc.Logs(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		total += len(p.Entries)
		if p.Next == "" {
			return total
		}
		f.Cursor = p.Next
	}
}

func TestClearLimitFromTheCard(t *testing.T) {
	eng := newFakeEngine(true, spare)
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the limited card", showing(w, "spare", "Clear limit"))
	test.Tap(v.cards["a2"].clear)
	ui.waitFor(t, "cleared", func() bool {
		accts, _ := eng.Accounts(context.Background())
		return accts[0].State == "ok"
	})
	ui.waitFor(t, "the button gone", func() bool { return v.cards["a2"].clear.Hidden })
}

func TestSetUpClaudeCodeButton(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	eng := newFakeEngine(true)
	eng.firstKey = "sk-sluice-first-0123456789"
	_, w, ui := shown(t, eng)
	ui.waitFor(t, "the key", showing(w, "Dismiss"))
	test.Tap(button(t, w, "Set up Claude Code"))
	ui.waitFor(t, "the undo offer", showing(w, "Undo"))
	raw, err := os.ReadFile(filepath.Join(home, ".claude", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Env map[string]string }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Env["ANTHROPIC_BASE_URL"] != "http://127.0.0.1:8788" || doc.Env["ANTHROPIC_AUTH_TOKEN"] != "sk-sluice-first-0123456789" {
		t.Errorf("env %v", doc.Env)
	}
	test.Tap(button(t, w, "Undo"))
	ui.waitFor(t, "undone", func() bool {
		_, err := os.Stat(filepath.Join(home, ".claude", "settings.json"))
		return os.IsNotExist(err)
	})
}

// `sluice window --tab logs` opens on Logs; an unknown name (cli refuses
// it first) leaves the window on Accounts.
func TestSelectTabByName(t *testing.T) {
	v, _, _ := shown(t, newFakeEngine(true))
	v.selectTab("nope")
	if got := v.tabs.Selected().Text; got != "Accounts" {
		t.Errorf("after an unknown name: %s", got)
	}
	for _, name := range []string{"logs", "usage", "settings", "accounts"} {
		v.selectTab(name)
		if got := v.tabs.Selected().Text; !strings.EqualFold(got, name) {
			t.Errorf("selectTab(%q) shows %s", name, got)
		}
	}
}
