package journal

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one thing that changed Sluice's setup or its security:
// account changes, sign-ins, settings, client keys. Repeats of the latest
// identical entry within the rate-limit window fold into it: N counts them
// and Last is the latest.
type AuditEntry struct {
	Seq     int64     `json:"seq"`
	Time    time.Time `json:"time"` // first occurrence
	Last    time.Time `json:"last"` // latest occurrence
	N       int64     `json:"count"`
	Kind    string    `json:"kind"`    // e.g. account.added, signin.failed
	Subject string    `json:"subject"` // what it is about: an account name, a setting
	Detail  string    `json:"detail,omitempty"`
}

// AddAudit appends an entry at t, or, when the same kind, subject and
// detail were logged within window before t, bumps that entry's count, so
// a client hammering a wrong key cannot flood the log. The entry must hold
// no secret.
func (db *DB) AddAudit(ctx context.Context, t time.Time, window time.Duration, kind, subject, detail string) error {
	at := millis(t)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: audit: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE audit SET n = n + 1, last = max(last, ?)
		WHERE seq = (SELECT max(seq) FROM audit WHERE kind = ? AND subject = ? AND detail = ?) AND last >= ?`,
		at, kind, subject, detail, at-window.Milliseconds())
	if err != nil {
		return fmt.Errorf("journal: audit: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit (time, last, kind, subject, detail) VALUES (?, ?, ?, ?, ?)`,
			at, at, kind, subject, detail); err != nil {
			return fmt.Errorf("journal: audit: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal: audit: commit: %w", err)
	}
	return nil
}

// AuditQuery selects audit entries, newest first. Zero fields do not
// filter.
type AuditQuery struct {
	Since  time.Time // entries last seen at or after Since
	Kind   string    // exact kind, or a prefix ending in "." ("account.")
	Before int64     // entries with a smaller Seq: the next page
	Limit  int       // 0 means 100
}

// Audit returns the entries q selects, newest first.
func (db *DB) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	query := `SELECT seq, time, last, n, kind, subject, detail FROM audit WHERE last >= ?`
	args := []any{millis(q.Since)}
	if q.Kind != "" {
		query += ` AND (kind = ? OR (substr(?, -1) = '.' AND substr(kind, 1, length(?)) = ?))`
		args = append(args, q.Kind, q.Kind, q.Kind, q.Kind)
	}
	if q.Before > 0 {
		query += ` AND seq < ?`
		args = append(args, q.Before)
	}
	rows, err := db.r.QueryContext(ctx, query+` ORDER BY seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("journal: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var t, last int64
		if err := rows.Scan(&e.Seq, &t, &last, &e.N, &e.Kind, &e.Subject, &e.Detail); err != nil {
			return nil, fmt.Errorf("journal: audit: %w", err)
		}
		e.Time, e.Last = fromMillis(t), fromMillis(last)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: audit: %w", err)
	}
	return out, nil
}

// AddAuditCount appends one entry that stands for n occurrences between
// first and last, already counted by the caller: refusals are tallied in
// memory and written once a minute, so a flood of them costs one row per
// minute and client, not one write each.
func (db *DB) AddAuditCount(ctx context.Context, first, last time.Time, n int64, kind, subject, detail string) error {
	if n < 1 {
		return nil
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO audit (time, last, n, kind, subject, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		millis(first), millis(last), n, kind, subject, detail); err != nil {
		return fmt.Errorf("journal: audit: %w", err)
	}
	return nil
}
