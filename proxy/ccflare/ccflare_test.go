package ccflare

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fullSchema is better-ccflare's accounts table as of the versions with
// priorities and API keys.
const fullSchema = `CREATE TABLE accounts (
	id TEXT PRIMARY KEY, name TEXT NOT NULL, provider TEXT DEFAULT 'anthropic', api_key TEXT,
	refresh_token TEXT, access_token TEXT, expires_at INTEGER, created_at INTEGER, last_used INTEGER,
	request_count INTEGER DEFAULT 0, total_requests INTEGER DEFAULT 0, account_tier INTEGER DEFAULT 1,
	rate_limited_until INTEGER, session_start INTEGER, session_request_count INTEGER DEFAULT 0,
	paused INTEGER DEFAULT 0, rate_limit_reset INTEGER, rate_limit_status TEXT,
	rate_limit_remaining INTEGER, priority INTEGER DEFAULT 0, auto_fallback_enabled INTEGER DEFAULT 0,
	custom_endpoint TEXT)`

// oldSchema is an early ccflare table: no provider, api_key, priority or paused.
const oldSchema = `CREATE TABLE accounts (
	id TEXT PRIMARY KEY, name TEXT NOT NULL, refresh_token TEXT NOT NULL, access_token TEXT,
	expires_at INTEGER, created_at INTEGER NOT NULL, last_used INTEGER, request_count INTEGER DEFAULT 0,
	total_requests INTEGER DEFAULT 0)`

// makeDB writes a database made of stmts and returns its path.
func makeDB(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "better-ccflare.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func TestReadFullSchema(t *testing.T) {
	path := makeDB(t, fullSchema,
		`INSERT INTO accounts (id, name, provider, refresh_token, access_token, expires_at, priority, paused, created_at)
		 VALUES ('1', 'max-b', 'anthropic', 'rt-b', 'at-b', 1700000000000, 1, 0, 1)`,
		`INSERT INTO accounts (id, name, provider, api_key, priority, paused, created_at)
		 VALUES ('2', 'console', 'anthropic', 'sk-ant-key', 0, 1, 1)`,
		`INSERT INTO accounts (id, name, provider, refresh_token, access_token, priority, created_at)
		 VALUES ('3', 'max-a', 'anthropic', 'rt-a', 'at-a', 1, 1)`,
		`INSERT INTO accounts (id, name, refresh_token, priority, paused, expires_at)
		 VALUES ('4', 'nulls', 'rt-n', NULL, NULL, NULL)`)
	got, err := Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{
		{Name: "console", Provider: "anthropic", Priority: 0, Paused: true, APIKey: "sk-ant-key"},
		{Name: "nulls", Provider: "anthropic", RefreshToken: "rt-n"}, // provider from the column default
		{Name: "max-a", Provider: "anthropic", Priority: 1, AccessToken: "at-a", RefreshToken: "rt-a"},
		{Name: "max-b", Provider: "anthropic", Priority: 1, AccessToken: "at-b", RefreshToken: "rt-b", ExpiresAt: 1700000000000},
	}
	if !reflect.DeepEqual(got, want) {
		// Compare field by field: %v would (rightly) redact the tokens.
		for i := range max(len(got), len(want)) {
			var g, w Account
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("account %d: got %s (%d/%d/%d/%d), want %s", i, g, len(g.APIKey), len(g.AccessToken),
					len(g.RefreshToken), g.ExpiresAt, w)
			}
		}
	}
}

func TestReadOldSchema(t *testing.T) {
	path := makeDB(t, oldSchema,
		`INSERT INTO accounts (id, name, refresh_token, access_token, expires_at, created_at)
		 VALUES ('1', 'b', 'rt-b', 'at-b', 42, 1), ('2', 'a', 'rt-a', NULL, NULL, 1)`)
	got, err := Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{
		{Name: "a", RefreshToken: "rt-a"},
		{Name: "b", RefreshToken: "rt-b", AccessToken: "at-b", ExpiresAt: 42},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d accounts, first %s; want %s, %s", len(got), got, want[0], want[1])
	}
}

func TestReadErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not sqlite at all "), 300), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tiny := filepath.Join(dir, "tiny.db")
	if err := os.WriteFile(tiny, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
		says string
	}{
		{"missing file", filepath.Join(dir, "nope.db"), fs.ErrNotExist, "nope.db"},
		{"directory", dir, fs.ErrInvalid, dir},
		{"garbage", garbage, ErrNotDatabase, "garbage.db"},
		{"tiny garbage", tiny, ErrNotDatabase, "tiny.db"},
		{"other program's database", makeDB(t, `CREATE TABLE notes (x TEXT)`), ErrNoAccounts, "better-ccflare.db"},
		{"empty file", empty, ErrNoAccounts, "empty.db"},
		{"missing columns", makeDB(t, `CREATE TABLE accounts (id TEXT, label TEXT)`), ErrSchema, "name, refresh_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			accts, err := Read(ctx, tt.path)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if accts != nil {
				t.Errorf("accounts returned with an error: %d", len(accts))
			}
		})
	}
}

func TestReadNeverLeaksSecrets(t *testing.T) {
	const secret = "sk-ant-SECRET-123"
	// A malformed row: a token where a number belongs.
	path := makeDB(t, fullSchema,
		`INSERT INTO accounts (id, name, api_key, access_token, refresh_token, expires_at, priority)
		 VALUES ('1', 'x', '`+secret+`', '`+secret+`', '`+secret+`', '`+secret+`', '`+secret+`')`)
	accts, err := Read(context.Background(), path)
	if err != nil {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error leaks the secret: %v", err)
		}
		t.Fatal(err)
	}
	if len(accts) != 1 || accts[0].APIKey != secret || accts[0].ExpiresAt != 0 {
		t.Fatalf("malformed row read as %s, expires %d", accts, accts[0].ExpiresAt)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{accts[0], accts, &accts[0]} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, secret) || strings.Contains(out, fmt.Sprintf("%x", secret)) {
				t.Errorf("fmt %s of %T leaks the secret: %s", verb, v, out)
			}
		}
	}
	if s := accts[0].String(); !strings.Contains(s, "api-key") || !strings.Contains(s, `"x"`) {
		t.Errorf("String() = %s, want the name and which secrets it holds", s)
	}
}

func TestReadLeavesFileUntouched(t *testing.T) {
	path := makeDB(t, fullSchema, `INSERT INTO accounts (id, name, refresh_token) VALUES ('1', 'a', 'rt')`)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("Read changed the database file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("Read left files behind: %v", entries)
	}
}
