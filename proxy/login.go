package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sluice-proxy/sluice/vault"
)

// LoginRequest is a browser sign-in that adds an account, or renews the
// login of an existing one.
type LoginRequest struct {
	Name   string
	Mode   vault.Mode // vault.ModeMax (subscription) or vault.ModeConsole (creates an API key)
	Reauth bool       // sign in again to an existing account
	// OpenBrowser opens the sign-in URL (in the background: it may block
	// until the browser exits); nil only prints it. Login waits for the
	// callback, so UIs call it off their UI goroutine.
	OpenBrowser func(url string) error
	// Out receives the sign-in URL, printed whether or not a browser opens.
	Out io.Writer
	// Paste reads "code#state" from In instead of using a loopback callback.
	Paste bool
	In    io.Reader
}

// ErrNoOAuth reports an engine built without OAuth endpoints.
var ErrNoOAuth = errors.New("this Sluice was started without OAuth support")

// Login signs in through the browser with PKCE and stores the result in the
// keyring: a new account, or, with Reauth, the same account (its id,
// settings and history kept) with a fresh login.
func (s *Service) Login(ctx context.Context, req LoginRequest) (AccountView, error) {
	if s.oauth == nil {
		return AccountView{}, ErrNoOAuth
	}
	if req.Mode != vault.ModeMax && req.Mode != vault.ModeConsole {
		return AccountView{}, fmt.Errorf("login mode must be %q or %q", vault.ModeMax, vault.ModeConsole)
	}
	if err := checkName(req.Name); err != nil {
		return AccountView{}, err
	}
	_, err := s.account(ctx, req.Name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, ErrNoSuchAccount):
		return AccountView{}, err
	case exists && !req.Reauth:
		return AccountView{}, fmt.Errorf("%q: %w (sign in again with reauth)", req.Name, ErrAccountExists)
	case !exists && req.Reauth:
		return AccountView{}, err
	}
	// The browser gets a one-shot loopback link, never the authorize URL:
	// a browser's command line is readable by every local user, and the
	// state on it would let one abort the sign-in or plant a code. (The
	// paste flow cannot: its browser may be on another machine.)
	cred, err := s.oauth.Login(ctx, vault.LoginOptions{
		Mode: req.Mode, OpenBrowser: req.OpenBrowser, Out: req.Out, Paste: req.Paste, In: req.In,
		StartLink: !req.Paste,
	})
	if err != nil {
		s.audit(ctx, AuditSignInFailed, req.Name, err.Error())
		return AccountView{}, fmt.Errorf("sign-in failed: %w", err)
	}
	s.audit(ctx, AuditSignInOK, req.Name, string(req.Mode))
	if !req.Reauth {
		return s.addAccount(ctx, req.Name, cred)
	}
	if err := s.Reauthenticate(ctx, req.Name, cred); err != nil {
		return AccountView{}, err
	}
	a, err := s.account(ctx, req.Name)
	if err != nil {
		return AccountView{}, err
	}
	return s.view(a), nil
}
