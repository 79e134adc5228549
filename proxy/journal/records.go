package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Query selects records. Zero fields do not filter.
type Query struct {
	Since       time.Time // records at or after Since
	Until       time.Time // records before Until
	AccountID   string
	Model       string
	ClientKeyID string
	Session     string
	Project     string
	// StatusClass keeps one class of status: 2 for 2xx, 4 for 4xx, 5 for 5xx.
	StatusClass int
	// Text keeps records whose path or error contains it (case-insensitive
	// for ASCII), looking through at most TextScanRows records per call.
	Text string
	// After continues a listing: only records older than the cursor, which
	// is the last record of the previous page. Paging by (time, seq) rather
	// than by offset stays stable while new records arrive.
	After Cursor
	// WrittenAfter keeps records stored after the one with this Seq, for
	// following the log: a long stream is written when it ends, after
	// requests that arrived later, so arrival time cannot tell what is new.
	WrittenAfter int64
	Limit        int // at most this many; 0 means 100
}

// Cursor is a position in the newest-first order of records. The zero
// Cursor is the start.
type Cursor struct {
	Time int64 // Unix milliseconds
	Seq  int64
}

// CursorOf is the cursor just past r, to fetch the page after it.
func CursorOf(r Record) Cursor { return Cursor{Time: millis(r.Time), Seq: r.Seq} }

// IsZero reports the start cursor.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String encodes c for the CLI and the window: "time.seq", or "" at the
// start.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.Time, 10) + "." + strconv.FormatInt(c.Seq, 10)
}

// ParseCursor reads what Cursor.String wrote.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	t, q, ok := strings.Cut(s, ".")
	ti, err1 := strconv.ParseInt(t, 10, 64)
	qi, err2 := strconv.ParseInt(q, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return Cursor{}, fmt.Errorf("journal: bad cursor %q", s)
	}
	return Cursor{Time: ti, Seq: qi}, nil
}

// defaultLimit keeps an unbounded query from loading months of history into
// the UI.
const defaultLimit = 100

// where builds the filter of q.
func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, vs ...any) { conds = append(conds, cond); args = append(args, vs...) }
	for _, f := range []struct {
		col, v string
	}{{"account_id", q.AccountID}, {"model", q.Model}, {"client_key_id", q.ClientKeyID},
		{"project", q.Project}} {
		if f.v != "" {
			add(f.col+" = ?", f.v)
		}
	}
	if q.Session != "" {
		// The first term is records_session's own expression, so the
		// planner reads that index; the second keeps only exact matches.
		add("substr(session, -6) = substr(?, -6) AND session = ?", q.Session, q.Session)
	}
	if !q.Since.IsZero() {
		add("time >= ?", q.Since.UnixMilli())
	}
	if !q.Until.IsZero() {
		add("time < ?", q.Until.UnixMilli())
	}
	if q.StatusClass != 0 {
		add("status BETWEEN ? AND ?", q.StatusClass*100, q.StatusClass*100+99)
	}
	if q.Text != "" {
		pat := "%" + likeEscape.Replace(q.Text) + "%"
		add(`(path LIKE ? ESCAPE '\' OR error LIKE ? ESCAPE '\')`, pat, pat)
	}
	if q.WrittenAfter > 0 {
		add("seq > ?", q.WrittenAfter)
	}
	if !q.After.IsZero() {
		add("(time < ? OR (time = ? AND seq < ?))", q.After.Time, q.After.Time, q.After.Seq)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

var likeEscape = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

const recordCols = `seq, id, time, account_id, client_key_id, method, path, model, status, stream, attempts,
	duration_us, first_byte_us, input_tokens, output_tokens, cache_read, cache_create, cost_micros, error,
	session, user_agent, request_id, end_reason, failovers, project, lane, window_share, share_estimate,
	model_asked, EXISTS (SELECT 1 FROM payloads p WHERE p.seq = records.seq)`

type scanner interface{ Scan(...any) error }

func scanRecord(sc scanner) (Record, error) {
	var r Record
	var at, dur, fb int64
	var share string
	if err := sc.Scan(&r.Seq, &r.ID, &at, &r.AccountID, &r.ClientKeyID, &r.Method, &r.Path, &r.Model,
		&r.Status, &r.Stream, &r.Attempts, &dur, &fb, &r.InputTokens, &r.OutputTokens, &r.CacheRead,
		&r.CacheCreate, &r.CostMicros, &r.Error, &r.Session, &r.UserAgent, &r.RequestID, &r.EndReason,
		&r.Failovers, &r.Project, &r.Lane, &share, &r.ShareEstimate, &r.ModelAsked, &r.HasPayload); err != nil {
		return Record{}, err
	}
	r.Time = fromMillis(at)
	r.WindowShare = parseShare(share)
	r.Duration = time.Duration(dur) * time.Microsecond
	r.FirstByte = time.Duration(fb) * time.Microsecond
	return r, nil
}

// TextScanRows bounds a text search (Query.Text): one call looks through
// at most this many records of its window (the other filters and the
// cursor applied first, newest first). LIKE cannot use an index, and
// scanning the whole log took ~180 ms at 100,000 records; 5,000 rows
// cost a few milliseconds, and Search says where it stopped so the caller
// can page on.
const TextScanRows = 5_000

// Records returns the records q selects, newest first. A text search
// looks through at most TextScanRows records (see Search).
func (db *DB) Records(ctx context.Context, q Query) ([]Record, error) {
	rs, _, err := db.Search(ctx, q)
	return rs, err
}

// Search is Records that also says where a text search stopped: when
// q.Text is set and the window held more than TextScanRows records, only
// the newest TextScanRows were looked through, and stop is the cursor of
// the last of them (to continue with Query.After) unless the page filled
// first. stop is zero when the search looked at the whole window.
func (db *DB) Search(ctx context.Context, q Query) (rs []Record, stop Cursor, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	w, args := q.where()
	if q.Text != "" {
		// The window's oldest scanned row: TextScanRows down the order,
		// through the indexes, before any LIKE runs.
		plain := q
		plain.Text = ""
		pw, pargs := plain.where()
		err := db.r.QueryRowContext(ctx, `SELECT time, seq FROM records`+pw+
			` ORDER BY time DESC, seq DESC LIMIT 1 OFFSET ?`, append(pargs, db.scanRows-1)...).Scan(&stop.Time, &stop.Seq)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			stop = Cursor{} // the window is smaller than the bound
		case err != nil:
			return nil, Cursor{}, fmt.Errorf("journal: records: %w", err)
		default:
			w += " AND (time > ? OR (time = ? AND seq >= ?))"
			args = append(args, stop.Time, stop.Time, stop.Seq)
		}
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+recordCols+` FROM records`+w+
		` ORDER BY time DESC, seq DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("journal: records: %w", err)
	}
	defer rows.Close()
	rs = make([]Record, 0, min(limit, 1024))
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, Cursor{}, fmt.Errorf("journal: records: %w", err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, Cursor{}, fmt.Errorf("journal: records: %w", err)
	}
	if len(rs) == limit {
		stop = Cursor{} // the page filled before the bound: page on as usual
	}
	return rs, stop, nil
}

// Record returns the record with id; ErrNotFound when there is none.
func (db *DB) Record(ctx context.Context, id string) (Record, error) {
	r, err := scanRecord(db.r.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("journal: record %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("journal: record %q: %w", id, err)
	}
	return r, nil
}

// Payload returns the payload stored with record id, as stored (sealed);
// ErrNotFound when none is.
func (db *DB) Payload(ctx context.Context, id string) (Payload, error) {
	var p Payload
	err := db.r.QueryRowContext(ctx, `SELECT p.request, p.response, p.req_truncated, p.resp_truncated
		FROM payloads p JOIN records r ON r.seq = p.seq WHERE r.id = ?`, id).
		Scan(&p.Request, &p.Response, &p.RequestTruncated, &p.ResponseTruncated)
	if errors.Is(err, sql.ErrNoRows) {
		return Payload{}, fmt.Errorf("journal: payload of %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Payload{}, fmt.Errorf("journal: payload of %q: %w", id, err)
	}
	return p, nil
}

// RecordTotals sums the records still kept at or after since, to the
// millisecond. Totals reads the daily rollups, which start at UTC
// midnight: a window that starts elsewhere (the local day) needs this.
func (db *DB) RecordTotals(ctx context.Context, since time.Time) (Totals, error) {
	w, args := Query{Since: since}.where()
	var t Totals
	err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status >= 400 OR error != ''), 0),
		coalesce(sum(input_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cache_read), 0),
		coalesce(sum(cache_create), 0), coalesce(sum(cost_micros), 0) FROM records`+w, args...).
		Scan(&t.Requests, &t.Errors, &t.InputTokens, &t.OutputTokens, &t.CacheRead, &t.CacheCreate, &t.CostMicros)
	if err != nil {
		return Totals{}, fmt.Errorf("journal: record totals: %w", err)
	}
	return t, nil
}
