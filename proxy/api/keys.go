package api

import (
	"errors"
	"time"
)

// ErrKeyNotFound reports that no live client key has the given name.
var ErrKeyNotFound = errors.New("no such client key")

// KeyOptions are a client key's name, scope and limits. Zero limits mean
// unlimited.
type KeyOptions struct {
	Name string `json:"name"`
	// Accounts the key may use, by name or id; empty means every account.
	Accounts []string `json:"accounts,omitempty"`
	// RPM caps requests per minute (a token bucket of that size).
	RPM int `json:"rpm,omitempty"`
	// MaxConcurrent caps the key's requests in flight (streams included).
	MaxConcurrent int `json:"max_concurrent,omitempty"`
	// DailyCostMicros caps the key's estimated cost per local day, in
	// millionths of a US dollar.
	DailyCostMicros int64 `json:"daily_cost_micros,omitempty"`
}

// KeyView is what the CLI and the window show of a client key. It holds no
// secret: Hint is the key's non-secret beginning.
type KeyView struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Hint            string    `json:"hint"` // "sk-sluice-AbCd1234…"
	Accounts        []string  `json:"accounts,omitempty"`
	RPM             int       `json:"rpm,omitempty"`
	MaxConcurrent   int       `json:"max_concurrent,omitempty"`
	DailyCostMicros int64     `json:"daily_cost_micros,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	Revoked         bool      `json:"revoked,omitempty"`
	RevokedAt       time.Time `json:"revoked_at,omitzero"`
}
