package journal

import (
	"context"
	"fmt"
	"time"
)

// slotMillis is the grain of key_spend: 15 minutes, the step of every UTC
// offset in use (+5:45 and +12:45 included), so the spend since any local
// midnight is a whole number of slots.
const slotMillis = 15 * 60 * 1000

// keySpendKeep is how long key_spend slots are kept: the daily cap reads
// today's only; two days cover any time zone's today.
const keySpendKeep = 48 * time.Hour

type spendKey struct {
	key  string
	slot int64
}

// slotOf is the key_spend slot holding ms (Unix milliseconds), floored.
func slotOf(ms int64) int64 {
	s := ms / slotMillis
	if ms < 0 && ms%slotMillis != 0 {
		s--
	}
	return s
}

// addSpend counts r's cost toward its client key's slot.
// An unpriced model counts at its cap cost (CapCostMicros), so a restart
// does not forget what it spent.
func addSpend(spend map[spendKey]int64, r *Record) {
	c := r.CostMicros
	if r.CapCostMicros != 0 {
		c = r.CapCostMicros
	}
	if r.ClientKeyID == "" || c == 0 {
		return
	}
	spend[spendKey{r.ClientKeyID, slotOf(millis(r.Time))}] += c
}

// upsertKeySpend adds to a key's spend in one slot.
const upsertKeySpend = `INSERT INTO key_spend (client_key_id, slot, cost_micros) VALUES (?, ?, ?)
	ON CONFLICT (client_key_id, slot) DO UPDATE SET cost_micros = cost_micros + excluded.cost_micros`

// upsertSpend adds a batch's per-key spend, in the batch's transaction, so
// it always equals the cost of the records written (pruned ones included).
func upsertSpend(ctx context.Context, tx writeTx, spend map[spendKey]int64) error {
	for k, c := range spend {
		if _, err := tx.ExecContext(ctx, upsertKeySpend,
			k.key, k.slot, c); err != nil {
			return fmt.Errorf("journal: update key spend: %w", err)
		}
	}
	return nil
}

// KeyCost sums the estimated cost of one client key's requests from since
// on, in millionths of a US dollar. It reads key_spend, not the records,
// so pruning requests (or `logs cleanup`) does not reset a key's daily
// cap. since is taken down to its 15-minute slot.
func (db *DB) KeyCost(ctx context.Context, keyID string, since time.Time) (int64, error) {
	var c int64
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(sum(cost_micros), 0) FROM key_spend
		WHERE client_key_id = ? AND slot >= ?`, keyID, slotOf(since.UnixMilli())).Scan(&c)
	if err != nil {
		return 0, fmt.Errorf("journal: key cost: %w", err)
	}
	return c, nil
}

// PruneKeySpend deletes the key_spend slots that ended two days or more
// before now: no today, in any time zone, reaches them.
func (db *DB) PruneKeySpend(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM key_spend WHERE slot < ?`, slotOf(now.Add(-keySpendKeep).UnixMilli()))
	if err != nil {
		return 0, fmt.Errorf("journal: prune key spend: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("journal: prune key spend: %w", err)
	}
	return n, nil
}
