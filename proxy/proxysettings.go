package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// proxySettingsKey is the settings-table row holding ProxySettings as JSON
// (Fixed left out).
const proxySettingsKey = "proxy.settings"

// proxyState holds the proxy settings in force. Requests read them through
// one atomic load; updates are serialised.
type proxyState struct {
	cur    atomic.Pointer[api.ProxySettings]
	update sync.Mutex
}

// configProxySettings are the proxy settings the Config gives: defaults,
// or the command line's.
func (s *Service) configProxySettings() api.ProxySettings {
	ps := api.ProxySettings{
		Strategy:      s.cfg.Strategy,
		SessionWindow: s.cfg.SessionTTL,
		RetryAttempts: max(s.cfg.RetryAttempts, 0), // Config: negative means none
		RetryDelay:    s.cfg.RetryDelay,
		TrayWindow:    api.TrayWindowClosest,
	}
	for _, o := range s.cfg.AllowedOrigins {
		if c, err := api.ParseOrigin(o); err == nil {
			o = c // as UpdateProxySettings would keep it
		}
		ps.AllowedOrigins = append(ps.AllowedOrigins, o)
	}
	// Fixed names every fixed setting of the registry, whatever its store
	// (the port, the key requirement too): one map says what is fixed.
	for _, k := range api.SettingKeys() {
		if by := s.cfg.Fixed[k]; by != "" {
			if ps.Fixed == nil {
				ps.Fixed = map[string]string{}
			}
			ps.Fixed[k] = by
		}
	}
	return ps
}

// proxySettings is the snapshot requests read. Never nil after New.
func (s *Service) proxySettings() *api.ProxySettings {
	if p := s.px.cur.Load(); p != nil {
		return p
	}
	ps := s.configProxySettings()
	return &ps
}

// ProxySettings returns the proxy settings in force.
func (s *Service) ProxySettings() api.ProxySettings {
	ps := *s.proxySettings()
	ps.AllowedOrigins = slices.Clone(ps.AllowedOrigins)
	if ps.AllowedOrigins == nil {
		ps.AllowedOrigins = []string{}
	}
	ps.Fixed = maps.Clone(ps.Fixed)
	return ps
}

// loadProxySettings puts the stored settings over the Config's, except
// those the command line fixed, and applies them to the pool. A stored
// value that no longer validates is ignored with a warning: the engine
// starts with the Config's.
func (s *Service) loadProxySettings(ctx context.Context) error {
	base := s.configProxySettings()
	s.px.cur.Store(&base)
	raw, ok, err := s.db.Setting(ctx, proxySettingsKey)
	if err != nil {
		return fmt.Errorf("proxy: read the saved proxy settings: %w", err)
	}
	if !ok {
		return nil
	}
	var stored api.ProxySettings
	if err := json.Unmarshal([]byte(raw), &stored); err != nil {
		s.log.Warn("ignoring saved proxy settings that do not parse", "err", err)
		return nil
	}
	ps := mergeFixed(stored, base)
	if ps, err = normalize(ps); err != nil {
		s.log.Warn("ignoring saved proxy settings that are not valid", "err", err)
		return nil
	}
	if err := s.applyProxySettings(base, ps); err != nil {
		s.log.Warn("ignoring saved proxy settings", "err", err)
	}
	return nil
}

// mergeFixed takes want's values except where cur says a value is fixed.
func mergeFixed(want, cur api.ProxySettings) api.ProxySettings {
	out := want
	out.Fixed = cur.Fixed
	if cur.Fixed[api.SettingStrategy] != "" {
		out.Strategy = cur.Strategy
	}
	if cur.Fixed[api.SettingSessionWindow] != "" {
		out.SessionWindow = cur.SessionWindow
	}
	if cur.Fixed[api.SettingRetries] != "" {
		out.RetryAttempts = cur.RetryAttempts
	}
	if cur.Fixed[api.SettingRetryDelay] != "" {
		out.RetryDelay = cur.RetryDelay
	}
	if cur.Fixed[api.SettingAllowedOrigins] != "" {
		out.AllowedOrigins = cur.AllowedOrigins
	}
	return out
}

// applyProxySettings makes ps the settings in force: the pool first (the
// one part that can refuse), then the snapshot requests read.
func (s *Service) applyProxySettings(old, ps api.ProxySettings) error {
	switch {
	case ps.Strategy != old.Strategy:
		if err := s.pool.SetStrategy(ps.Strategy, ps.SessionWindow); err != nil {
			return fmt.Errorf("proxy: set strategy: %w", err)
		}
	case ps.SessionWindow != old.SessionWindow:
		s.pool.SetSessionTTL(ps.SessionWindow)
	}
	s.px.cur.Store(&ps)
	return nil
}

// UpdateProxySettings validates ps, keeps it for the next start and applies
// it to the next request: a new strategy or session window re-picks
// sessions' accounts, retries and allowed origins apply at once. Changing a
// value fixed on the command line is refused, naming what fixes it. The
// change goes to the audit log and subscribers get EventSettings.
func (s *Service) UpdateProxySettings(ctx context.Context, ps api.ProxySettings) error {
	s.px.update.Lock()
	defer s.px.update.Unlock()
	old := s.ProxySettings()
	ps.Fixed = old.Fixed
	ps, err := normalize(ps)
	if err != nil {
		return fmt.Errorf("proxy settings: %w", err)
	}
	if err := fixedChanged(old, ps); err != nil {
		return fmt.Errorf("proxy settings: %w", err)
	}
	diff := proxySettingsDiff(old, ps)
	if diff == "" {
		return nil
	}
	stored := ps
	stored.Fixed = nil
	raw, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("proxy settings: save: %w", err)
	}
	if err := s.db.SetSetting(ctx, proxySettingsKey, string(raw)); err != nil {
		return fmt.Errorf("proxy settings: save: %w", err)
	}
	if err := s.applyProxySettings(old, ps); err != nil {
		return err
	}
	s.audit(ctx, AuditSettingsChanged, "proxy", diff)
	s.publishSettings()
	return nil
}

// normalize validates ps and puts its origins in canonical form
// (lower-case, no trailing slash, no duplicates). Each value is checked by
// its Parse in the registry (api.Check: the bounds live there); values
// fixed on the command line (ps.Fixed) are left as they are: the command
// line checked them, and fixedChanged refuses any change to them.
func normalize(ps api.ProxySettings) (api.ProxySettings, error) {
	// The result becomes the live snapshot requests read: it must not
	// share the caller's slice, which the caller may change later.
	ps.AllowedOrigins = slices.Clone(ps.AllowedOrigins)
	free := func(key string) bool { return ps.Fixed[key] == "" }
	// The origins are checked one by one below, each error said once.
	skip := map[string]string{api.SettingAllowedOrigins: "below"}
	maps.Copy(skip, ps.Fixed)
	v, err := api.Check(api.Values{ProxySettings: ps}, api.StoreProxy, skip)
	ps = v.ProxySettings
	errs := []error{err}
	if !free(api.SettingAllowedOrigins) {
		return ps, errors.Join(errs...)
	}
	if len(ps.AllowedOrigins) > api.MaxAllowedOrigins {
		errs = append(errs, fmt.Errorf("at most %d allowed origins", api.MaxAllowedOrigins))
	}
	origins := make([]string, 0, len(ps.AllowedOrigins))
	for _, o := range ps.AllowedOrigins {
		c, err := api.ParseOrigin(o)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(origins, c) {
			origins = append(origins, c)
		}
	}
	ps.AllowedOrigins = origins
	return ps, errors.Join(errs...)
}

// fixedChanged refuses a change to a value the command line fixed.
func fixedChanged(old, ps api.ProxySettings) error {
	var errs []error
	check := func(key string, same bool) {
		if by := old.Fixed[key]; by != "" && !same {
			errs = append(errs, fmt.Errorf("%s is fixed by %s for this Sluice; change or unset it there: %w", key, by, api.ErrSettingFixed))
		}
	}
	check(api.SettingStrategy, old.Strategy == ps.Strategy)
	check(api.SettingSessionWindow, old.SessionWindow == ps.SessionWindow)
	check(api.SettingRetries, old.RetryAttempts == ps.RetryAttempts)
	check(api.SettingRetryDelay, old.RetryDelay == ps.RetryDelay)
	check(api.SettingAllowedOrigins, slices.Equal(old.AllowedOrigins, ps.AllowedOrigins))
	return errors.Join(errs...)
}

// proxySettingsDiff says what changed, for the audit log; "" if nothing.
func proxySettingsDiff(a, b api.ProxySettings) string {
	return api.Diff(api.Values{ProxySettings: a}, api.Values{ProxySettings: b}, api.StoreProxy)
}
