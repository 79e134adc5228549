package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Retention works in small transactions so the Writer, which shares the one
// writer connection, never waits behind more than one of them.
const (
	pruneChunk   = 1000 // records per delete
	payloadChunk = 100  // payloads per delete: each may hold two bodies of up to the cap
	vacuumChunk  = 2048 // pages handed back per incremental_vacuum step
)

// deleteChunks runs a chunked DELETE until it deletes less than a chunk,
// and returns how many rows went.
func (db *DB) deleteChunks(ctx context.Context, op, query string, chunk int, args ...any) (int64, error) {
	var total int64
	for {
		res, err := db.w.ExecContext(ctx, query, append(args, chunk)...)
		if err != nil {
			return total, fmt.Errorf("journal: %s: %w", op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("journal: %s: %w", op, err)
		}
		total += n
		if n < int64(chunk) {
			return total, nil
		}
	}
}

// Prune deletes the records older than before, and their payloads, and
// returns how many records went. The rollups keep counting them.
func (db *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	return db.deleteChunks(ctx, "prune records", `DELETE FROM records WHERE seq IN
		(SELECT seq FROM records WHERE time < ? ORDER BY time LIMIT ?)`, pruneChunk, before.UnixMilli())
}

// PrunePayloads deletes the payloads of records older than before, keeping
// the records, and returns how many went.
func (db *DB) PrunePayloads(ctx context.Context, before time.Time) (int64, error) {
	return db.deleteChunks(ctx, "prune payloads", `DELETE FROM payloads WHERE seq IN
		(SELECT seq FROM payloads WHERE time < ? ORDER BY time LIMIT ?)`, payloadChunk, before.UnixMilli())
}

// PruneAudit deletes audit entries last seen before before.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	return db.deleteChunks(ctx, "prune audit", `DELETE FROM audit WHERE seq IN
		(SELECT seq FROM audit WHERE last < ? LIMIT ?)`, pruneChunk, before.UnixMilli())
}

// UsedBytes is the size the database would have with its free pages given
// back: what the size limit is measured against.
func (db *DB) UsedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	c, err := db.w.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("journal: used bytes: %w", err)
	}
	defer c.Close()
	for _, p := range []struct {
		q string
		v *int64
	}{{"PRAGMA page_count", &pages}, {"PRAGMA freelist_count", &free}, {"PRAGMA page_size", &size}} {
		if err := c.QueryRowContext(ctx, p.q).Scan(p.v); err != nil {
			return 0, fmt.Errorf("journal: used bytes: %w", err)
		}
	}
	return (pages - free) * size, nil
}

// TrimToSize deletes the oldest payloads, then the oldest records, a chunk
// at a time, until the database uses at most maxBytes. Payloads go first:
// they are most of the bytes and the least of the value. It returns how
// many of each went; it stops when nothing is left to delete.
func (db *DB) TrimToSize(ctx context.Context, maxBytes int64) (records, payloads int64, err error) {
	for {
		used, err := db.UsedBytes(ctx)
		if err != nil || used <= maxBytes {
			return records, payloads, err
		}
		n, err := db.oldest(ctx, "payloads", payloadChunk)
		payloads += n
		if err != nil {
			return records, payloads, err
		}
		if n > 0 {
			continue
		}
		n, err = db.oldest(ctx, "records", pruneChunk)
		records += n
		if err != nil || n == 0 {
			return records, payloads, err
		}
	}
}

// oldest deletes the chunk oldest rows of table (records or payloads).
func (db *DB) oldest(ctx context.Context, table string, chunk int) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE seq IN
		(SELECT seq FROM `+table+` ORDER BY time, seq LIMIT ?)`, chunk)
	if err != nil {
		return 0, fmt.Errorf("journal: trim %s: %w", table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("journal: trim %s: %w", table, err)
	}
	return n, nil
}

// Compact gives free pages back to the file system: an incremental vacuum
// in steps of vacuumChunk pages (or, when full, a VACUUM that rebuilds the
// file, holding the writer for as long as that takes), then a checkpoint
// that truncates the WAL, so that the file really shrinks.
func (db *DB) Compact(ctx context.Context, full bool) error {
	if full {
		if _, err := db.w.ExecContext(ctx, "VACUUM"); err != nil {
			return fmt.Errorf("journal: vacuum: %w", err)
		}
	}
	for {
		var free int64
		if err := db.w.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
			return fmt.Errorf("journal: compact: %w", err)
		}
		if free == 0 {
			break
		}
		// Each page given back is one row of the pragma's result: read
		// them all, or it stops after the first.
		rows, err := db.w.QueryContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", vacuumChunk))
		if err != nil {
			return fmt.Errorf("journal: incremental vacuum: %w", err)
		}
		for rows.Next() {
		}
		err = errors.Join(rows.Err(), rows.Close())
		if err != nil {
			return fmt.Errorf("journal: incremental vacuum: %w", err)
		}
	}
	return db.Checkpoint(ctx)
}

// Checkpoint copies the WAL into the database and truncates it. A reader in
// the middle of a query can keep part of it; that is retried next time.
func (db *DB) Checkpoint(ctx context.Context) error {
	var busy, logPages, done int
	if err := db.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil {
		return fmt.Errorf("journal: checkpoint: %w", err)
	}
	return nil
}

// Files are the journal's sizes on disk.
type Files struct {
	Path     string `json:"path"`
	DBBytes  int64  `json:"db_bytes"`
	WALBytes int64  `json:"wal_bytes"`
}

// Files reports the database and WAL file sizes.
func (db *DB) Files() (Files, error) {
	f := Files{Path: db.path}
	for _, p := range []struct {
		name string
		v    *int64
	}{{db.path, &f.DBBytes}, {db.path + "-wal", &f.WALBytes}} {
		fi, err := os.Stat(p.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return f, fmt.Errorf("journal: stat: %w", err)
		}
		*p.v = fi.Size()
	}
	return f, nil
}

// Health is what PRAGMA integrity_check and quick_check said, and how many
// rows each table holds.
type Health struct {
	Integrity  string           `json:"integrity"`   // "ok" when sound
	QuickCheck string           `json:"quick_check"` // "ok" when sound
	Rows       map[string]int64 `json:"rows"`
}

// Check runs SQLite's own consistency checks and counts rows.
func (db *DB) Check(ctx context.Context) (Health, error) {
	h := Health{Rows: map[string]int64{}}
	var err error
	if h.Integrity, err = db.pragmaLines(ctx, "PRAGMA integrity_check"); err != nil {
		return h, err
	}
	if h.QuickCheck, err = db.pragmaLines(ctx, "PRAGMA quick_check"); err != nil {
		return h, err
	}
	for _, t := range []string{"accounts", "records", "payloads", "rollups", "audit", "settings"} {
		var n int64
		if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return h, fmt.Errorf("journal: count %s: %w", t, err)
		}
		h.Rows[t] = n
	}
	return h, nil
}

// pragmaLines joins a check pragma's result rows.
func (db *DB) pragmaLines(ctx context.Context, q string) (string, error) {
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		return "", fmt.Errorf("journal: %s: %w", q, err)
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return "", fmt.Errorf("journal: %s: %w", q, err)
		}
		if out != "" {
			out += "\n"
		}
		out += s.String
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("journal: %s: %w", q, err)
	}
	return out, nil
}
