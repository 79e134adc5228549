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

// Reauthenticate replaces an existing account's credential after a new
// login, keeping its id, settings and history, and clears needs-login.
func (s *Service) Reauthenticate(ctx context.Context, name string, c vault.Credential) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	if string(c.Kind) != a.Kind {
		return fmt.Errorf("account %q holds a %s credential; this login produced a %s one (remove and add it instead)", name, a.Kind, c.Kind)
	}
	if err := s.keyring.Put(a.ID, c); err != nil {
		return fmt.Errorf("store credential in keyring: %w", err)
	}
	s.pool.ClearNeedsLogin(a.ID)
	if a.NeedsLogin {
		return s.setNeedsLogin(ctx, a.ID, false)
	}
	return s.accountsChanged(ctx, a.ID)
}

// ShowOnce reports whether the one-time notice named key is still to be
// shown, and records that it now has been.
func (s *Service) ShowOnce(ctx context.Context, key string) (bool, error) {
	k := "notice." + key
	_, seen, err := s.db.Setting(ctx, k)
	if err != nil || seen {
		return false, err
	}
	return true, s.db.SetSetting(ctx, k, s.now().UTC().Format("2006-01-02T15:04:05Z"))
}

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
