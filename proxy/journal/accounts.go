package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const accountCols = `id, name, kind, priority, paused, plan_guard, needs_login, created_at`

// InsertAccount adds an account; ErrExists when its id or name is taken.
func (db *DB) InsertAccount(ctx context.Context, a Account) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.Kind, a.Priority, a.Paused, a.PlanGuard, a.NeedsLogin, millis(a.CreatedAt))
	if err != nil {
		return mapErr("insert account", err)
	}
	return nil
}

// UpdateAccount replaces the account with a.ID, all fields but CreatedAt;
// ErrNotFound when there is none, ErrExists when the new name is taken.
func (db *DB) UpdateAccount(ctx context.Context, a Account) error {
	res, err := db.w.ExecContext(ctx, `UPDATE accounts SET name = ?, kind = ?, priority = ?, paused = ?,
		plan_guard = ?, needs_login = ? WHERE id = ?`,
		a.Name, a.Kind, a.Priority, a.Paused, a.PlanGuard, a.NeedsLogin, a.ID)
	if err != nil {
		return mapErr("update account", err)
	}
	return affected("update account", res)
}

// DeleteAccount removes an account and its pool state, but not its request
// history; ErrNotFound when there is none.
func (db *DB) DeleteAccount(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM accounts WHERE id = ?`, id)
	if err != nil {
		return mapErr("delete account", err)
	}
	return affected("delete account", res)
}

// affected turns "no row changed" into ErrNotFound.
func affected(op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("journal: %s: %w", op, err)
	}
	if n == 0 {
		return fmt.Errorf("journal: %s: %w", op, ErrNotFound)
	}
	return nil
}

// AccountByName returns the account called name; ErrNotFound when none is.
func (db *DB) AccountByName(ctx context.Context, name string) (Account, error) {
	a, err := scanAccount(db.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("journal: account %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return Account{}, fmt.Errorf("journal: account %q: %w", name, err)
	}
	return a, nil
}

// Accounts returns every account, preferred first (lowest priority), ties
// broken by name so that lists are stable.
func (db *DB) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts ORDER BY priority, name`)
	if err != nil {
		return nil, fmt.Errorf("journal: accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("journal: accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: accounts: %w", err)
	}
	return out, nil
}

// scanAccount reads one row of accountCols.
func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var created int64
	err := row.Scan(&a.ID, &a.Name, &a.Kind, &a.Priority, &a.Paused, &a.PlanGuard, &a.NeedsLogin, &created)
	a.CreatedAt = fromMillis(created)
	return a, err
}

// SaveAccountState stores the pool's state blob for an account, replacing
// the previous one; ErrNotFound when the account does not exist, so state
// never outlives its account.
func (db *DB) SaveAccountState(ctx context.Context, accountID string, state []byte) error {
	if state == nil {
		state = []byte{} // the column is NOT NULL; nil means "nothing yet"
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO account_state (account_id, state) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET state = excluded.state`, accountID, state)
	if err != nil {
		return mapErr("save account state", err)
	}
	return nil
}

// AccountStates returns every stored state blob by account id, for the pool
// to restore at start.
func (db *DB) AccountStates(ctx context.Context) (map[string][]byte, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT account_id, state FROM account_state`)
	if err != nil {
		return nil, fmt.Errorf("journal: account states: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var id string
		var state []byte
		if err := rows.Scan(&id, &state); err != nil {
			return nil, fmt.Errorf("journal: account states: %w", err)
		}
		out[id] = state
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: account states: %w", err)
	}
	return out, nil
}

// Setting returns a setting's value; ok is false when it was never set, so
// callers can tell "unset" (use the default) from "set to empty".
func (db *DB) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("journal: setting %q: %w", key, err)
	}
	return value, true, nil
}

// SetSetting stores a setting, replacing any previous value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("journal: set setting %q: %w", key, err)
	}
	return nil
}
