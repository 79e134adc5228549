package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/ccflare"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// ImportReport says what an import did.
type ImportReport struct {
	Imported []string // names added
	Skipped  []string // names already present (import is idempotent)
	Ignored  []string // accounts of other providers, or without a credential
}

// ImportCCFlare moves the accounts of a better-ccflare database into Sluice:
// credentials into the keyring, name, priority and paused into the journal.
// Accounts whose name already exists are left alone, so running it twice
// changes nothing.
func (s *Service) ImportCCFlare(ctx context.Context, path string) (ImportReport, error) {
	var rep ImportReport
	accts, err := ccflare.Read(ctx, path)
	if err != nil {
		return rep, fmt.Errorf("read better-ccflare database: %w", err)
	}
	for _, a := range accts {
		if a.Provider != "" && !strings.EqualFold(a.Provider, "anthropic") {
			rep.Ignored = append(rep.Ignored, a.Name)
			continue
		}
		c := vault.Credential{Kind: vault.KindOAuth, AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, ExpiresAt: a.ExpiresAt}
		if a.APIKey != "" {
			c = vault.Credential{Kind: vault.KindAPIKey, APIKey: a.APIKey}
		}
		if c.APIKey == "" && c.AccessToken == "" && c.RefreshToken == "" {
			rep.Ignored = append(rep.Ignored, a.Name)
			continue
		}
		if _, err := s.addAccount(ctx, a.Name, c); errors.Is(err, api.ErrAccountExists) {
			rep.Skipped = append(rep.Skipped, a.Name)
			continue
		} else if err != nil {
			return rep, fmt.Errorf("import %q: %w", a.Name, err)
		}
		prio := max(a.Priority, 0)
		err := s.updateAccount(ctx, a.Name, func(acc *journal.Account) error {
			acc.Priority, acc.Paused = prio, a.Paused
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("import %q: %w", a.Name, err)
		}
		rep.Imported = append(rep.Imported, a.Name)
	}
	return rep, nil
}
