package tray

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// countingEngine is the real engine's in-process client that counts the
// reads the tray makes of it: with events that carry what changed, an
// account's change reaches the menu without one.
type countingEngine struct {
	Engine
	snapshots atomic.Int64
}

func (c *countingEngine) Snapshot(ctx context.Context) (api.Snapshot, error) {
	c.snapshots.Add(1)
	return c.Engine.Snapshot(ctx)
}

// realService is a whole engine in a temp dir (journal, file keyring) in
// front of the fake Anthropic API, with its proxy on; key is the client
// key it made on first start.
func realService(t *testing.T) (svc *proxy.Service, fake *fakeapi.Server, key string) {
	t.Helper()
	dir := t.TempDir()
	fake = fakeapi.New(t)
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = proxy.New(context.Background(),
		proxy.Config{Upstream: fake.URL, Port: 0, RetryDelay: time.Millisecond, Version: "test", Keyring: store.Backend()},
		proxy.Deps{Journal: db, Keyring: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
	_, key, _ = svc.FirstKey()
	return svc, fake, key
}

// send makes one Messages request through the proxy, as a client would.
func send(t *testing.T, addr, key string) {
	t.Helper()
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("request: %s", resp.Status)
	}
}

// TestAccountEventsNeedNoRead drives the real engine: requests whose
// answers raise the 5-hour window, a pause and a resume, and a change of
// the tray-window setting, and checks that each reaches the menu from the
// event alone, with no Snapshot call per event.
func TestAccountEventsNeedNoRead(t *testing.T) {
	test.NewTempApp(t)
	svc, fake, key := realService(t)
	reset := time.Now().Add(2*time.Hour + 30*time.Minute)
	fake.Script("sk-ant-a", fakeapi.Behavior{Unified: true, Utilization: 0.10, UtilizationStep: 0.10, ResetAt: reset})
	ctx := context.Background()
	if _, err := svc.AddAPIKey(ctx, "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	// The events the engine published while the test ran, by kind.
	events, stop := svc.Subscribe()
	defer stop()
	var published [8]atomic.Int64 // account-state, accounts, settings
	go func() {
		for e := range events {
			switch e.Kind {
			case api.EventAccountState:
				published[0].Add(1)
			case api.EventAccounts:
				published[1].Add(1)
			case api.EventSettings:
				published[2].Add(1)
			}
		}
	}()

	eng := &countingEngine{Engine: control.NewLocal(svc)}
	host := &fakeHost{}
	tr := install(host, eng, Options{Debounce: 10 * time.Millisecond}, hooks{onTapped: func(func()) {}, setTooltip: func(string) {}})
	t.Cleanup(tr.Close)
	line := func(want string) func() bool {
		return func() bool {
			labels, _, _, _ := host.snapshot()
			return slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, want) })
		}
	}
	testkit.WaitFor(t, "the account's line", line("a · "))
	before := eng.snapshots.Load()

	for i := 2; i <= 6; i++ {
		send(t, svc.Addr(), key)
		want := "a · 5h " + []string{"", "", "20", "30", "40", "50", "60"}[i] + " %"
		testkit.WaitFor(t, want, line(want))
	}
	if err := control.NewLocal(svc).PauseAccount(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "paused", line("a · 5h 60 % · paused"))
	if err := control.NewLocal(svc).ResumeAccount(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "resumed", line("a · 5h 60 % · resets"))
	ps := svc.ProxySettings()
	ps.TrayWindow = "7d"
	if err := svc.UpdateProxySettings(ctx, ps); err != nil {
		t.Fatal(err)
	}
	// The fake's unified answers name a weekly window too: once the
	// settings event is applied the line shows it, with no read.
	testkit.WaitFor(t, "the settings event", func() bool { return published[2].Load() > 0 })
	testkit.WaitFor(t, "the account line on the weekly window after the settings change", line("a · 7d "))

	reads := eng.snapshots.Load() - before
	n := published[0].Load() + published[1].Load() + published[2].Load()
	t.Logf("%d account and settings events (%d account-state, %d accounts, %d settings): %d Snapshot calls by the tray, %.2f per event",
		n, published[0].Load(), published[1].Load(), published[2].Load(), reads, float64(reads)/float64(max(n, 1)))
	if reads != 0 {
		t.Errorf("the tray read the engine %d times for %d events that carried what changed", reads, n)
	}
}

// A gap in the events' order (the engine dropped some for a tray that
// fell behind) reads one Snapshot: what the dropped events carried is
// not made good by the next.
func TestAGapInTheEventsReadsOnce(t *testing.T) {
	in := setup(t, true, Options{})
	a := api.AccountView{ID: "1", Name: "a", State: api.StateOK}
	in.eng.Mu.Lock()
	in.eng.Accts = []api.AccountView{a}
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventAccounts, Seq: 1, Accounts: []api.AccountView{a}})
	testkit.WaitFor(t, "the account's line", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return slices.Contains(labels, "a · ok")
	})
	in.eng.Mu.Lock()
	reads := in.eng.SnapshotReads
	in.eng.Accts[0].State = api.StatePaused // told by the event that was dropped
	in.eng.Mu.Unlock()
	in.eng.PublishEvent(api.Event{Kind: api.EventRequest, Seq: 3})
	testkit.WaitFor(t, "the paused line read after the gap", func() bool {
		labels, _, _, _ := in.host.snapshot()
		return slices.Contains(labels, "a · paused")
	})
	in.eng.Mu.Lock()
	defer in.eng.Mu.Unlock()
	if in.eng.SnapshotReads != reads+1 {
		t.Errorf("%d reads after the gap, want 1", in.eng.SnapshotReads-reads)
	}
}
