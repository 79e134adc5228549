package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// ProxySettings are the routing settings the window and `sluice settings
// set` change while the proxy runs: they apply to the next request, are
// kept in the database, and a value fixed on the command line (a SLUICE_*
// variable or a flag, see Config.Fixed) wins over the stored one.
type ProxySettings struct {
	// Strategy picks accounts: one of StrategyNames.
	Strategy string `json:"strategy"`
	// SessionWindow is how long a client session sticks to one account
	// after its last request.
	SessionWindow time.Duration `json:"session_window_ns"`
	// RetryAttempts is how many times a 5xx answer or a failure before the
	// request was sent is retried; 0: never.
	RetryAttempts int `json:"retry_attempts"`
	// RetryDelay is the first retry's delay; each next one doubles it
	// (Config.RetryBackoff).
	RetryDelay time.Duration `json:"retry_delay_ns"`
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// to call the proxy; empty allows none.
	AllowedOrigins []string `json:"allowed_origins"`
	// Fixed maps the key (SettingStrategy, ...) of each setting fixed on
	// the command line to the variable or flag fixing it. Read only:
	// UpdateProxySettings refuses to change a fixed value.
	Fixed map[string]string `json:"fixed,omitempty"`
}

// Keys of the proxy settings, as `sluice settings set` and
// ProxySettings.Fixed name them.
const (
	SettingStrategy       = "strategy"
	SettingSessionWindow  = "session-window"
	SettingRetries        = "retries"
	SettingRetryDelay     = "retry-delay"
	SettingAllowedOrigins = "allowed-origins"
)

// Bounds of the proxy settings. A session window under a minute is no
// affinity at all; over a week it outlives every usage window. Retries
// past ten, or a first delay past the one-minute backoff cap, only make a
// client wait for an upstream that is down.
const (
	MinSessionWindow  = time.Minute
	MaxSessionWindow  = 7 * 24 * time.Hour
	MaxRetryAttempts  = 10
	MinRetryDelay     = time.Millisecond
	MaxRetryDelay     = time.Minute
	maxAllowedOrigins = 64
)

// StrategyNames lists the strategies, in the order a settings screen
// offers them.
func StrategyNames() []string { return pool.StrategyNames() }

// StrategyDescription says in one line what a strategy does.
func StrategyDescription(name string) string {
	switch name {
	case pool.StrategySession:
		return "Each client session sticks to one account (its prompt cache stays warm); new sessions go to the least busy account."
	case pool.StrategyPriority:
		return "Always the account with the lowest priority number; the next one only when it is limited."
	case pool.StrategyRoundRobin:
		return "API-key accounts take turns request by request; sessions on subscriptions stay on their account."
	case pool.StrategyLeastUsed:
		return "The account with the most room left in its usage windows; sessions on subscriptions stay on their account."
	case pool.StrategyDrainSoonest:
		return "New sessions go to the account whose weekly window resets first, so its quota is not lost."
	}
	return ""
}

// proxySettingsKey is the settings-table row holding ProxySettings as JSON
// (Fixed left out).
const proxySettingsKey = "proxy.settings"

// proxyState holds the proxy settings in force. Requests read them through
// one atomic load; updates are serialised.
type proxyState struct {
	cur    atomic.Pointer[ProxySettings]
	update sync.Mutex
}

// configProxySettings are the proxy settings the Config gives: defaults,
// or the command line's.
func (s *Service) configProxySettings() ProxySettings {
	ps := ProxySettings{
		Strategy:      s.cfg.Strategy,
		SessionWindow: s.cfg.SessionTTL,
		RetryAttempts: max(s.cfg.RetryAttempts, 0), // Config: negative means none
		RetryDelay:    s.cfg.RetryDelay,
	}
	for _, o := range s.cfg.AllowedOrigins {
		if c, err := ParseOrigin(o); err == nil {
			o = c // as UpdateProxySettings would keep it
		}
		ps.AllowedOrigins = append(ps.AllowedOrigins, o)
	}
	for _, k := range []string{SettingStrategy, SettingSessionWindow, SettingRetries, SettingRetryDelay, SettingAllowedOrigins} {
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
func (s *Service) proxySettings() *ProxySettings {
	if p := s.px.cur.Load(); p != nil {
		return p
	}
	ps := s.configProxySettings()
	return &ps
}

// ProxySettings returns the proxy settings in force.
func (s *Service) ProxySettings() ProxySettings {
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
	var stored ProxySettings
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
func mergeFixed(want, cur ProxySettings) ProxySettings {
	out := want
	out.Fixed = cur.Fixed
	if cur.Fixed[SettingStrategy] != "" {
		out.Strategy = cur.Strategy
	}
	if cur.Fixed[SettingSessionWindow] != "" {
		out.SessionWindow = cur.SessionWindow
	}
	if cur.Fixed[SettingRetries] != "" {
		out.RetryAttempts = cur.RetryAttempts
	}
	if cur.Fixed[SettingRetryDelay] != "" {
		out.RetryDelay = cur.RetryDelay
	}
	if cur.Fixed[SettingAllowedOrigins] != "" {
		out.AllowedOrigins = cur.AllowedOrigins
	}
	return out
}

// applyProxySettings makes ps the settings in force: the pool first (the
// one part that can refuse), then the snapshot requests read.
func (s *Service) applyProxySettings(old, ps ProxySettings) error {
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
func (s *Service) UpdateProxySettings(ctx context.Context, ps ProxySettings) error {
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
	s.events.publish(Event{Kind: EventSettings, Time: s.now()})
	return nil
}

// EventSettings: the proxy settings changed (the window and the tray
// re-read them).
const EventSettings EventKind = "settings"

// normalize validates ps and puts its origins in canonical form
// (lower-case, no trailing slash, no duplicates). Values fixed on the
// command line (ps.Fixed) are left as they are: the command line checked
// them, and fixedChanged refuses any change to them.
func normalize(ps ProxySettings) (ProxySettings, error) {
	// The result becomes the live snapshot requests read: it must not
	// share the caller's slice, which the caller may change later.
	ps.AllowedOrigins = slices.Clone(ps.AllowedOrigins)
	var errs []error
	free := func(key string) bool { return ps.Fixed[key] == "" }
	if free(SettingStrategy) && !slices.Contains(StrategyNames(), ps.Strategy) {
		errs = append(errs, fmt.Errorf("unknown strategy %q (want one of %s)", ps.Strategy, strings.Join(StrategyNames(), ", ")))
	}
	if free(SettingSessionWindow) && (ps.SessionWindow < MinSessionWindow || ps.SessionWindow > MaxSessionWindow) {
		errs = append(errs, fmt.Errorf("the session window must be between %s and %s, not %s", MinSessionWindow, MaxSessionWindow, ps.SessionWindow))
	}
	if free(SettingRetries) && (ps.RetryAttempts < 0 || ps.RetryAttempts > MaxRetryAttempts) {
		errs = append(errs, fmt.Errorf("retries must be between 0 and %d, not %d", MaxRetryAttempts, ps.RetryAttempts))
	}
	if free(SettingRetryDelay) && (ps.RetryDelay < MinRetryDelay || ps.RetryDelay > MaxRetryDelay) {
		errs = append(errs, fmt.Errorf("the first retry delay must be between %s and %s, not %s", MinRetryDelay, MaxRetryDelay, ps.RetryDelay))
	}
	if !free(SettingAllowedOrigins) {
		return ps, errors.Join(errs...)
	}
	if len(ps.AllowedOrigins) > maxAllowedOrigins {
		errs = append(errs, fmt.Errorf("at most %d allowed origins", maxAllowedOrigins))
	}
	origins := make([]string, 0, len(ps.AllowedOrigins))
	for _, o := range ps.AllowedOrigins {
		c, err := ParseOrigin(o)
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

// ParseOrigin reads a browser origin, scheme://host[:port], as the Origin
// header carries it: lower-cased, a trailing "/" dropped. A path, query,
// fragment or user name is refused: an origin has none, and an entry with
// one would never match.
func ParseOrigin(o string) (string, error) {
	o = strings.TrimSuffix(strings.TrimSpace(o), "/")
	bad := fmt.Errorf("%q is not an origin like http://localhost:3000 (scheme://host[:port], no path)", o)
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" ||
		u.User != nil || u.Opaque != "" || strings.ContainsAny(o, "?#") {
		return "", bad
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscan(p, &n); err != nil || n < 1 || n > 65535 {
			return "", bad
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host), nil
}

// fixedChanged refuses a change to a value the command line fixed.
func fixedChanged(old, ps ProxySettings) error {
	var errs []error
	check := func(key string, same bool) {
		if by := old.Fixed[key]; by != "" && !same {
			errs = append(errs, fmt.Errorf("%s is fixed by %s; change or unset it there", key, by))
		}
	}
	check(SettingStrategy, old.Strategy == ps.Strategy)
	check(SettingSessionWindow, old.SessionWindow == ps.SessionWindow)
	check(SettingRetries, old.RetryAttempts == ps.RetryAttempts)
	check(SettingRetryDelay, old.RetryDelay == ps.RetryDelay)
	check(SettingAllowedOrigins, slices.Equal(old.AllowedOrigins, ps.AllowedOrigins))
	return errors.Join(errs...)
}

// proxySettingsDiff says what changed, for the audit log; "" if nothing.
func proxySettingsDiff(a, b ProxySettings) string {
	var parts []string
	add := func(name string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			parts = append(parts, fmt.Sprintf("%s %v -> %v", name, x, y))
		}
	}
	add(SettingStrategy, a.Strategy, b.Strategy)
	add(SettingSessionWindow, a.SessionWindow, b.SessionWindow)
	add(SettingRetries, a.RetryAttempts, b.RetryAttempts)
	add(SettingRetryDelay, a.RetryDelay, b.RetryDelay)
	add(SettingAllowedOrigins, originsText(a.AllowedOrigins), originsText(b.AllowedOrigins))
	return strings.Join(parts, ", ")
}

func originsText(o []string) string {
	if len(o) == 0 {
		return "none"
	}
	return strings.Join(o, ",")
}

// ShortDuration is d as the settings show it, without the zero units Go
// prints: 5h, 1h30m, 90s (time.Duration's "5h0m0s" otherwise).
func ShortDuration(d time.Duration) string {
	t := d.String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}
