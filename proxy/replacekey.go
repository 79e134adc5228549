package proxy

import (
	"context"
	"fmt"

	"github.com/sluice-proxy/sluice/vault"
)

// ReplaceAPIKey puts a new key in an API-key account's keyring item,
// keeping its id, settings and history: the remedy for a mistyped or
// revoked key. It clears needs-login. The key is not checked here (see
// CheckAPIKey) and appears in no error.
func (s *Service) ReplaceAPIKey(ctx context.Context, name, key string) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	if a.Kind != string(vault.KindAPIKey) {
		return fmt.Errorf("account %q signs in with a subscription, not an API key: sign in again instead", name)
	}
	if err := checkAPIKey(key); err != nil {
		return err
	}
	return s.Reauthenticate(ctx, name, vault.Credential{Kind: vault.KindAPIKey, APIKey: key})
}
