// Package journal is Sluice's SQLite store: account metadata, persisted pool
// state and the request log. Secrets never enter it: credentials live in the
// keyring (package vault), and payloads, when captured, are redacted first.
package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound reports that no row matched.
var ErrNotFound = errors.New("journal: not found")

// ErrExists reports a name or id that is already taken.
var ErrExists = errors.New("journal: already exists")

// Account is one pooled account's metadata. Its credential is in the keyring
// under ID.
type Account struct {
	ID         string
	Name       string
	Kind       string // "api-key" or "oauth" (vault.Kind values)
	Priority   int    // lower is preferred
	Paused     bool
	PlanGuard  bool // refuse requests that would draw paid extra usage
	NeedsLogin bool
	CreatedAt  time.Time // kept to the millisecond; set on insert, never updated
}

// Record is one request as the journal keeps it. It holds no credential and
// no client key, only the key's id. Time is kept to the millisecond and the
// durations to the microsecond.
type Record struct {
	ID           string    // filled in by the Writer when empty; unique
	Time         time.Time // when the request arrived
	AccountID    string    // empty when no account served it
	ClientKeyID  string
	Method       string
	Path         string
	Model        string
	Status       int
	Stream       bool
	Attempts     int           // upstream attempts, failovers included
	Duration     time.Duration // until the last byte went to the client
	FirstByte    time.Duration // until the first byte went to the client
	InputTokens  int64
	OutputTokens int64
	CacheRead    int64
	CacheCreate  int64
	CostMicros   int64  // estimated cost in millionths of a US dollar
	Error        string // short, secret-free description when it failed
	// Lane says what the request drew on when the upstream told: "plan",
	// "extra-usage" (overage headers), or the limit signal of an error body
	// ("extra-usage", "extra-usage-request", "plan-limit", "spend-limit").
	// Empty when unknown.
	Lane string
}

// readers bounds the read pool: the UI's queries and the proxy's lookups are
// few and short, and each connection holds its own page cache.
const readers = 4

// DB is an open journal. Writes go through a single connection so that they
// queue in Go instead of failing with SQLITE_BUSY; reads use a separate
// read-only pool so that a long Records query never waits behind the writer
// (WAL lets them run side by side).
type DB struct {
	w *sql.DB // the one writer connection
	r *sql.DB // read-only pool
}

// Open opens the journal at path, creating it (directory 0700, file 0600:
// the request log says which accounts were used when, which is nobody
// else's business) and bringing its schema up to date.
func Open(path string) (*DB, error) {
	return open(path, migrations)
}

// open is Open with a chosen migration list, so tests can build a database
// as an older Sluice left it.
func open(path string, migs []string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("journal: create directory: %w", err)
	}
	// Create the file ourselves: SQLite would use 0644, and it gives the
	// -wal and -shm files the main file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: create file: %w", err)
	}
	f.Close()
	if err := os.Chmod(abs, 0o600); err != nil {
		return nil, fmt.Errorf("journal: restrict file mode: %w", err)
	}

	w, err := sql.Open("sqlite", dsn(abs, "_pragma=busy_timeout(5000)", "_pragma=journal_mode(WAL)",
		"_pragma=synchronous(NORMAL)", "_pragma=foreign_keys(1)", "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("journal: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := migrate(context.Background(), w, migs); err != nil {
		w.Close()
		return nil, err
	}
	// The writer has switched the file to WAL, so read-only connections
	// find the -shm file they need.
	r, err := sql.Open("sqlite", dsn(abs, "mode=ro", "_pragma=busy_timeout(5000)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("journal: open readers: %w", err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	if err := r.Ping(); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("journal: open readers: %w", err)
	}
	return &DB{w: w, r: r}, nil
}

// dsn builds a file: URI, the only form in which SQLite honours mode=ro;
// url.URL escapes any '?', '#' or '%' in the path.
func dsn(abs string, params ...string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: strings.Join(params, "&")}
	return u.String()
}

// Close closes the database. Close every Writer first: records still
// queued in one are lost once the database is closed.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// sqliteCode returns the extended SQLite result code carried by err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// mapErr turns the constraint failures callers can act on into ErrExists and
// ErrNotFound, and wraps the rest with what was being done.
func mapErr(op string, err error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("journal: %s: %w", op, ErrExists)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("journal: %s: %w", op, ErrNotFound)
	}
	return fmt.Errorf("journal: %s: %w", op, err)
}

// millis stores a time as Unix milliseconds, the zero time as 0 so that it
// reads back as the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of millis.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
