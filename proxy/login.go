package proxy

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/vault"
)

// Login signs in through the browser with PKCE and stores the result in the
// keyring: a new account, or, with Reauth, the same account (its id,
// settings and history kept) with a fresh login.
func (s *Service) Login(ctx context.Context, req api.LoginRequest) (api.AccountView, error) {
	if s.oauth == nil {
		return api.AccountView{}, api.ErrNoOAuth
	}
	if req.Mode != api.ModeMax && req.Mode != api.ModeConsole {
		return api.AccountView{}, fmt.Errorf("login mode must be %q or %q", vault.ModeMax, vault.ModeConsole)
	}
	if err := checkName(req.Name); err != nil {
		return api.AccountView{}, err
	}
	_, err := s.account(ctx, req.Name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, api.ErrNoSuchAccount):
		return api.AccountView{}, err
	case exists && !req.Reauth:
		return api.AccountView{}, fmt.Errorf("%q: %w (sign in again with reauth)", req.Name, api.ErrAccountExists)
	case !exists && req.Reauth:
		return api.AccountView{}, err
	}
	// The browser gets a one-shot loopback link, never the authorize URL:
	// a browser's command line is readable by every local user, and the
	// state on it would let one abort the sign-in or plant a code. (The
	// paste flow cannot: its browser may be on another machine.)
	cred, err := s.oauth.Login(ctx, vault.LoginOptions{
		Mode: vault.Mode(req.Mode), OpenBrowser: req.OpenBrowser, Out: req.Out, Paste: req.Paste, In: req.In,
		StartLink: !req.Paste,
	})
	if err != nil {
		s.audit(ctx, AuditSignInFailed, req.Name, err.Error())
		return api.AccountView{}, fmt.Errorf("sign-in failed: %w", err)
	}
	s.audit(ctx, AuditSignInOK, req.Name, string(req.Mode))
	if !req.Reauth {
		return s.addAccount(ctx, req.Name, cred)
	}
	if err := s.Reauthenticate(ctx, req.Name, cred); err != nil {
		return api.AccountView{}, err
	}
	a, err := s.account(ctx, req.Name)
	if err != nil {
		return api.AccountView{}, err
	}
	return s.view(a), nil
}
