package proxy

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// BenchmarkGuards measures what the guards in front of forward cost per
// request: the Host/Origin/path checks, key verification (HMAC-SHA-256 and
// a constant-time compare), the key's limits and scope, and the body
// budget. The handler behind them does nothing, so the figure is the
// guards' alone. docs/BENCHMARKS.md records it.
func BenchmarkGuards(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "kr"), FilePassword: "pw"})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(ctx, Config{Upstream: "http://127.0.0.1:1"}, Deps{Journal: db, Keyring: store})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(ctx)
	if _, err := s.AddAPIKey(ctx, "work", "sk-ant-api03-bench"); err != nil {
		b.Fatal(err)
	}
	_, plain, err := s.CreateKey(ctx, api.KeyOptions{Name: "plain"})
	if err != nil {
		b.Fatal(err)
	}
	_, limited, err := s.CreateKey(ctx, api.KeyOptions{Name: "limited", Accounts: []string{"work"}, RPM: 1 << 30, MaxConcurrent: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	_, capped, err := s.CreateKey(ctx, api.KeyOptions{Name: "capped", RPM: 1 << 30, MaxConcurrent: 1 << 20, DailyCostMicros: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("x", 4096)
	noop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	on := s.serve(s.guard(s.requireKey(s.limitBody(noop))))
	run := func(name string, h http.Handler, key string, require bool) {
		b.Run(name, func(b *testing.B) {
			s.keys.require.Store(require)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("POST", "http://127.0.0.1:8788/v1/messages", strings.NewReader(body))
				if key != "" {
					r.Header.Set("X-Api-Key", key)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
	run("no-guards", noop, "", false)
	run("guards-off", on, "", false)
	run("key", on, plain, true)
	run("key+rpm+concurrency+scope", on, limited, true)
	run("key+daily-cost-cap", on, capped, true)
}
