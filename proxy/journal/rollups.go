package journal

import (
	"context"
	"database/sql"
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

// rollup is one row of the rollups table: a day's sums for one account,
// model and project.
type rollup struct {
	requests, errors                            int64
	input, output, cacheRead, cacheCreate, cost int64
}

// addRollup counts r into its day's sums.
func addRollup(sums map[rollupKey]*rollup, r *Record) {
	k := rollupKey{dayOf(r.Time), r.AccountID, r.Model, r.Project}
	s := sums[k]
	if s == nil {
		s = &rollup{}
		sums[k] = s
	}
	s.requests++
	if r.IsError() {
		s.errors++
	}
	s.input += r.InputTokens
	s.output += r.OutputTokens
	s.cacheRead += r.CacheRead
	s.cacheCreate += r.CacheCreate
	s.cost += r.CostMicros
}

const upsertRollup = `INSERT INTO rollups (day, account_id, model, project, requests, errors, input_tokens,
	output_tokens, cache_read, cache_create, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (day, account_id, model, project) DO UPDATE SET
	requests = requests + excluded.requests, errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read = cache_read + excluded.cache_read, cache_create = cache_create + excluded.cache_create,
	cost_micros = cost_micros + excluded.cost_micros`

// upsertRollups adds a batch's sums to the rollups, in the batch's
// transaction: one statement per day x account x model x project, not per
// record.
func upsertRollups(ctx context.Context, tx *sql.Tx, sums map[rollupKey]*rollup) error {
	for k, s := range sums {
		if _, err := tx.ExecContext(ctx, upsertRollup, k.day, k.account, k.model, k.project, s.requests, s.errors,
			s.input, s.output, s.cacheRead, s.cacheCreate, s.cost); err != nil {
			return fmt.Errorf("journal: update rollups: %w", err)
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
)

var byColumn = map[string]string{ByDay: "day", ByAccount: "account_id", ByModel: "model", ByProject: "project"}

// UsageQuery selects and groups the daily rollups. Zero fields do not
// filter; Since and Until are taken to their UTC day.
type UsageQuery struct {
	Since     time.Time // from Since's day on
	Until     time.Time // up to the day holding the instant before Until
	AccountID string
	Model     string
	Project   string
	// By lists the dimensions to group by (ByDay, ByAccount, ByModel,
	// ByProject); none sums everything into one row.
	By []string
}

// UsageRow is the usage of one group. Only the fields named in By are set.
type UsageRow struct {
	Day       time.Time `json:"day,omitzero"` // midnight UTC
	AccountID string    `json:"account_id,omitempty"`
	Model     string    `json:"model,omitempty"`
	Project   string    `json:"project,omitempty"`
	Totals
}

// Usage aggregates the rollups q selects, groups in the order of q.By's
// columns, days oldest first.
func (db *DB) Usage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	var conds []string
	var args []any
	add := func(cond string, v any) { conds = append(conds, cond); args = append(args, v) }
	if !q.Since.IsZero() {
		add("day >= ?", dayOf(q.Since))
	}
	if !q.Until.IsZero() {
		add("day <= ?", dayOf(q.Until.Add(-time.Millisecond)))
	}
	if q.AccountID != "" {
		add("account_id = ?", q.AccountID)
	}
	if q.Model != "" {
		add("model = ?", q.Model)
	}
	if q.Project != "" {
		add("project = ?", q.Project)
	}
	var group []string
	for _, b := range q.By {
		c, ok := byColumn[b]
		if !ok {
			return nil, fmt.Errorf("journal: usage: unknown grouping %q (want day, account, model or project)", b)
		}
		group = append(group, c)
	}
	sel := "0, '', '', ''"
	if len(group) > 0 {
		sel = ""
		for i, c := range []string{"day", "account_id", "model", "project"} {
			if i > 0 {
				sel += ", "
			}
			if slices.Contains(group, c) {
				sel += c
			} else if c == "day" {
				sel += "0"
			} else {
				sel += "''"
			}
		}
	}
	query := `SELECT ` + sel + `, coalesce(sum(requests), 0), coalesce(sum(errors), 0), coalesce(sum(input_tokens), 0),
		coalesce(sum(output_tokens), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_create), 0),
		coalesce(sum(cost_micros), 0) FROM rollups`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if len(group) > 0 {
		query += " GROUP BY " + strings.Join(group, ", ") + " ORDER BY " + strings.Join(group, ", ")
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
