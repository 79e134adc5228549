package journal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// bySession reports whether q needs the session rollups: grouped or
// filtered by session or client key.
func (q UsageQuery) bySession() bool {
	return q.Session != "" || q.ClientKeyID != "" || slices.Contains(q.By, BySession) || slices.Contains(q.By, ByKey)
}

// groupCols are the columns a ledger query can group by, in UsageRow's order.
var groupCols = []string{"day", "account_id", "model", "project", "session", "client_key_id"}

// ledgerSQL builds the selected group columns, the WHERE clause and its
// arguments of q over a ledger table (session_rollups or share_rollups):
// both are keyed by day, so a range reads only its days.
func (q UsageQuery) ledgerSQL() (sel, where string, group []string, args []any, err error) {
	for _, b := range q.By {
		c, ok := byColumn[b]
		if !ok {
			return "", "", nil, nil, fmt.Errorf("journal: usage: unknown grouping %q (want day, account, model, project, session or key)", b)
		}
		group = append(group, c)
	}
	var cols []string
	for _, c := range groupCols {
		switch {
		case slices.Contains(group, c):
			cols = append(cols, c)
		case c == "day":
			cols = append(cols, "0")
		default:
			cols = append(cols, "''")
		}
	}
	var conds []string
	for _, f := range []struct{ col, v string }{{"account_id", q.AccountID}, {"model", q.Model},
		{"project", q.Project}, {"session", q.Session}, {"client_key_id", q.ClientKeyID}} {
		if f.v != "" {
			conds = append(conds, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if !q.Since.IsZero() {
		conds = append(conds, "day >= ?")
		args = append(args, dayOf(q.Since))
	}
	if !q.Until.IsZero() {
		conds = append(conds, "day <= ?")
		args = append(args, dayOf(q.Until.Add(-time.Millisecond)))
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return strings.Join(cols, ", "), where, group, args, nil
}

// sessionUsage is Usage grouped or filtered by session or client key.
func (db *DB) sessionUsage(ctx context.Context, q UsageQuery) ([]UsageRow, error) {
	sel, where, group, args, err := q.ledgerSQL()
	if err != nil {
		return nil, err
	}
	query := `SELECT ` + sel + `, coalesce(sum(requests), 0), coalesce(sum(errors), 0), coalesce(sum(input_tokens), 0),
		coalesce(sum(output_tokens), 0), coalesce(sum(cache_read), 0), coalesce(sum(cache_create), 0),
		coalesce(sum(cost_micros), 0) FROM session_rollups` + where
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
		if err := rows.Scan(&day, &u.AccountID, &u.Model, &u.Project, &u.Session, &u.ClientKey, &u.Requests, &u.Errors,
			&u.InputTokens, &u.OutputTokens, &u.CacheRead, &u.CacheCreate, &u.CostMicros); err != nil {
			return nil, fmt.Errorf("journal: usage: %w", err)
		}
		if slices.Contains(group, "day") {
			u.Day = time.UnixMilli(day * dayMillis).UTC()
		}
		if len(group) == 0 && u.Requests == 0 {
			continue
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: usage: %w", err)
	}
	return out, db.addShares(ctx, q, out)
}

// rowKey identifies a usage row by its grouped values.
type rowKey struct {
	day                                         int64
	account, model, project, session, clientKey string
}

// addShares fills the rows' window shares from share_rollups, grouped as
// the rows are. A group with no share keeps none.
func (db *DB) addShares(ctx context.Context, q UsageQuery, out []UsageRow) error {
	if len(out) == 0 {
		return nil
	}
	sel, where, group, args, err := q.ledgerSQL()
	if err != nil {
		return err
	}
	query := `SELECT ` + sel + `, win, sum(share), max(estimate) FROM share_rollups` + where +
		" GROUP BY " + strings.Join(append(slices.Clone(group), "win"), ", ")
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("journal: usage shares: %w", err)
	}
	defer rows.Close()
	idx := make(map[rowKey]int, len(out))
	for i, u := range out {
		var day int64
		if !u.Day.IsZero() {
			day = dayOf(u.Day)
		}
		idx[rowKey{day, u.AccountID, u.Model, u.Project, u.Session, u.ClientKey}] = i
	}
	for rows.Next() {
		var k rowKey
		var win string
		var share float64
		var est bool
		if err := rows.Scan(&k.day, &k.account, &k.model, &k.project, &k.session, &k.clientKey, &win, &share, &est); err != nil {
			return fmt.Errorf("journal: usage shares: %w", err)
		}
		i, ok := idx[k]
		if !ok {
			continue
		}
		if out[i].WindowShare == nil {
			out[i].WindowShare = make(map[string]float64, 2)
		}
		out[i].WindowShare[win] += share
		out[i].ShareEstimate = out[i].ShareEstimate || est
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("journal: usage shares: %w", err)
	}
	return nil
}
