package proxy_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// engineChildEnv, when set, makes this test binary act as a `sluice serve`:
// a real engine on a journal in the named directory (see runEngineChild).
const engineChildEnv = "SLUICE_TEST_ENGINE_DIR"

// startChildEngine opens a whole engine on dir (SQLite journal, file
// keyring) for a test process re-executed as the engine, adds the API-key
// accounts, starts the proxy and prints its client key and address for the
// parent ("KEY ...", "ADDR ...").
func startChildEngine(t *testing.T, dir string, cfg proxy.Config, accounts ...string) *proxy.Service {
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Upstream = os.Getenv("SLUICE_TEST_UPSTREAM")
	svc, err := proxy.New(context.Background(), cfg, proxy.Deps{Journal: db, Keyring: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range accounts {
		if _, err := svc.AddAPIKey(context.Background(), fmt.Sprint("acct", i), k); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, key, ok := svc.FirstKey()
	if !ok {
		t.Fatal("the engine made no first client key")
	}
	fmt.Println("KEY", key)
	fmt.Println("ADDR", svc.Addr())
	return svc
}

// readChildEngine reads what startChildEngine prints: the client key and
// the address, failing the test if no address comes. sc stays usable for
// what the child prints later.
func readChildEngine(t *testing.T, sc *bufio.Scanner) (addr, key string) {
	t.Helper()
	for sc.Scan() {
		if k, ok := strings.CutPrefix(sc.Text(), "KEY "); ok {
			key = k
		}
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			return a, key
		}
	}
	t.Fatal("engine child printed no address")
	return "", ""
}

// runEngineChild serves until killed.
func runEngineChild(t *testing.T, dir string) {
	startChildEngine(t, dir, proxy.Config{}, keyA)
	select {} // until SIGKILL
}

func TestKillDashNineUnderLoadKeepsJournalIntact(t *testing.T) {
	if dir := os.Getenv(engineChildEnv); dir != "" {
		runEngineChild(t, dir)
		return
	}
	fake := fakeapi.New(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDashNineUnderLoadKeepsJournalIntact$", "-test.v=false")
	cmd.Env = append(os.Environ(), engineChildEnv+"="+dir, "SLUICE_TEST_UPSTREAM="+fake.URL)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addr, key := readChildEngine(t, bufio.NewScanner(stdout))
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	// Load: 16 clients, streamed and not, until the kill.
	stop := make(chan struct{})
	var ok atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 16 {
		wg.Go(func() {
			body := messageBody
			if i%2 == 0 {
				body = strings.Replace(body, `"stream":true`, `"stream":false`, 1)
			}
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/messages", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Api-Key", key)
				resp, err := client.Do(req)
				if err != nil {
					continue // the kill cut it
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	// What a reader sees committed while the engine runs must survive.
	reader, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "sluice.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var committed []string
	testkit.WaitWithin(t, time.Minute, "records committed under load", func() bool {
		committed = committed[:0]
		rows, err := reader.Query("SELECT id FROM records")
		if err != nil {
			return false
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if rows.Scan(&id) == nil {
				committed = append(committed, id)
			}
		}
		return rows.Err() == nil && len(committed) >= 200
	})
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	reader.Close()

	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatalf("reopen after kill -9: %v", err)
	}
	defer db.Close()
	check, err := sql.Open("sqlite", filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var integrity string
	if err := check.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check = %q, %v", integrity, err)
	}
	have := map[string]bool{}
	recs, err := db.Records(context.Background(), journal.Query{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		have[r.ID] = true
	}
	for _, id := range committed {
		if !have[id] {
			t.Fatalf("committed record %s lost after kill -9 (%d committed, %d after reopen)", id, len(committed), len(recs))
		}
	}
	t.Logf("%d requests answered 200, %d records committed before the kill, %d after reopen", ok.Load(), len(committed), len(recs))
}
