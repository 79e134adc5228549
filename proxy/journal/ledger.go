package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// The quota ledger's storage: each record's share of its account's windows
// (Record.WindowShare), and two rollups beside the daily ones. The daily
// rollups are keyed by account, model and project; sessions and client
// keys are many more, so they get session_rollups, keyed by all five, read
// only when grouping by session or key. share_rollups holds the window
// shares of the same groups, one row per window, so a window added
// tomorrow needs no new column.

// groupKey is a row of session_rollups.
type groupKey struct {
	day                                   int64
	account, model, project, key, session string
}

// shareSum is a group's share of one window.
type shareSum struct {
	share    float64
	estimate bool
}

type shareKey struct {
	groupKey
	win string
}

// ledgerSums collects a batch's additions to the ledger's rollups.
type ledgerSums struct {
	groups map[groupKey]*Totals
	shares map[shareKey]*shareSum
}

func groupOf(r *Record) groupKey {
	return groupKey{dayOf(r.Time), r.AccountID, r.Model, r.Project, r.ClientKeyID, r.Session}
}

// addRecord counts a new record into its group and its shares.
func (l *ledgerSums) addRecord(r *Record) {
	if l.groups == nil {
		l.groups = make(map[groupKey]*Totals, 8)
	}
	k := groupOf(r)
	s := l.groups[k]
	if s == nil {
		s = &Totals{}
		l.groups[k] = s
	}
	t := Totals{Requests: 1, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
		CacheRead: r.CacheRead, CacheCreate: r.CacheCreate, CostMicros: r.CostMicros}
	if r.IsError() {
		t.Errors = 1
	}
	s.Add(t)
	l.addShare(r)
}

// addShare counts r's window shares into its group's.
func (l *ledgerSums) addShare(r *Record) {
	if len(r.WindowShare) == 0 {
		return
	}
	if l.shares == nil {
		l.shares = make(map[shareKey]*shareSum, 4)
	}
	g := groupOf(r)
	for w, v := range r.WindowShare {
		k := shareKey{g, w}
		s := l.shares[k]
		if s == nil {
			s = &shareSum{}
			l.shares[k] = s
		}
		s.share += v
		s.estimate = s.estimate || r.ShareEstimate
	}
}

const (
	upsertGroup = `INSERT INTO session_rollups (day, account_id, model, project, client_key_id, session, requests,
	errors, input_tokens, output_tokens, cache_read, cache_create, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (day, account_id, model, project, client_key_id, session) DO UPDATE SET
	requests = requests + excluded.requests, errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read = cache_read + excluded.cache_read, cache_create = cache_create + excluded.cache_create,
	cost_micros = cost_micros + excluded.cost_micros`
	upsertShare = `INSERT INTO share_rollups (day, account_id, model, project, client_key_id, session, win, share, estimate)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, account_id, model, project, client_key_id, session, win)
	DO UPDATE SET share = share + excluded.share, estimate = max(estimate, excluded.estimate)`
)

// upsert adds the batch's sums in its transaction.
func (l *ledgerSums) upsert(ctx context.Context, tx writeTx) error {
	for k, s := range l.groups {
		if _, err := tx.ExecContext(ctx, upsertGroup, k.day, k.account, k.model, k.project, k.key, k.session,
			s.Requests, s.Errors, s.InputTokens, s.OutputTokens, s.CacheRead, s.CacheCreate, s.CostMicros); err != nil {
			return fmt.Errorf("journal: update session rollups: %w", err)
		}
	}
	for k, s := range l.shares {
		if _, err := tx.ExecContext(ctx, upsertShare, k.day, k.account, k.model, k.project, k.key, k.session,
			k.win, s.share, s.estimate); err != nil {
			return fmt.Errorf("journal: update share rollups: %w", err)
		}
	}
	return nil
}

// shareJSON encodes a record's window share for its column ("" for none).
func shareJSON(m map[string]float64) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m) // sorted keys; a NaN is the only failure
	if err != nil {
		return ""
	}
	return string(b)
}

// parseShare reads what shareJSON wrote; a damaged value reads as none.
func parseShare(s string) map[string]float64 {
	if s == "" {
		return nil
	}
	var m map[string]float64
	if json.Unmarshal([]byte(s), &m) != nil {
		return nil
	}
	return m
}

const (
	selectShare = `SELECT window_share FROM records WHERE id = ?`
	updateShare = `UPDATE records SET window_share = ?, share_estimate = max(share_estimate, ?) WHERE id = ?`
)

// amend adds r's late window share to the stored record r.ID and to the
// share rollups; a record that is not stored (dropped, pruned) is left be,
// so the rollups stay a recount of the records written.
func (db *DB) amend(ctx context.Context, tx writeTx, r *Record, sums *ledgerSums) error {
	var cur string
	err := tx.QueryRowContext(ctx, selectShare, r.ID).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: amend record share: %w", err)
	}
	m := parseShare(cur)
	if m == nil {
		m = make(map[string]float64, len(r.WindowShare))
	}
	for k, v := range r.WindowShare {
		m[k] += v
	}
	if _, err := tx.ExecContext(ctx, updateShare, shareJSON(m), r.ShareEstimate, r.ID); err != nil {
		return fmt.Errorf("journal: amend record share: %w", err)
	}
	sums.addShare(r)
	return nil
}

// coalesceAmends merges the late shares of one record within a batch into
// one, and into the record itself when it is in the batch before them, so
// each costs amend's read and update at most once per batch, and a record
// whose share settled before its batch was written costs none (amend was
// 23 % of the engine's CPU at 32 concurrent requests in the load harness
// before this). folded holds, by id, the late share merged into a record
// of the batch, for insertRecords to amend with should that record be
// stored already. rs is left as it was (a failed batch is written again);
// a batch with nothing to merge is returned as is.
func coalesceAmends(rs []Record) (out []Record, folded map[string]Record) {
	var at map[string]int // id -> its record or first amendment in rs
	merge := false
	for i := range rs {
		if !rs[i].Amend {
			continue
		}
		if at == nil {
			at = make(map[string]int, len(rs))
			for j := range rs {
				if !rs[j].Amend {
					at[rs[j].ID] = j
				}
			}
		}
		if j, ok := at[rs[i].ID]; ok && j < i {
			merge = true
			break
		}
		at[rs[i].ID] = i
	}
	if !merge {
		return rs, nil
	}
	out = make([]Record, 0, len(rs))
	clear(at)             // id -> its record or amendment in out
	own := map[int]bool{} // out indexes whose WindowShare is a copy of ours
	for _, r := range rs {
		j, ok := at[r.ID]
		if !ok || !r.Amend {
			if !ok {
				at[r.ID] = len(out)
			}
			out = append(out, r)
			continue
		}
		if !own[j] {
			own[j] = true
			out[j].WindowShare = addShares(nil, out[j].WindowShare)
		}
		addShares(out[j].WindowShare, r.WindowShare)
		out[j].ShareEstimate = out[j].ShareEstimate || r.ShareEstimate
		if !out[j].Amend {
			if folded == nil {
				folded = map[string]Record{}
			}
			f, ok := folded[r.ID]
			if !ok {
				f = r
				f.WindowShare = addShares(nil, nil)
			}
			addShares(f.WindowShare, r.WindowShare)
			f.ShareEstimate = f.ShareEstimate || r.ShareEstimate
			folded[r.ID] = f
		}
	}
	return out, folded
}

// addShares adds b into a and returns a, a new map when a is nil.
func addShares(a, b map[string]float64) map[string]float64 {
	if a == nil {
		a = make(map[string]float64, len(b)+1)
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}
