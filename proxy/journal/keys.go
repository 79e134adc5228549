package journal

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ClientKey is a client key's stored form: never the key itself, only the
// prefix it is looked up by and its HMAC digest.
type ClientKey struct {
	ID     string
	Name   string
	Prefix string // the first characters after "sk-sluice-"; not secret
	Hash   []byte // HMAC-SHA-256 of the whole key under the install's secret
	// Accounts lists the account ids the key may use; empty means all.
	Accounts        []string
	RPM             int   // requests per minute; 0: unlimited
	MaxConcurrent   int   // requests in flight at once; 0: unlimited
	DailyCostMicros int64 // cost cap per local day; 0: none
	CreatedAt       time.Time
	RevokedAt       time.Time // zero while the key is live
}

const keyCols = `id, name, prefix, hash, accounts, rpm, max_concurrent, daily_cost_micros, created_at, revoked_at`

// InsertClientKey adds a key; ErrExists when its id, or its name among live
// keys, is taken.
func (db *DB) InsertClientKey(ctx context.Context, k ClientKey) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO client_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Prefix, k.Hash, strings.Join(k.Accounts, ","), k.RPM, k.MaxConcurrent,
		k.DailyCostMicros, millis(k.CreatedAt), millis(k.RevokedAt))
	if err != nil {
		return mapErr("insert client key", err)
	}
	return nil
}

// UpdateClientKey replaces a key's name, scope and limits (not its digest);
// ErrNotFound when there is none.
func (db *DB) UpdateClientKey(ctx context.Context, k ClientKey) error {
	res, err := db.w.ExecContext(ctx, `UPDATE client_keys SET name = ?, accounts = ?, rpm = ?,
		max_concurrent = ?, daily_cost_micros = ?, revoked_at = ? WHERE id = ?`,
		k.Name, strings.Join(k.Accounts, ","), k.RPM, k.MaxConcurrent, k.DailyCostMicros, millis(k.RevokedAt), k.ID)
	if err != nil {
		return mapErr("update client key", err)
	}
	return affected("update client key", res)
}

// ClientKeys returns every key, revoked ones included, oldest first.
func (db *DB) ClientKeys(ctx context.Context) ([]ClientKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+keyCols+` FROM client_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("journal: client keys: %w", err)
	}
	defer rows.Close()
	var out []ClientKey
	for rows.Next() {
		var k ClientKey
		var accts string
		var created, revoked int64
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &accts, &k.RPM, &k.MaxConcurrent,
			&k.DailyCostMicros, &created, &revoked); err != nil {
			return nil, fmt.Errorf("journal: client keys: %w", err)
		}
		if accts != "" {
			k.Accounts = strings.Split(accts, ",")
		}
		k.CreatedAt = fromMillis(created)
		if revoked != 0 {
			k.RevokedAt = fromMillis(revoked)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: client keys: %w", err)
	}
	return out, nil
}
