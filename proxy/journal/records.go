package journal

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Query selects records. Zero fields do not filter.
type Query struct {
	Since     time.Time // records at or after Since
	Until     time.Time // records before Until
	AccountID string
	Limit     int // at most this many; 0 means 100
}

// defaultLimit keeps an unbounded query from loading months of history into
// the UI.
const defaultLimit = 100

// pruneChunk bounds the rows deleted per transaction, so retention on a big
// journal never holds the writer long enough to back up the Writer's queue.
const pruneChunk = 5000

// where builds the shared filter of Records and Totals.
func where(since, until time.Time, accountID string) (string, []any) {
	var conds []string
	var args []any
	if accountID != "" {
		conds = append(conds, "account_id = ?")
		args = append(args, accountID)
	}
	if !since.IsZero() {
		conds = append(conds, "time >= ?")
		args = append(args, since.UnixMilli())
	}
	if !until.IsZero() {
		conds = append(conds, "time < ?")
		args = append(args, until.UnixMilli())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Records returns the records q selects, newest first.
func (db *DB) Records(ctx context.Context, q Query) ([]Record, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	w, args := where(q.Since, q.Until, q.AccountID)
	rows, err := db.r.QueryContext(ctx, `SELECT id, time, account_id, client_key_id, method, path, model,
		status, stream, attempts, duration_us, first_byte_us, input_tokens, output_tokens, cache_read,
		cache_create, cost_micros, error, lane FROM records`+w+` ORDER BY time DESC, seq DESC LIMIT ?`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("journal: records: %w", err)
	}
	defer rows.Close()
	out := make([]Record, 0, min(limit, 1024))
	for rows.Next() {
		var r Record
		var at, dur, fb int64
		if err := rows.Scan(&r.ID, &at, &r.AccountID, &r.ClientKeyID, &r.Method, &r.Path, &r.Model,
			&r.Status, &r.Stream, &r.Attempts, &dur, &fb, &r.InputTokens, &r.OutputTokens, &r.CacheRead,
			&r.CacheCreate, &r.CostMicros, &r.Error, &r.Lane); err != nil {
			return nil, fmt.Errorf("journal: records: %w", err)
		}
		r.Time = fromMillis(at)
		r.Duration = time.Duration(dur) * time.Microsecond
		r.FirstByte = time.Duration(fb) * time.Microsecond
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: records: %w", err)
	}
	return out, nil
}

// Totals sums the journal's usage, for the Usage view and the CLI.
type Totals struct {
	Requests     int64
	InputTokens  int64
	OutputTokens int64
	CacheRead    int64
	CacheCreate  int64
	CostMicros   int64 // millionths of a US dollar
}

// Totals sums the records at or after since (zero: all time) for one
// account, or for all when accountID is "".
func (db *DB) Totals(ctx context.Context, accountID string, since time.Time) (Totals, error) {
	w, args := where(since, time.Time{}, accountID)
	var t Totals
	err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(input_tokens), 0),
		coalesce(sum(output_tokens), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_create), 0),
		coalesce(sum(cost_micros), 0) FROM records`+w, args...).
		Scan(&t.Requests, &t.InputTokens, &t.OutputTokens, &t.CacheRead, &t.CacheCreate, &t.CostMicros)
	if err != nil {
		return Totals{}, fmt.Errorf("journal: totals: %w", err)
	}
	return t, nil
}

// Prune deletes the records older than before and returns how many went.
// The caller picks before from its own clock and the user's retention
// setting.
func (db *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.w.ExecContext(ctx, `DELETE FROM records WHERE seq IN
			(SELECT seq FROM records WHERE time < ? LIMIT ?)`, before.UnixMilli(), pruneChunk)
		if err != nil {
			return total, fmt.Errorf("journal: prune: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("journal: prune: %w", err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
