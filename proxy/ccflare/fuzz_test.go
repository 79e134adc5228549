package ccflare

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzRead imports better-ccflare databases holding arbitrary values, of
// any SQLite type, in every column, and then with arbitrary bytes written
// over the file (a corrupt or truncated database). Read must never panic,
// and no error may quote a credential.
func FuzzRead(f *testing.F) {
	f.Add(false, "max", "rt-secret-1", "sk-ant-secret-2", "at-secret-3", "1", "0", "1700000000000", uint16(0), []byte(nil))
	f.Add(true, "old", "rt-secret-4", "", "", "x", "y", "z", uint16(100), []byte("SQLite format 3\x00"))
	f.Add(false, "", "rt-secret-5", "k", "a", "9223372036854775808", "-1", "1e999", uint16(4096), []byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, old bool, name, refresh, apiKey, access, priority, paused, expires string, at uint16, patch []byte) {
		path := filepath.Join(t.TempDir(), "better-ccflare.db")
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		schema, insert := fullSchema, `INSERT INTO accounts (id, name, refresh_token, api_key, access_token, priority, paused, expires_at) VALUES ('1', ?, ?, ?, ?, ?, ?, ?)`
		args := []any{name, refresh, apiKey, access, priority, paused, expires}
		if old {
			schema, insert = oldSchema, `INSERT INTO accounts (id, name, refresh_token, access_token, expires_at, created_at) VALUES ('1', ?, ?, ?, ?, ?)`
			args = []any{name, refresh, access, expires, priority}
		}
		_, err = db.Exec(schema)
		if err == nil {
			_, err = db.Exec(insert, args...)
		}
		if cerr := db.Close(); err != nil || cerr != nil {
			t.Fatalf("build database: %v %v", err, cerr)
		}
		if len(patch) > 0 {
			file, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = file.WriteAt(patch, int64(at))
			if cerr := file.Close(); err != nil || cerr != nil {
				t.Fatalf("patch database: %v %v", err, cerr)
			}
		}
		start := time.Now()
		_, err = Read(context.Background(), path)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Read took %v: a damaged file must fail fast", d)
		}
		if err == nil {
			return
		}
		for _, secret := range []string{refresh, apiKey, access} {
			if len(secret) >= 8 && strings.Contains(err.Error(), secret) {
				t.Fatalf("error quotes a credential: %v", err)
			}
		}
	})
}
