package proxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

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
