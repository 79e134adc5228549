package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// The engine the window is written against, and the readers it finds on it.
var (
	_ Engine = control.Local{}
)

// realEngine is a whole engine in a temp dir (journal, file keyring) in
// front of a fake Anthropic API that refuses keys it was not told about.
type realEngine struct {
	svc  *proxy.Service
	fake *fakeapi.Server
	key  string // the client key created on first start, as a client sends it
}

func newRealEngine(t *testing.T) *realEngine {
	t.Helper()
	return newRealEngineAt(t, time.Now)
}

// newRealEngineAt is newRealEngine on the clock now.
func newRealEngineAt(t *testing.T, now func() time.Time) *realEngine {
	t.Helper()
	dir := engineDir(t)
	fake := fakeapi.New(t)
	fake.RefuseUnknown = true
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := proxy.New(context.Background(),
		proxy.Config{Upstream: fake.URL, Port: 0, RetryDelay: time.Millisecond, Version: "test", Keyring: store.Backend()},
		proxy.Deps{Journal: db, Keyring: store, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = svc.Close(context.Background())
		_ = db.Close()
	})
	if err := svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Clients need a key; the product hands out the one it made on first
	// start, so the tests use that one too.
	_, secret, ok := svc.FirstKey()
	if !ok {
		t.Fatal("no first client key on a fresh data dir")
	}
	return &realEngine{svc: svc, fake: fake, key: secret}
}

// engineDir is a temporary data dir removed at the end of the test. Not
// t.TempDir: a window action still finishing in the background when the
// test ends (a keyring read after a removal) may recreate the file
// keyring's folder while the directory is being removed, which t.TempDir
// reports as a failure; here the removal is retried until it holds.
func engineDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sluice-app-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := os.RemoveAll(dir)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove the test's data dir: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond) // a background write finishing
		}
	})
	return dir
}

// message sends one Messages request through the proxy and returns its status.
func (e *realEngine) message(t *testing.T) int {
	t.Helper()
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", "http://"+e.svc.Addr()+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", e.key)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// addKeyThroughDialog fills in the Add account dialog for an API key.
func addKeyThroughDialog(t *testing.T, w fyne.Window, ui *uiLoop, name, key string) {
	t.Helper()
	addDialog(t, w, ui, name, choiceKey)
	entry, ok := find(w, func(e *escEntry) bool { return e.Password })
	if !ok {
		t.Fatal("no password entry for the key")
	}
	test.Type(entry, key)
	test.Tap(button(t, w, "Add"))
}

func TestRealEngineAddKeyAndRefuseABadOne(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-good", fakeapi.Behavior{})
	_, w, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "empty state", showing(w, "No accounts yet"))

	addKeyThroughDialog(t, w, ui, "typo", "sk-ant-mistyped")
	ui.waitFor(t, "the refusal", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "The API refused this key") })
	})
	if accts, _ := e.svc.Accounts(context.Background()); len(accts) != 0 {
		t.Fatalf("a refused key was saved: %+v", accts)
	}
	// Editing clears the refusal: it was about what was typed.
	entry, _ := find(w, func(e *escEntry) bool { return e.Password })
	test.Type(entry, "x")
	if slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "The API refused") }) {
		t.Error("the refusal stays after an edit")
	}
	test.Tap(button(t, w, "Cancel"))

	addKeyThroughDialog(t, w, ui, "work", "sk-ant-good")
	ui.waitFor(t, "account card", showing(w, "work", "Console API key", "ok", "Requests / min", "Input tokens / min", "Output tokens / min"))
	if got := e.message(t); got != http.StatusOK {
		t.Fatalf("request through the added account: %d", got)
	}
}

func TestRealEngineLimitTurnsTheBarAndState(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{Unified: true, LimitAfter: 1, Utilization: 0.5, ResetAt: time.Now().Add(2*time.Hour + 14*time.Minute)})
	if _, err := e.svc.AddAPIKey(context.Background(), "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	v, w, ui := shown(t, control.NewLocal(e.svc))
	var mu sync.Mutex // notifications go out at the end of a burst, from its timer
	var sent []string
	v.notify = func(title, _ string) { mu.Lock(); defer mu.Unlock(); sent = append(sent, title) }
	ui.waitFor(t, "card", showing(w, "a", "ok"))

	e.message(t) // served, 50% used
	ui.waitFor(t, "5-hour at 50%", showing(w, "5-hour", "50%"))
	// A key shows per-minute bars until the answer brought (scripted)
	// unified windows; the 5-hour bar exists from then on.
	bar := v.cards[v.rows[0].ID].bars["5-hour"].bar
	if bar.fill.FillColor != levelLow.color() || bar.frac != 0.5 {
		t.Errorf("bar at 50%%: colour %v, fraction %v", bar.fill.FillColor, bar.frac)
	}
	e.message(t) // refused: limited
	ui.waitFor(t, "limited", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.HasPrefix(s, "limited until ") })
	})
	ui.waitFor(t, "red bar", func() bool { return bar.fill.FillColor == levelFull.color() })
	// One bubble for the burst: a limited, and so every account.
	ui.waitFor(t, "the notification", func() bool { mu.Lock(); defer mu.Unlock(); return len(sent) > 0 })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(sent, []string{"Sluice: every account is limited"}) {
		t.Errorf("notifications %q, want one: every account limited", sent)
	}
}

func TestRealEngineLogsShowARequest(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{})
	if _, err := e.svc.AddAPIKey(context.Background(), "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(1)
	ui.waitFor(t, "empty log", showing(w, "No requests yet. Point a client at Sluice and they appear here."))
	if got := e.message(t); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	ui.waitFor(t, "the request in the table", showing(w, "Time", "Account", "a", "claude-sonnet-4-5", "200"))
	row := v.logs.rows[0]
	if row.AccountName != "a" || row.Status != 200 || logCell(row, 2) != "claude-sonnet-4-5" {
		t.Errorf("log row %+v", row)
	}
	if rows, cols := v.logs.table.Length(); rows != 1 || cols != len(logColumns) {
		t.Errorf("table %dx%d, want 1x%d", rows, cols, len(logColumns))
	}
	v.logs.table.Select(widget.TableCellID{Row: 0, Col: 1})
	if !strings.Contains(v.logs.detail.Text, "POST /v1/messages  ·  account a") {
		t.Errorf("detail pane %q", v.logs.detail.Text)
	}
	// The filter narrows the rows to those matching, in the engine.
	v.logs.model.SetText("no such model")
	ui.waitFor(t, "no rows left", func() bool { n, _ := v.logs.table.Length(); return n == 0 })
	ui.waitFor(t, "the filter's empty state", showing(w, "No requests match these filters."))
	v.logs.model.SetText("claude-sonnet-4-5")
	ui.waitFor(t, "the row back", func() bool { n, _ := v.logs.table.Length(); return n == 1 })
}

func TestRealEngineReplaceKeyAndRemoveFromTheRow(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-new", fakeapi.Behavior{})
	if _, err := e.svc.AddAPIKey(context.Background(), "a", "sk-ant-revoked"); err != nil {
		t.Fatal(err)
	}
	_, w, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "card", showing(w, "a", "Replace key"))
	if got := e.message(t); got == http.StatusOK {
		t.Fatal("the revoked key worked")
	}

	test.Tap(button(t, w, "Replace key"))
	ui.waitFor(t, "replace dialog", showing(w, "New API key"))
	entry, _ := find(w, func(e *escEntry) bool { return e.Password })
	test.Type(entry, "sk-ant-new")
	test.Tap(button(t, w, "Replace"))
	ui.waitFor(t, "dialog closed", func() bool { return len(w.Canvas().Overlays().List()) == 0 })
	deadline := time.Now().Add(5 * time.Second)
	for e.message(t) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("requests still fail after replacing the key")
		}
		ui.settle()
	}

	test.Tap(button(t, w, "Remove"))
	ui.waitFor(t, "confirmation", showing(w, "Remove a"))
	test.Tap(button(t, w, "Remove")) // the dialog's, topmost
	ui.waitFor(t, "empty state", showing(w, "No accounts yet"))
	if accts, _ := e.svc.Accounts(context.Background()); len(accts) != 0 {
		t.Fatalf("accounts after remove: %+v", accts)
	}
}
