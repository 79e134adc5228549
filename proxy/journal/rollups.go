package journal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// dayMillis is one UTC day: rollups are kept per UTC day, so that a
// day's figures do not move when the user's time zone does.
const dayMillis = 24 * 60 * 60 * 1000

// dayOf is the rollup day (days since the Unix epoch, UTC) holding t.
func dayOf(t time.Time) int64 {
	ms := millis(t)
	d := ms / dayMillis
	if ms < 0 && ms%dayMillis != 0 {
		d-- // floor, not truncation, for times before 1970
	}
	return d
}

type rollupKey struct {
	day                     int64
	account, model, project string
}

// addRollup counts r into its day's sums for its account, model and
// project (a row of the rollups table).
func addRollup(sums map[rollupKey]*Totals, r *Record) {
	k := rollupKey{dayOf(r.Time), r.AccountID, r.Model, r.Project}
	s := sums[k]
	if s == nil {
		s = &Totals{}
		sums[k] = s
	}
	t := Totals{Requests: 1, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
		CacheRead: r.CacheRead, CacheCreate: r.CacheCreate, CostMicros: r.CostMicros}
	if r.IsError() {
		t.Errors = 1
	}
	s.Add(t)
}

// upsertSums is the upsert of one row of sums into a rollup table keyed by
// a period (a day or a 16-day block), account, model and project.
const upsertSums = ` (%[1]s, account_id, model, project, requests, errors, input_tokens,
	output_tokens, cache_read, cache_create, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (%[1]s, account_id, model, project) DO UPDATE SET
	requests = requests + excluded.requests, errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read = cache_read + excluded.cache_read, cache_create = cache_create + excluded.cache_create,
	cost_micros = cost_micros + excluded.cost_micros`

var (
	upsertRollup = `INSERT INTO rollups` + fmt.Sprintf(upsertSums, "day")
	upsertBlock  = `INSERT INTO rollup_blocks` + fmt.Sprintf(upsertSums, "block")
)

// blockDays is the span of a rollup block: 16 days, so that block = day >>
// 4 and a year is 23 blocks plus two partial edges of at most 15 days.
const blockDays = 16

// blockOf is the block holding day; >> floors, as dayOf does.
func blockOf(day int64) int64 { return day >> 4 }

const upsertDay = `INSERT INTO rollup_days (day, account_id, requests, errors, input_tokens, output_tokens,
	cache_read, cache_create, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, account_id) DO UPDATE SET
	requests = requests + excluded.requests, errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read = cache_read + excluded.cache_read, cache_create = cache_create + excluded.cache_create,
	cost_micros = cost_micros + excluded.cost_micros`

// upsertRollups adds a batch's sums to the daily rollups, their 16-day
// blocks and the days' per-account totals, in the batch's transaction: one
// statement per day x account x model x project, not per record.
func upsertRollups(ctx context.Context, tx writeTx, sums map[rollupKey]*Totals) error {
	days := map[rollupKey]*Totals{}
	for k, s := range sums {
		dk := rollupKey{day: k.day, account: k.account}
		d := days[dk]
		if d == nil {
			d = &Totals{}
			days[dk] = d
		}
		d.Add(*s)
	}
	for k, s := range days {
		if _, err := tx.ExecContext(ctx, upsertDay, k.day, k.account, s.Requests, s.Errors, s.InputTokens, s.OutputTokens,
			s.CacheRead, s.CacheCreate, s.CostMicros); err != nil {
			return fmt.Errorf("journal: update rollups: %w", err)
		}
	}
	for k, s := range sums {
		for _, u := range []struct {
			stmt   string
			period int64
		}{{upsertRollup, k.day}, {upsertBlock, blockOf(k.day)}} {
			if _, err := tx.ExecContext(ctx, u.stmt, u.period, k.account, k.model, k.project, s.Requests, s.Errors,
				s.InputTokens, s.OutputTokens, s.CacheRead, s.CacheCreate, s.CostMicros); err != nil {
				return fmt.Errorf("journal: update rollups: %w", err)
			}
		}
	}
	return nil
}

// Totals sums the journal's usage, for the Usage view and the CLI.
type Totals struct {
	Requests     int64 `json:"requests"`
	Errors       int64 `json:"errors"`
	InputTokens  int64 `json:"input_tokens"`
	OutputTokens int64 `json:"output_tokens"`
	CacheRead    int64 `json:"cache_read"`
	CacheCreate  int64 `json:"cache_create"`
	CostMicros   int64 `json:"cost_micros"` // millionths of a US dollar
}

// Add counts o into t.
func (t *Totals) Add(o Totals) {
	t.Requests += o.Requests
	t.Errors += o.Errors
	t.InputTokens += o.InputTokens
	t.OutputTokens += o.OutputTokens
	t.CacheRead += o.CacheRead
	t.CacheCreate += o.CacheCreate
	t.CostMicros += o.CostMicros
}

// Totals sums the usage of one account (all when accountID is "") from
// since's UTC day on (zero: all time). It reads the daily rollups only, so
// it costs the same at any journal size and counts pruned records too.
func (db *DB) Totals(ctx context.Context, accountID string, since time.Time) (Totals, error) {
	rows, err := db.Usage(ctx, UsageQuery{Since: since, AccountID: accountID})
	if err != nil {
		return Totals{}, err
	}
	if len(rows) == 0 {
		return Totals{}, nil
	}
	return rows[0].Totals, nil
}

// Usage dimensions (UsageQuery.By).
const (
	ByDay     = "day"
	ByAccount = "account"
	ByModel   = "model"
	ByProject = "project"
	BySession = "session" // session_rollups (ledger.go)
	ByKey     = "key"     // the client key; session_rollups
)

var byColumn = map[string]string{ByDay: "day", ByAccount: "account_id", ByModel: "model", ByProject: "project",
	BySession: "session", ByKey: "client_key_id"}

// UsageQuery selects and groups the daily rollups. Zero fields do not
// filter; Since and Until are taken to their UTC day.
type UsageQuery struct {
	Since     time.Time // from Since's day on
	Until     time.Time // up to the day holding the instant before Until
	AccountID string
	Model     string
	Project   string
	// Session and ClientKeyID filter by a client session or key (read from
	// the session rollups, like grouping by them).
	Session     string
	ClientKeyID string
	// By lists the dimensions to group by (ByDay, ByAccount, ByModel,
	// ByProject, BySession, ByKey); none sums everything into one row.
	By []string
}

// UsageRow is the usage of one group. Only the fields named in By are set.
type UsageRow struct {
	Day       time.Time `json:"day,omitzero"` // midnight UTC
	AccountID string    `json:"account_id,omitempty"`
	Model     string    `json:"model,omitempty"`
	Project   string    `json:"project,omitempty"`
	Session   string    `json:"session,omitempty"`
	ClientKey string    `json:"client_key_id,omitempty"`
	Totals
	// WindowShare is the group's share of each window (a fraction of it,
	// by window name), summed over the requests whose headers said so;
	// absent when none did. ShareEstimate: part of it was divided among
	// concurrent requests by their tokens.
	WindowShare   map[string]float64 `json:"window_share,omitempty"`
	ShareEstimate bool               `json:"share_estimate,omitempty"`
}

// Usage aggregates the rollups q selects, groups in the order of q.By's
// columns, days oldest first.
func (db *DB) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	if q.bySession() {
		return db.sessionUsage(ctx, q)
	}
	rows, err := db.rollupUsage(ctx, q)
	if err != nil {
		return nil, err
	}
	return rows, db.addShares(ctx, q, rows)
}

func (db *DB) rollupUsage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	query, args, group, err := q.sql()
	if err != nil {
		return nil, err
	}
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: usage: %w", err)
	}
	defer rows.Close()
	var out []UsageRow
	for rows.Next() {
		var u UsageRow
		var day int64
		if err := rows.Scan(&day, &u.AccountID, &u.Model, &u.Project, &u.Requests, &u.Errors, &u.InputTokens,
			&u.OutputTokens, &u.CacheRead, &u.CacheCreate, &u.CostMicros); err != nil {
			return nil, fmt.Errorf("journal: usage: %w", err)
		}
		if slices.Contains(group, "day") {
			u.Day = time.UnixMilli(day * dayMillis).UTC()
		}
		if len(group) == 0 && u.Requests == 0 {
			continue // nothing matched: no row rather than a row of zeros
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: usage: %w", err)
	}
	return out, nil
}

// sumCols are the rollup tables' sums, in UsageRow's order.
const sumCols = `requests, errors, input_tokens, output_tokens, cache_read, cache_create, cost_micros`

// sql builds the query for q and the grouped columns. Neither grouped
// nor filtered by model or project (the Usage view's days x accounts, an
// account's days, totals), it reads rollup_days, a row per day and
// account. Otherwise grouped by day, it reads the daily rollups, in whose
// key order the days come. Otherwise it reads whole 16-day blocks and
// only the partial blocks at the range's edges day by day: a year is ~23
// blocks and at most 30 days per account x model x project instead of 365
// days, so the sort that GROUP BY needs works on a few thousand rows, not
// ~90,000.
func (q UsageQuery) sql() (query string, args []any, group []string, err error) {
	for _, b := range q.By {
		c, ok := byColumn[b]
		if !ok {
			return "", nil, nil, fmt.Errorf("journal: usage: unknown grouping %q (want day, account, model or project)", b)
		}
		group = append(group, c)
	}
	var filter []string
	var fargs []any
	for _, f := range []struct{ col, v string }{{"account_id", q.AccountID}, {"model", q.Model}, {"project", q.Project}} {
		if f.v != "" {
			filter = append(filter, f.col+" = ?")
			fargs = append(fargs, f.v)
		}
	}
	hasLo, hasHi := !q.Since.IsZero(), !q.Until.IsZero()
	var lo, hi int64 // days, inclusive
	if hasLo {
		lo = dayOf(q.Since)
	}
	if hasHi {
		hi = dayOf(q.Until.Add(-time.Millisecond))
	}
	// arm selects from one table over [from, to] of its period column.
	var arms []string
	arm := func(table, col string, from, to *int64) {
		conds := slices.Clone(filter)
		args = append(args, fargs...)
		if from != nil {
			conds = append(conds, col+" >= ?")
			args = append(args, *from)
		}
		if to != nil {
			conds = append(conds, col+" <= ?")
			args = append(args, *to)
		}
		var a string
		switch table {
		case "rollup_blocks":
			a = `SELECT 0 AS day, account_id, model, project, ` + sumCols + ` FROM ` + table
		case "rollup_days":
			a = `SELECT day, account_id, '' AS model, '' AS project, ` + sumCols + ` FROM ` + table
		default:
			a = `SELECT day, account_id, model, project, ` + sumCols + ` FROM ` + table
		}
		if len(conds) > 0 {
			a += " WHERE " + strings.Join(conds, " AND ")
		}
		arms = append(arms, a)
	}
	ptr := func(v int64, ok bool) *int64 {
		if !ok {
			return nil
		}
		return &v
	}
	bLo, bHi := blockOf(lo+blockDays-1), blockOf(hi+1)-1 // whole blocks within [lo, hi]
	switch {
	case q.Model == "" && q.Project == "" && !slices.Contains(group, "model") && !slices.Contains(group, "project"):
		arm("rollup_days", "day", ptr(lo, hasLo), ptr(hi, hasHi))
	case slices.Contains(group, "day"), hasLo && hasHi && bLo > bHi:
		arm("rollups", "day", ptr(lo, hasLo), ptr(hi, hasHi))
	default:
		arm("rollup_blocks", "block", ptr(bLo, hasLo), ptr(bHi, hasHi))
		if hasLo && lo < bLo*blockDays {
			arm("rollups", "day", ptr(lo, true), ptr(bLo*blockDays-1, true))
		}
		if hasHi && hi >= (bHi+1)*blockDays {
			arm("rollups", "day", ptr((bHi+1)*blockDays, true), ptr(hi, true))
		}
	}
	sel := "0, '', '', ''"
	if len(group) > 0 {
		var cols []string
		for _, c := range []string{"day", "account_id", "model", "project"} {
			switch {
			case slices.Contains(group, c):
				cols = append(cols, c)
			case c == "day":
				cols = append(cols, "0")
			default:
				cols = append(cols, "''")
			}
		}
		sel = strings.Join(cols, ", ")
	}
	query = `SELECT ` + sel + `, coalesce(sum(requests), 0), coalesce(sum(errors), 0), coalesce(sum(input_tokens), 0),
		coalesce(sum(output_tokens), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_create), 0),
		coalesce(sum(cost_micros), 0) FROM (` + strings.Join(arms, " UNION ALL ") + `)`
	if len(group) > 0 {
		query += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
	}
	return query, args, group, nil
}
