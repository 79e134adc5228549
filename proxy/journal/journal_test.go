package journal

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// newDB opens a fresh journal in a temp dir, closed when the test ends.
func newDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.w.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	dir := filepath.Join(t.TempDir(), "odd ?#% name", "sluice")
	path := filepath.Join(dir, "journal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A write makes sure the -wal and -shm files exist.
	if err := db.SetSetting(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	var mode string
	if err := db.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenTightensExistingFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes")
	}
	path := filepath.Join(t.TempDir(), "journal.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestMigrateForwardFromEveryVersion(t *testing.T) {
	ctx := context.Background()
	// Records written before the rollups existed must be backfilled into
	// them, from every version that had records (4) up to the one that
	// added rollups; found by content, so a renumbering merge keeps it right.
	rollups := slices.IndexFunc(migrations, func(m string) bool { return strings.Contains(m, "CREATE TABLE rollups") })
	if rollups < 0 {
		t.Fatal("no migration creates the rollups")
	}
	for k := 0; k < len(migrations); k++ {
		path := filepath.Join(t.TempDir(), "journal.db")
		old, err := open(path, migrations[:k])
		if err != nil {
			t.Fatalf("version %d: %v", k, err)
		}
		if got := userVersion(t, old); got != k {
			t.Fatalf("old database at version %d, want %d", got, k)
		}
		if k >= 1 {
			if err := old.InsertAccount(ctx, Account{ID: "a1", Name: "work", Kind: "oauth"}); err != nil {
				t.Fatal(err)
			}
		}
		if k >= 4 && k <= rollups { // a record as the old schema had it, before rollups
			if _, err := old.w.Exec(`INSERT INTO records (id, time, account_id, client_key_id, model, status, input_tokens, cost_micros)
				VALUES ('old', 1700000000000, 'a1', 'k1', 'opus', 500, 7, 9)`); err != nil {
				t.Fatal(err)
			}
		}
		old.Close()

		db, err := Open(path)
		if err != nil {
			t.Fatalf("migrating from %d: %v", k, err)
		}
		if got := userVersion(t, db); got != len(migrations) {
			t.Errorf("from %d: version %d, want %d", k, got, len(migrations))
		}
		if k >= 1 {
			if _, err := db.AccountByName(ctx, "work"); err != nil {
				t.Errorf("from %d: account lost: %v", k, err)
			}
		}
		var n int
		db.r.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_%'`).Scan(&n)
		if n != 3 {
			t.Errorf("from %d: %d record indices, want 3", k, n)
		}
		if k >= 4 && k <= rollups {
			tot, err := db.Totals(ctx, "a1", time.Time{})
			if err != nil || tot != (Totals{Requests: 1, Errors: 1, InputTokens: 7, CostMicros: 9}) {
				t.Errorf("from %d: rollups not backfilled: %+v, %v", k, tot, err)
			}
			if days, err := db.Usage(ctx, UsageQuery{By: []string{ByDay}}); err != nil || len(days) != 1 || days[0].Requests != 1 {
				t.Errorf("from %d: day totals not backfilled: %+v, %v", k, days, err)
			}
			// An open range is whole 16-day blocks: read from rollup_blocks.
			if ms, err := db.Usage(ctx, UsageQuery{By: []string{ByModel}}); err != nil || len(ms) != 1 || ms[0].Requests != 1 || ms[0].Model != "opus" {
				t.Errorf("from %d: block totals not backfilled: %+v, %v", k, ms, err)
			}
			if c, err := db.KeyCost(ctx, "k1", time.UnixMilli(1700000000000)); err != nil || c != 9 {
				t.Errorf("from %d: key spend not backfilled: %d, %v", k, c, err)
			}
			r, err := db.Record(ctx, "old")
			if err != nil || r.Session != "" || r.Model != "opus" {
				t.Errorf("from %d: old record reads back as %+v, %v", k, r, err)
			}
		}
		var av int
		if err := db.w.QueryRow("PRAGMA auto_vacuum").Scan(&av); err != nil || av != 2 {
			t.Errorf("from %d: auto_vacuum = %d, %v; want 2 (incremental)", k, av, err)
		}
		db.Close()
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InsertAccount(ctx, Account{ID: "a1", Name: "work", Kind: "api-key"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for i := 0; i < 2; i++ {
		db, err = Open(path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if got := userVersion(t, db); got != len(migrations) {
			t.Errorf("version %d, want %d", got, len(migrations))
		}
		if err := migrate(ctx, db.w, migrations); err != nil {
			t.Errorf("migrate again: %v", err)
		}
		accts, err := db.Accounts(ctx)
		if err != nil || len(accts) != 1 {
			t.Errorf("accounts = %v, %v; want the one inserted", accts, err)
		}
		db.Close()
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(path); err == nil {
		db.Close()
		t.Fatal("Open accepted a schema from a newer Sluice")
	}
}

func TestMillisRoundTrip(t *testing.T) {
	if !fromMillis(millis(time.Time{})).IsZero() {
		t.Error("zero time did not survive")
	}
	now := time.UnixMilli(1_700_000_000_123)
	if got := fromMillis(millis(now)); !got.Equal(now) {
		t.Errorf("got %v, want %v", got, now)
	}
}

func TestMapErr(t *testing.T) {
	if err := mapErr("x", errors.New("boom")); errors.Is(err, ErrExists) || errors.Is(err, ErrNotFound) {
		t.Errorf("plain error mapped to a sentinel: %v", err)
	}
}

// TestOpenConvertsFileWithoutIncrementalVacuum: a journal made before
// auto_vacuum=INCREMENTAL (tables already there) is rebuilt once on open,
// keeping its data.
func TestOpenConvertsFileWithoutIncrementalVacuum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append([]string{"PRAGMA journal_mode = WAL"}, migrations[:4]...) {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`PRAGMA user_version = 4; INSERT INTO accounts (id, name, kind) VALUES ('a1', 'work', 'oauth')`); err != nil {
		t.Fatal(err)
	}
	var av int
	if err := raw.QueryRow("PRAGMA auto_vacuum").Scan(&av); err != nil || av != 0 {
		t.Fatalf("setup: auto_vacuum %d, %v; want 0", av, err)
	}
	raw.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.w.QueryRow("PRAGMA auto_vacuum").Scan(&av); err != nil || av != 2 {
		t.Fatalf("auto_vacuum %d, %v; want 2", av, err)
	}
	if _, err := db.AccountByName(context.Background(), "work"); err != nil {
		t.Fatalf("account lost in the rebuild: %v", err)
	}
}
