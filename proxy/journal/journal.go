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

	"github.com/sluice-proxy/sluice/proxy/datadir"
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
// durations to the microsecond (in JSON, nanoseconds).
type Record struct {
	Seq          int64         `json:"seq"`                  // storage order, set on read; with Time, the paging cursor
	ID           string        `json:"id"`                   // filled in by the Writer when empty; unique
	Time         time.Time     `json:"time"`                 // when the request arrived
	AccountID    string        `json:"account_id,omitempty"` // empty when no account served it
	ClientKeyID  string        `json:"client_key_id,omitempty"`
	Method       string        `json:"method"`
	Path         string        `json:"path"`
	Model        string        `json:"model,omitempty"`
	Status       int           `json:"status"`
	Stream       bool          `json:"stream"`
	Attempts     int           `json:"attempts"`      // upstream attempts, failovers included
	Failovers    int           `json:"failovers"`     // accounts given up on before the one that answered
	Duration     time.Duration `json:"duration_ns"`   // until the last byte went to the client
	FirstByte    time.Duration `json:"first_byte_ns"` // until the first byte went to the client
	InputTokens  int64         `json:"input_tokens"`
	OutputTokens int64         `json:"output_tokens"`
	CacheRead    int64         `json:"cache_read"`
	CacheCreate  int64         `json:"cache_create"`
	CostMicros   int64         `json:"cost_micros"` // estimated cost in millionths of a US dollar
	// CapCostMicros, when not zero, is what the request counts against its
	// client key's daily cost cap instead of CostMicros: an unpriced model
	// is journaled with no cost but capped at its family's highest price.
	// It is kept in key_spend only, never in the record.
	CapCostMicros int64  `json:"-"`
	Error         Reason `json:"error,omitempty"`   // why it failed, "" when it did not
	Session       string `json:"session,omitempty"` // the client's session id (X-Claude-Code-Session-Id)
	UserAgent     string `json:"user_agent,omitempty"`
	RequestID     string `json:"request_id,omitempty"` // the upstream's request-id header
	EndReason     string `json:"end_reason,omitempty"` // EndComplete...; empty when nothing was relayed
	Project       string `json:"project,omitempty"`    // the client's X-Sluice-Project tag
	Lane          string `json:"lane,omitempty"`       // plan, extra-usage, or the limit signal of an error body; empty when unknown
	HasPayload    bool   `json:"has_payload"`          // a captured payload is stored (set on read)
	// WindowShare is the fraction of each window of its account the request
	// spent, by window ("5h", "7d", "7d_fable"), where limit headers said
	// so (the quota ledger, package pool). ShareEstimate: the change was
	// divided among concurrent requests by their tokens.
	WindowShare   map[string]float64 `json:"window_share,omitempty"`
	ShareEstimate bool               `json:"share_estimate,omitempty"`
	// ModelAsked is the model the client asked for when a compatible
	// upstream's map sent Model instead; "" when it sent what was asked.
	ModelAsked string `json:"model_asked,omitempty"`
	// Amend marks a later part of the stored record ID's window share: only
	// WindowShare and ShareEstimate are added to it (and to the rollups, under
	// the record's Time, AccountID, Model, Project, ClientKeyID and Session,
	// which must be the stored record's); nothing else is written.
	Amend bool `json:"-"`

	// Payload, when set, is stored with the record. Its bodies must already
	// be redacted and sealed: the journal writes them as given.
	Payload *Payload `json:"-"`
}

// Reason says why a request failed (Record.Error): one of the constants
// below, some with a detail after a colon (With). The strings are what the
// journal has always stored, so older records read the same.
type Reason string

// Why a request failed, as the journal keeps it.
const (
	ReasonBodyTooLarge        Reason = "request body too large"
	ReasonBodyReadFailed      Reason = "client body read failed"
	ReasonNotForwardable      Reason = "request not forwardable"
	ReasonNotTranslatable     Reason = "not translatable" // With the translation's complaint
	ReasonClientGone          Reason = "client went away"
	ReasonAllLimited          Reason = "all accounts rate limited"
	ReasonPlanGuard           Reason = "plan guard" // With the limit signal
	ReasonRefusedByEvery      Reason = "refused by every account"
	ReasonEveryAccountFailed  Reason = "every account failed"
	ReasonNoAccount           Reason = "no usable account"
	ReasonUpstreamUnreachable Reason = "upstream unreachable"
	ReasonUpstreamTimeout     Reason = "upstream timed out after the request was sent"
	ReasonUpstreamLost        Reason = "upstream connection lost after the request was sent"
	ReasonCutShort            Reason = "upstream response cut short"
	ReasonStreamError         Reason = "stream error" // With the error event's type
	ReasonTooLargeToTranslate Reason = "answer too large to translate"
	ReasonInternal            Reason = "internal error"
	ReasonNotServed           Reason = "path not served" // With the path
	ReasonNoAPIKeyAccount     Reason = "no API-key account"
)

// With is r followed by a detail ("plan guard: extra-usage").
func (r Reason) With(detail string) Reason { return r + ": " + Reason(detail) }

// How a relayed response ended (Record.EndReason).
const (
	EndComplete        = "complete"         // the upstream's whole answer reached the client
	EndUpstreamError   = "upstream_error"   // the upstream sent an error (an SSE error event)
	EndTruncated       = "truncated"        // the upstream connection broke mid-answer
	EndClientCancelled = "client_cancelled" // the client hung up first
)

// Payload is a captured request and response body, as stored: redacted and
// sealed by the caller, each cut to the capture cap.
type Payload struct {
	Request           []byte
	Response          []byte
	RequestTruncated  bool // the request was longer than the cap
	ResponseTruncated bool // the response was longer than the cap
}

// IsError is the rollups' definition of a failed request: an error status,
// or an answer that went wrong after its status was sent.
func (r *Record) IsError() bool { return r.Status >= 400 || r.Error != "" }

// readers bounds the read pool: the UI's queries and the proxy's lookups are
// few and short, and each connection holds its own page cache.
const readers = 4

// DB is an open journal. Writes go through a single connection so that they
// queue in Go instead of failing with SQLITE_BUSY; reads use a separate
// read-only pool so that a long Records query never waits behind the writer
// (WAL lets them run side by side).
type DB struct {
	w *sql.DB // the one writer connection
	// stmts are writeStmts prepared on w (read-only after open).
	stmts map[string]*sql.Stmt
	r     *sql.DB // read-only pool
	path  string  // absolute, for file sizes
	// scanRows bounds a text search (TextScanRows; tests lower it).
	scanRows int
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
	// Neither a link planted in its place nor another user's file is
	// opened or chmod'ed: the mode is set on the file opened, not on
	// whatever the name points at.
	if err := datadir.Regular(abs); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	f, err := datadir.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: create file: %w", err)
	}
	errMode := f.Chmod(0o600)
	f.Close()
	if errMode != nil {
		return nil, fmt.Errorf("journal: restrict file mode: %w", errMode)
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
	if err := incrementalVacuum(context.Background(), w); err != nil {
		w.Close()
		return nil, err
	}
	if err := migrate(context.Background(), w, migs); err != nil {
		w.Close()
		return nil, err
	}
	// The writer has switched the file to WAL, so read-only connections
	// find the -shm file they need.
	// temp_store=MEMORY: the Usage view's GROUP BY sorts in a temporary
	// b-tree, which has no business on disk.
	r, err := sql.Open("sqlite", dsn(abs, "mode=ro", "_pragma=busy_timeout(5000)", "_pragma=temp_store(2)"))
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
	stmts := prepareWrites(context.Background(), w)
	return &DB{w: w, r: r, stmts: stmts, path: abs, scanRows: TextScanRows}, nil
}

// incrementalVacuum turns on auto_vacuum=INCREMENTAL, so that retention
// can hand freed pages back to the file system in small steps. The mode
// only takes effect on a database rebuilt after it is set, so a file made
// by an older Sluice (or a new empty one) gets a one-time VACUUM.
func incrementalVacuum(ctx context.Context, w *sql.DB) error {
	var mode int
	if err := w.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return fmt.Errorf("journal: read auto_vacuum: %w", err)
	}
	if mode == 2 { // INCREMENTAL
		return nil
	}
	if _, err := w.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err != nil {
		return fmt.Errorf("journal: set auto_vacuum: %w", err)
	}
	if _, err := w.ExecContext(ctx, "VACUUM"); err != nil {
		return fmt.Errorf("journal: vacuum for auto_vacuum: %w", err)
	}
	return nil
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
	return errors.Join(closeStmts(db.stmts), db.r.Close(), db.w.Close())
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
