package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/vault"
)

// checkName keeps names printable and short: they show in menus and logs.
func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("account name must be 1-64 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) || (unicode.IsSpace(r) && r != ' ') {
			return fmt.Errorf("account name must not contain control or whitespace characters other than spaces")
		}
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("account name must not start or end with a space")
	}
	return nil
}

// checkAPIKey rejects what cannot be an API key without ever echoing it.
func checkAPIKey(key string) error {
	if key == "" {
		return errors.New("the API key is empty")
	}
	if len(key) > 512 {
		return errors.New("the API key is longer than 512 characters")
	}
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return errors.New("the API key contains spaces or non-printable characters")
		}
	}
	return nil
}

// AddAPIKey adds a Console API-key account. The key goes to the keyring;
// only the account's metadata goes to the journal.
func (s *Service) AddAPIKey(ctx context.Context, name, key string) (api.AccountView, error) {
	return s.addAccount(ctx, name, vault.Credential{Kind: vault.KindAPIKey, APIKey: key})
}

// AddCredential adds an account holding c (an API key or an OAuth login).
func (s *Service) AddCredential(ctx context.Context, name string, c vault.Credential) (api.AccountView, error) {
	return s.addAccount(ctx, name, c)
}

func (s *Service) addAccount(ctx context.Context, name string, c vault.Credential) (api.AccountView, error) {
	return s.addAccountWith(ctx, name, c, nil)
}

// addAccountWith is addAccount with save, when not nil, storing what else
// goes with the new account (an upstream's configuration) before the pool
// sees it; the account is removed again if save fails.
func (s *Service) addAccountWith(ctx context.Context, name string, c vault.Credential, save func(ctx context.Context, id string) error) (api.AccountView, error) {
	if err := checkName(name); err != nil {
		return api.AccountView{}, err
	}
	switch c.Kind {
	case vault.KindAPIKey, vault.KindUpstream:
		if err := checkAPIKey(c.APIKey); err != nil {
			return api.AccountView{}, err
		}
	case vault.KindOAuth:
		if c.AccessToken == "" && c.RefreshToken == "" {
			return api.AccountView{}, errors.New("the login returned no token")
		}
	default:
		return api.AccountView{}, fmt.Errorf("unknown credential kind %q", c.Kind)
	}
	if _, err := s.db.AccountByName(ctx, name); err == nil {
		return api.AccountView{}, fmt.Errorf("%q: %w", name, api.ErrAccountExists)
	} else if !errors.Is(err, journal.ErrNotFound) {
		return api.AccountView{}, fmt.Errorf("look up account: %w", err)
	}
	id, err := newID()
	if err != nil {
		return api.AccountView{}, err
	}
	all, err := s.db.Accounts(ctx)
	if err != nil {
		return api.AccountView{}, fmt.Errorf("list accounts: %w", err)
	}
	prio := 0
	for _, a := range all {
		prio = max(prio, a.Priority+1)
	}
	// Keyring first: an account row without its credential would be
	// unusable, while a stray keyring item is removed below on failure.
	if err := s.keyring.Put(id, c); err != nil {
		return api.AccountView{}, fmt.Errorf("store credential in keyring: %w", err)
	}
	a := journal.Account{
		ID: id, Name: name, Kind: string(c.Kind), Priority: prio,
		PlanGuard: api.Kind(c.Kind).Subscription(), CreatedAt: s.now(),
	}
	if err := s.db.InsertAccount(ctx, a); err != nil {
		_ = s.keyring.Delete(id)
		if errors.Is(err, journal.ErrExists) {
			return api.AccountView{}, fmt.Errorf("%q: %w", name, api.ErrAccountExists)
		}
		return api.AccountView{}, fmt.Errorf("save account: %w", err)
	}
	if save != nil {
		if err := save(ctx, id); err != nil {
			_ = s.db.DeleteAccount(ctx, id)
			_ = s.keyring.Delete(id)
			return api.AccountView{}, fmt.Errorf("save account: %w", err)
		}
	}
	s.audit(ctx, AuditAccountAdded, name, string(c.Kind))
	if err := s.accountsChanged(ctx, id); err != nil {
		return api.AccountView{}, err
	}
	return s.view(a), nil
}

// RemoveAccount deletes an account's metadata and its keyring item. Its
// request history stays in the log.
func (s *Service) RemoveAccount(ctx context.Context, name string) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	if err := s.db.DeleteAccount(ctx, a.ID); err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	s.audit(ctx, AuditAccountRemoved, a.Name, "")
	if err := s.keyring.Delete(a.ID); err != nil {
		return fmt.Errorf("account removed, but its keyring item could not be deleted: %w", err)
	}
	return s.accountsChanged(ctx, a.ID)
}

// Accounts lists every account with its live state, by priority.
func (s *Service) Accounts(ctx context.Context) ([]api.AccountView, error) {
	all, err := s.db.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out := make([]api.AccountView, 0, len(all))
	for _, a := range all {
		out = append(out, s.view(a))
	}
	return out, nil
}

// account finds an account by name.
func (s *Service) account(ctx context.Context, name string) (journal.Account, error) {
	a, err := s.db.AccountByName(ctx, name)
	if errors.Is(err, journal.ErrNotFound) {
		return a, fmt.Errorf("%q: %w", name, api.ErrNoSuchAccount)
	}
	if err != nil {
		return a, fmt.Errorf("look up account: %w", err)
	}
	return a, nil
}

// accountsChanged re-reads the accounts into the pool and tells subscribers.
func (s *Service) accountsChanged(ctx context.Context, id string) error {
	if err := s.syncPool(ctx); err != nil {
		return err
	}
	s.publishAccounts(ctx, id)
	return nil
}

func (s *Service) syncPool(ctx context.Context) error {
	all, err := s.db.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("load accounts: %w", err)
	}
	caps, err := s.headrooms(ctx)
	if err != nil {
		return err
	}
	accts := make([]pool.Account, 0, len(all))
	for _, a := range all {
		pa := poolAccount(a)
		pa.Headroom = headroomFractions(caps[a.ID])
		accts = append(accts, pa)
	}
	if err := s.loadRoutes(ctx, accts); err != nil {
		return err
	}
	s.pool.SetAccounts(accts)
	return nil
}

func poolAccount(a journal.Account) pool.Account {
	return pool.Account{
		ID: a.ID, Name: a.Name, Kind: a.Kind, Priority: a.Priority,
		Paused: a.Paused, PlanGuard: a.PlanGuard, NeedsLogin: a.NeedsLogin,
	}
}

// view joins an account's metadata with its live pool state.
func (s *Service) view(a journal.Account) api.AccountView {
	v := api.AccountView{
		ID: a.ID, Name: a.Name, Kind: api.Kind(a.Kind), Priority: a.Priority,
		Paused: a.Paused, PlanGuard: a.PlanGuard, CreatedAt: a.CreatedAt, State: api.StateOK,
	}
	v.Upstream = s.upstreamView(a.ID)
	st, ok := s.pool.Status(a.ID)
	if !ok {
		if a.Paused {
			v.State = api.StatePaused
		}
		return v
	}
	v.State = api.State(st.State)
	v.LimitedUntil = st.LimitedUntil
	v.Reason = st.Reason
	v.Windows = make([]api.Window, 0, len(st.Limits.Windows))
	paces := s.pool.Pace(a.ID)
	for _, w := range st.Limits.Windows {
		v.Windows = append(v.Windows, withPace(window(w), w, paces))
	}
	for _, sl := range st.Scoped {
		v.ScopedLimits = append(v.ScopedLimits, api.ScopedLimit{Family: sl.Family, Until: sl.Until, Reason: sl.Reason})
	}
	for k, f := range st.Account.Headroom {
		if v.Headroom == nil {
			v.Headroom = map[string]float64{}
		}
		v.Headroom[k] = f * 100
	}
	v.FiveHour = withPace(window(st.Limits.FiveHour), st.Limits.FiveHour, paces)
	v.SevenDay = window(st.Limits.SevenDay)
	v.SevenDayOpus = window(st.Limits.SevenDayOpus)
	v.SevenDaySonnet = window(st.Limits.SevenDaySonnet)
	v.WindowRequests = st.WindowRequests
	v.WindowTokens = st.WindowTokens
	return v
}

func window(w pool.Window) api.Window {
	return api.Window{
		Name: w.Name, Kind: w.Kind, Scope: w.Scope, Status: w.Status, Severity: w.Severity,
		Utilization: w.Utilization, ResetsAt: w.ResetsAt,
	}
}

// UsableAccounts counts accounts a request could be sent to right now.
func (s *Service) UsableAccounts() int {
	n := 0
	for _, st := range s.pool.Snapshot() {
		if api.State(st.State).Usable() {
			n++
		}
	}
	return n
}
