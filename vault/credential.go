// Package vault keeps account credentials in the operating system's keyring
// and obtains them through OAuth PKCE logins. It imports nothing of Sluice's.
package vault

import (
	"errors"
	"fmt"
	"time"
)

// Kind says what sort of credential an account holds.
type Kind string

const (
	// KindAPIKey is an Anthropic Console API key, sent as x-api-key.
	KindAPIKey Kind = "api-key"
	// KindOAuth is a Claude subscription login: an access token sent as a
	// Bearer token, refreshed with its refresh token.
	KindOAuth Kind = "oauth"
	// KindUpstream is the API key of an Anthropic-compatible endpoint
	// other than Anthropic's (APIKey holds it); how it is sent is the
	// account's business, not the credential's.
	KindUpstream Kind = "upstream"
)

// ErrNotFound reports that the keyring holds no credential for an account.
var ErrNotFound = errors.New("vault: no credential stored for this account")

// ErrNeedsLogin reports that an account's refresh token was refused and the
// user has to sign in again.
var ErrNeedsLogin = errors.New("vault: account needs to sign in again")

// Credential is one account's secret material. It is stored as one keyring
// item of compact JSON (short keys keep it far below Windows' 2.5 KB limit).
// Its String and GoString methods never print the secrets.
type Credential struct {
	Kind         Kind   `json:"k"`
	APIKey       string `json:"a,omitempty"`
	AccessToken  string `json:"t,omitempty"`
	RefreshToken string `json:"r,omitempty"`
	// ExpiresAt is the access token's expiry in Unix milliseconds (0: unknown).
	ExpiresAt int64 `json:"e,omitempty"`
}

// Expiry returns ExpiresAt as a time; the zero time when it is unknown.
func (c Credential) Expiry() time.Time {
	if c.ExpiresAt == 0 {
		return time.Time{}
	}
	return time.UnixMilli(c.ExpiresAt)
}

// String describes the credential without its secrets.
func (c Credential) String() string { return fmt.Sprintf("vault.Credential{%s, redacted}", c.Kind) }

// GoString keeps %#v from printing the secrets.
func (c Credential) GoString() string { return c.String() }

// Format keeps every fmt verb (%v, %+v, %s, %q, ...) from printing secrets.
func (c Credential) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// validate checks that the credential holds the secret its kind needs.
func (c Credential) validate() error {
	switch c.Kind {
	case KindAPIKey, KindUpstream:
		if c.APIKey == "" {
			return errors.New("api-key credential without a key")
		}
	case KindOAuth:
		if c.AccessToken == "" && c.RefreshToken == "" {
			return errors.New("oauth credential without tokens")
		}
	default:
		return fmt.Errorf("unknown credential kind %q", c.Kind)
	}
	return nil
}
