package ccflare

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Files crafted to hang, bloat or mislead the import are refused, quickly.
func TestHostileFilesRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo.db")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", maxField+1)
	cases := []struct {
		name string
		path string
		want string
	}{
		{"fifo", fifo, "not a regular file"},
		{"recursive view", makeDB(t,
			`CREATE TABLE t (name TEXT, refresh_token TEXT)`,
			`CREATE VIEW accounts AS WITH RECURSIVE r(name, refresh_token) AS (SELECT 'a', 'b' UNION ALL SELECT name || 'a', refresh_token FROM r) SELECT * FROM r`),
			"not a table"},
		{"huge token", makeDB(t, oldSchema,
			fmt.Sprintf(`INSERT INTO accounts (id, name, refresh_token, created_at) VALUES ('1', 'a', '%s', 0)`, big)),
			"longer than"},
		{"too many rows", makeDB(t, oldSchema,
			fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d)
			 INSERT INTO accounts (id, name, refresh_token, created_at) SELECT i, 'a'||i, 'r', 0 FROM n`, maxRows+1)),
			"more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err := Read(ctx, c.path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), big[:64]) {
				t.Error("the error quotes the field")
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("refusing took %v", d)
			}
		})
	}
	if _, err := Read(context.Background(), fifo); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("fifo: %v, want fs.ErrInvalid", err)
	}
}

func TestNamesLoseControlCharacters(t *testing.T) {
	path := makeDB(t, oldSchema,
		"INSERT INTO accounts (id, name, refresh_token, created_at) VALUES ('1', 'work'||char(27)||'[2J'||char(7)||char(8238)||' x', 'r', 0)")
	accts, err := Read(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != 1 || accts[0].Name != "work[2J x" {
		t.Fatalf("name %q", accts[0].Name)
	}
}
