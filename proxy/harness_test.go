package proxy_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// env is one Sluice engine in a temp dir, served over real loopback HTTP,
// in front of a fake Anthropic API.
type env struct {
	t       testing.TB
	dir     string
	fake    *fakeapi.Server
	db      *journal.DB
	store   *vault.Store
	svc     *proxy.Service
	srv     *httptest.Server
	logs    *testkit.Buffer
	clock   *testkit.Clock
	cfg     proxy.Config
	key     string // a client key: the first key, or one made for a reopened engine
	closing bool
}

// clientKeyFor returns a client key for requests to svc: the first key
// when svc created one, else a new one ("" when none can be made).
func clientKeyFor(t testing.TB, svc *proxy.Service) string {
	t.Helper()
	if _, secret, ok := svc.FirstKey(); ok {
		return secret
	}
	_, secret, err := svc.CreateKey(context.Background(), api.KeyOptions{Name: "test-" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		// Tests of an unreadable keyring get no key; their requests fail.
		t.Logf("no client key for this env: %v", err)
	}
	return secret
}

type envOption func(*proxy.Config, *proxy.Deps)

func withConfig(f func(*proxy.Config)) envOption {
	return func(c *proxy.Config, _ *proxy.Deps) { f(c) }
}

// newEnv builds an engine whose upstream is a fresh fake API.
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvAt(t, t.TempDir(), fakeapi.New(t), opts...)
}

func newEnvAt(t testing.TB, dir string, fake *fakeapi.Server, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, dir: dir, fake: fake, logs: &testkit.Buffer{}, clock: testkit.NewClock(time.Now())}
	// Per-minute resets on the engine's clock, as if both read the same time.
	fake.SetClock(e.clock.Now)
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	e.store = store
	cfg := proxy.Config{Upstream: fake.URL, Port: 0, RetryDelay: time.Millisecond, Version: "test"}
	deps := proxy.Deps{
		Journal: db, Keyring: store,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    e.clock.Now,
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	e.cfg = cfg
	svc, err := proxy.New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.key = clientKeyFor(t, svc)
	e.srv = httptest.NewServer(svc.Handler())
	t.Cleanup(e.close)
	return e
}

func (e *env) close() {
	if e.closing {
		return
	}
	e.closing = true
	e.srv.Close()
	if err := e.svc.Close(context.Background()); err != nil {
		e.t.Errorf("close service: %v", err)
	}
	if err := e.db.Close(); err != nil {
		e.t.Errorf("close journal: %v", err)
	}
}

// addKey adds an API-key account and returns its key.
func (e *env) addKey(name, key string) {
	e.t.Helper()
	if _, err := e.svc.AddAPIKey(context.Background(), name, key); err != nil {
		e.t.Fatalf("add %s: %v", name, err)
	}
}

// do sends a request to the proxy with the env's client key, unless header
// sets a credential of its own.
func (e *env) do(method, path, body string, header map[string]string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	e.authorize(req)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Authorization") != "" {
		req.Header.Del("X-Api-Key")
	}
	// A bounded client: a proxy that buffers a paced stream makes the test
	// fail instead of hang.
	resp, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// authorize gives req the env's client key.
func (e *env) authorize(req *http.Request) {
	req.Header.Set("X-Api-Key", e.key)
}

// grepDataDir fails the test if secret appears in any file under the data
// dir other than the keyring's encrypted items.
func (e *env) grepDataDir(secrets ...string) {
	e.t.Helper()
	err := filepath.Walk(e.dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				e.t.Errorf("secret found in %s", path)
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fakeBehaviorStatuses(statuses ...int) fakeapi.Behavior {
	return fakeapi.Behavior{Statuses: statuses}
}
