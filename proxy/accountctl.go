package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// Account controls: what a user changes on an account once it is added
// (pause, priority, name, plan guard, limits, headroom, its key or
// sign-in). Adding, listing and removing are in accounts.go.

// PauseAccount stops an account from being chosen until it is resumed.
func (s *Service) PauseAccount(ctx context.Context, name string) error {
	return s.updateAccount(ctx, name, func(a *journal.Account) error { a.Paused = true; return nil })
}

// ResumeAccount makes a paused account eligible again.
func (s *Service) ResumeAccount(ctx context.Context, name string) error {
	return s.updateAccount(ctx, name, func(a *journal.Account) error { a.Paused = false; return nil })
}

// SetPriority sets an account's priority; lower numbers are preferred.
func (s *Service) SetPriority(ctx context.Context, name string, priority int) error {
	if priority < 0 || priority > 1_000_000 {
		return fmt.Errorf("priority must be between 0 and 1000000")
	}
	return s.updateAccount(ctx, name, func(a *journal.Account) error { a.Priority = priority; return nil })
}

// RenameAccount renames an account; its id, credential and history stay.
func (s *Service) RenameAccount(ctx context.Context, oldName, newName string) error {
	if err := checkName(newName); err != nil {
		return err
	}
	return s.updateAccount(ctx, oldName, func(a *journal.Account) error { a.Name = newName; return nil })
}

// SetPlanGuard turns the plan-limits-only guard of an account on or off.
func (s *Service) SetPlanGuard(ctx context.Context, name string, on bool) error {
	return s.updateAccount(ctx, name, func(a *journal.Account) error { a.PlanGuard = on; return nil })
}

func (s *Service) updateAccount(ctx context.Context, name string, change func(*journal.Account) error) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	old := a
	if err := change(&a); err != nil {
		return err
	}
	if err := s.db.UpdateAccount(ctx, a); errors.Is(err, journal.ErrExists) {
		return fmt.Errorf("%q: %w", a.Name, api.ErrAccountExists)
	} else if err != nil {
		return fmt.Errorf("update account %q: %w", name, err)
	}
	s.auditAccountChange(ctx, old, a)
	return s.accountsChanged(ctx, a.ID)
}

// setNeedsLogin records that an account's login must be renewed (or was).
func (s *Service) setNeedsLogin(ctx context.Context, id string, needs bool) error {
	all, err := s.db.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	for _, a := range all {
		if a.ID == id {
			if a.NeedsLogin == needs {
				return nil
			}
			a.NeedsLogin = needs
			if err := s.db.UpdateAccount(ctx, a); err != nil {
				return fmt.Errorf("update account: %w", err)
			}
			return s.accountsChanged(ctx, id)
		}
	}
	return api.ErrNoSuchAccount
}

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

// ReplaceAPIKey puts a new key in an API-key account's keyring item,
// keeping its id, settings and history: the remedy for a mistyped or
// revoked key. It clears needs-login. The key is not checked here (see
// CheckAPIKey) and appears in no error.
func (s *Service) ReplaceAPIKey(ctx context.Context, name, key string) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	kind := vault.Kind(a.Kind) // a compatible upstream's key is replaced the same way
	if kind != vault.KindAPIKey && kind != vault.KindUpstream {
		return fmt.Errorf("account %q signs in with a subscription, not an API key: sign in again instead", name)
	}
	if err := checkAPIKey(key); err != nil {
		return err
	}
	return s.Reauthenticate(ctx, name, vault.Credential{Kind: kind, APIKey: key})
}

// headroomSetting is the journal setting holding every account's headroom
// caps as JSON: {account id: {window kind: percent}}. A setting, not a
// column, so the caps need no schema change and vanish with nothing else.
const headroomSetting = "pool.headroom"

// ClearLimit lifts every bench of the named account (the whole account and
// each model family) and forgets its backoff, for limits Sluice cannot see
// lift: a spend limit raised in the Console, a reset granted by support.
// If the limit still holds, the next request benches the account again.
func (s *Service) ClearLimit(ctx context.Context, name string) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	s.pool.ClearLimit(a.ID)
	s.publishAccounts(ctx, a.ID)
	return nil
}

// SetHeadroom makes the named account stop serving once a window of kind
// ("session" for the 5-hour window, "weekly" for the 7-day ones, or another
// window kind) reaches percent utilization, until that window resets, so
// the user keeps room for their own claude.ai use. 0 removes the cap. The
// cap is kept in the journal.
func (s *Service) SetHeadroom(ctx context.Context, name, kind string, percent float64) error {
	if kind == "" {
		return fmt.Errorf("headroom needs a window kind (session, weekly, ...)")
	}
	if math.IsNaN(percent) || percent < 0 || percent > 100 {
		return fmt.Errorf("headroom must be a percentage between 0 and 100")
	}
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	all, err := s.headrooms(ctx)
	if err != nil {
		return err
	}
	caps := all[a.ID]
	if percent == 0 || percent == 100 {
		delete(caps, kind)
	} else {
		if caps == nil {
			caps = map[string]float64{}
			all[a.ID] = caps
		}
		caps[kind] = percent
	}
	if len(caps) == 0 {
		delete(all, a.ID)
	}
	b, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encode headroom: %w", err)
	}
	if err := s.db.SetSetting(ctx, headroomSetting, string(b)); err != nil {
		return fmt.Errorf("save headroom: %w", err)
	}
	return s.accountsChanged(ctx, a.ID)
}

// headrooms reads every account's caps, in percent. An unreadable setting
// is treated as none rather than blocking the pool.
func (s *Service) headrooms(ctx context.Context) (map[string]map[string]float64, error) {
	v, ok, err := s.db.Setting(ctx, headroomSetting)
	if err != nil {
		return nil, fmt.Errorf("load headroom: %w", err)
	}
	all := map[string]map[string]float64{}
	if ok && json.Unmarshal([]byte(v), &all) != nil {
		s.log.Warn("headroom setting unreadable; ignoring it")
		all = map[string]map[string]float64{}
	}
	return all, nil
}

// headroomFractions converts one account's caps to the pool's 0..1 form.
func headroomFractions(caps map[string]float64) map[string]float64 {
	if len(caps) == 0 {
		return nil
	}
	out := make(map[string]float64, len(caps))
	for k, p := range caps {
		out[k] = p / 100
	}
	return out
}
