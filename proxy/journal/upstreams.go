package journal

import (
	"context"
	"encoding/json"
	"fmt"
)

// Upstream is a compatible upstream account's configuration: where its
// requests go, how its key is sent, and which models it serves. No secret:
// the key is in the keyring.
type Upstream struct {
	BaseURL string     `json:"base_url"`
	Auth    string     `json:"auth"`
	Maps    []ModelMap `json:"maps,omitempty"`
	Models  []string   `json:"models,omitempty"`
}

// ModelMap sends model Model for a requested model matching Pattern.
type ModelMap struct {
	Pattern string `json:"pattern"`
	Model   string `json:"model"`
}

// SaveUpstream stores the upstream configuration of account id, replacing
// any; ErrNotFound when the account does not exist.
func (db *DB) SaveUpstream(ctx context.Context, id string, u Upstream) error {
	b, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("journal: save upstream: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO account_upstreams (account_id, config) VALUES (?, ?)
		ON CONFLICT (account_id) DO UPDATE SET config = excluded.config`, id, string(b)); err != nil {
		return mapErr("save upstream", err)
	}
	return nil
}

// Upstreams returns the configuration of every compatible upstream account
// by account id.
func (db *DB) Upstreams(ctx context.Context) (map[string]Upstream, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT account_id, config FROM account_upstreams`)
	if err != nil {
		return nil, fmt.Errorf("journal: upstreams: %w", err)
	}
	defer rows.Close()
	out := map[string]Upstream{}
	for rows.Next() {
		var id, cfg string
		if err := rows.Scan(&id, &cfg); err != nil {
			return nil, fmt.Errorf("journal: upstreams: %w", err)
		}
		var u Upstream
		if err := json.Unmarshal([]byte(cfg), &u); err != nil {
			return nil, fmt.Errorf("journal: upstream of account %s: %w", id, err)
		}
		out[id] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: upstreams: %w", err)
	}
	return out, nil
}
