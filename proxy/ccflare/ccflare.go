// Package ccflare reads the accounts of a better-ccflare database so that a
// user moving to Sluice keeps their logins. It only reads: the file is
// opened read-only and never changed, and better-ccflare may keep running.
package ccflare

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotDatabase reports a file that is not an SQLite database at all.
var ErrNotDatabase = errors.New("ccflare: not an SQLite database")

// ErrNoAccounts reports an SQLite database without an accounts table: most
// likely some other program's database.
var ErrNoAccounts = errors.New("ccflare: no accounts table (not a better-ccflare database?)")

// ErrSchema reports an accounts table that lacks columns every
// better-ccflare version has had.
var ErrSchema = errors.New("ccflare: accounts table is not better-ccflare's")

// Account is one better-ccflare account with its credentials. Its String,
// GoString and Format methods never print the secrets, so logging an
// Account or wrapping one in an error cannot leak a token.
type Account struct {
	Name     string
	Provider string // "anthropic" in most databases; empty in old ones
	Priority int    // as better-ccflare stored it; 0 when the column is absent
	Paused   bool
	// APIKey is set for Console accounts; AccessToken and RefreshToken for
	// OAuth (subscription) accounts.
	APIKey       string
	AccessToken  string
	RefreshToken string
	ExpiresAt    int64 // access token expiry, Unix ms; 0 when unknown
}

// String describes the account without its secrets.
func (a Account) String() string {
	var has []string
	for _, c := range []struct {
		name, v string
	}{{"api-key", a.APIKey}, {"access-token", a.AccessToken}, {"refresh-token", a.RefreshToken}} {
		if c.v != "" {
			has = append(has, c.name)
		}
	}
	return fmt.Sprintf("ccflare.Account{%q, provider %q, priority %d, paused %t, has [%s], redacted}",
		a.Name, a.Provider, a.Priority, a.Paused, strings.Join(has, " "))
}

// GoString keeps %#v from printing the secrets.
func (a Account) GoString() string { return a.String() }

// Format keeps every fmt verb (%v, %+v, %s, %q, ...) from printing secrets.
func (a Account) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(a.String())) }

// Limits on what a (possibly hostile) file can make Sluice read.
const (
	readTimeout = 30 * time.Second
	maxRows     = 1000
	maxName     = 128      // bytes
	maxField    = 16 << 10 // bytes; real tokens are a few hundred
)

// required are the columns every better-ccflare (and ccflare) version had.
var required = []string{"name", "refresh_token"}

// optional columns are read when present; their absence reads as the zero
// value (older versions had no api_key, priority or paused).
var optional = []string{"provider", "priority", "paused", "api_key", "access_token", "expires_at"}

// Read returns the accounts in the better-ccflare database at path, in
// better-ccflare's priority order then by name. Errors name the file and
// what is wrong with it, never a credential.
func Read(ctx context.Context, path string) ([]Account, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("ccflare: %s: %w", path, err)
	}
	// SQLite would say only "unable to open database file".
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("ccflare: %w", err) // *PathError names the file
	}
	// A FIFO or a device would hang the open (and SQLite ignores the
	// context while it waits): only a regular file is read.
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("ccflare: %s is not a regular file: %w", path, fs.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("ccflare: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	// A view named accounts (a recursive one grows a temp file without
	// end) or a virtual table runs code of the file's choosing: only a
	// plain table is read.
	var kind string
	err = db.QueryRowContext(ctx, `SELECT type FROM sqlite_master WHERE name = 'accounts' COLLATE NOCASE`).Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%w: %s", ErrNoAccounts, path)
	case err != nil:
		return nil, fmt.Errorf("%w: %s", classify(err), path)
	case kind != "table":
		return nil, fmt.Errorf("%w: %s: accounts is a %s, not a table", ErrSchema, path, kind)
	}
	var sqlDef string
	_ = db.QueryRowContext(ctx, `SELECT coalesce(sql, '') FROM sqlite_master WHERE name = 'accounts' COLLATE NOCASE`).Scan(&sqlDef)
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(sqlDef)), "CREATE VIRTUAL") {
		return nil, fmt.Errorf("%w: %s: accounts is a virtual table", ErrSchema, path)
	}
	cols, err := columns(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	var missing []string
	for _, c := range required {
		if !cols[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s: missing column(s) %s", ErrSchema, path, strings.Join(missing, ", "))
	}
	accts, err := query(ctx, db, cols)
	if err != nil {
		return nil, fmt.Errorf("ccflare: read accounts from %s: %w", path, err)
	}
	return accts, nil
}

// dsn opens the file read-only; only a file: URI carries mode=ro to SQLite.
func dsn(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}
	return u.String()
}

// columns returns the accounts table's column names, or ErrNotDatabase or
// ErrNoAccounts.
func columns(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info('accounts')`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	cols := make(map[string]bool)
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, classify(err)
		}
		cols[strings.ToLower(name)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	if len(cols) == 0 {
		return nil, ErrNoAccounts
	}
	return cols, nil
}

// classify names the failure when the file is not a database; SQLite finds
// out only on the first read.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB {
		return ErrNotDatabase
	}
	return fmt.Errorf("ccflare: read schema: %w", err)
}

// query selects the known columns, a typed zero standing in for each absent
// optional one. Every column is cast to the type it is scanned into: a
// conversion error from database/sql quotes the value, and a value in a
// malformed row could be a token.
func query(ctx context.Context, db *sql.DB, cols map[string]bool) ([]Account, error) {
	sel := make([]string, 0, len(required)+len(optional))
	for _, c := range slices.Concat(required, optional) {
		if cols[c] {
			v := fmt.Sprintf("CAST(coalesce(%s, %s) AS %s)", c, zero(c), sqlType(c))
			if sqlType(c) == "TEXT" {
				// One byte over the cap is enough to refuse the row; the
				// rest is never read into memory.
				v = fmt.Sprintf("substr(%s, 1, %d)", v, maxField+1)
			}
			sel = append(sel, v)
		} else {
			sel = append(sel, zero(c))
		}
	}
	if err := oversized(ctx, db, cols); err != nil {
		return nil, err
	}
	// Sorted by the capped name: ORDER BY name would copy every name
	// whole into the sorter.
	order := fmt.Sprintf("substr(name, 1, %d)", maxName+1)
	if cols["priority"] {
		order = "coalesce(priority, 0), " + order
	}
	rows, err := db.QueryContext(ctx, `SELECT `+strings.Join(sel, ", ")+` FROM accounts ORDER BY `+order+
		` LIMIT `+strconv.Itoa(maxRows+1))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var paused int64
		if err := rows.Scan(&a.Name, &a.RefreshToken, &a.Provider, &a.Priority, &paused, &a.APIKey,
			&a.AccessToken, &a.ExpiresAt); err != nil {
			// Not wrapped: the message may quote the value.
			return nil, fmt.Errorf("account %d: unreadable column value", len(out)+1)
		}
		a.Paused = paused != 0
		if len(out) == maxRows {
			return nil, fmt.Errorf("more than %d accounts: not a better-ccflare database Sluice will import", maxRows)
		}
		for _, f := range []string{a.APIKey, a.AccessToken, a.RefreshToken, a.Provider} {
			if len(f) > maxField {
				return nil, fmt.Errorf("account %d: a field is longer than %d bytes", len(out)+1, maxField)
			}
		}
		if a.Name = cleanName(a.Name); a.Name == "" || len(a.Name) > maxName {
			return nil, fmt.Errorf("account %d: its name is empty or longer than %d bytes", len(out)+1, maxName)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// oversized refuses the file if a row holds a field over its cap,
// naming the row and the column. octet_length reads a value's size from
// the record header without loading the value (SQLite 3.43+), so a
// 200 MB name is refused without being read: the caps in query alone
// still copied each whole value once (coalesce, CAST) before cutting it.
func oversized(ctx context.Context, db *sql.DB, cols map[string]bool) error {
	for _, c := range slices.Concat(required, optional) {
		if !cols[c] {
			continue
		}
		limit := maxField
		switch {
		case c == "name":
			limit = maxName * 4 // control characters are stripped after reading
		case sqlType(c) == "INTEGER":
			limit = 64 // SQLite columns hold any type: a blob "priority" too
		}
		var n int64
		err := db.QueryRowContext(ctx, fmt.Sprintf(
			`SELECT count(*) FROM (SELECT 1 FROM accounts WHERE octet_length(%s) > %d LIMIT 1)`, c, limit)).Scan(&n)
		if err != nil {
			return fmt.Errorf("checking the size of %s: %w", c, classify(err))
		}
		if n > 0 {
			return fmt.Errorf("an account's %s is longer than %d bytes: not a better-ccflare database Sluice will import", c, limit)
		}
	}
	return nil
}

// cleanName strips control characters (terminal escapes, bidi overrides)
// from a name the file chose: it becomes an account name that the CLI and
// the window print.
func cleanName(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s))
}

// sqlType is the type col is read as.
func sqlType(col string) string {
	if zero(col) == "0" {
		return "INTEGER"
	}
	return "TEXT"
}

// zero is the SQL literal an absent or NULL column reads as.
func zero(col string) string {
	switch col {
	case "priority", "paused", "expires_at":
		return "0"
	}
	return "''"
}
