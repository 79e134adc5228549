package api

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// Values are every user setting in one value (tailscale's Prefs): the
// journal's, the routing ones, the port, the key requirement and start at
// login. The registry (Registry) names, parses and prints each of them;
// `sluice settings --json` prints this shape.
type Values struct {
	Settings
	// ProxySettings' Fixed maps the key of every setting fixed on the
	// command line, whatever its store, to the variable or flag fixing it.
	ProxySettings
	// Port is the proxy's listen port as kept for the next start.
	Port int `json:"port"`
	// RequireKey: requests must carry a client key.
	RequireKey bool `json:"require_key"`
	// StartAtLogin is kept by this computer's login items, not by the
	// engine: the face that shows it reads it (app/autostart), and the
	// engine reports false.
	StartAtLogin bool `json:"start_at_login"`
}

// Scope says when a change to a setting takes effect.
type Scope string

const (
	// ScopeLive settings apply at once: the next request, or (the port)
	// a move of the listener.
	ScopeLive Scope = "live"
	// ScopeComputer settings are kept by this computer, not the database
	// (start-at-login): the face that changes one writes it, and it
	// applies at the next login.
	ScopeComputer Scope = "computer"
)

// Where the engine keeps a setting: the settings-table row its value is
// part of. A change is saved and audited per store.
const (
	StoreJournal    = "journal.settings"
	StoreProxy      = "proxy.settings"
	StorePort       = "proxy.port"
	StoreRequireKey = "require_key"
	StoreComputer   = "" // not the engine's (ScopeComputer)
)

// Keys of the settings that are not proxy settings (those are the
// Setting... constants of settings.go).
const (
	SettingPort             = "port"
	SettingRequireKey       = "require-key"
	SettingStartAtLogin     = "start-at-login"
	SettingCapture          = "capture"
	SettingCaptureMax       = "capture-max"
	SettingRequestRetention = "request-retention"
	SettingPayloadRetention = "payload-retention"
	SettingMaxDBSize        = "max-db-size"
	SettingQuotaWarnings    = "quota-warnings"
)

// Defaults of the settings, before the user changes any.
const (
	DefaultPort            = 8788
	DefaultStrategy        = pool.StrategySession
	DefaultSessionWindow   = 5 * time.Hour
	DefaultRetryAttempts   = 3
	DefaultRetryDelay      = time.Second
	DefaultRequestMaxAge   = 30 * 24 * time.Hour
	DefaultPayloadMaxAge   = 7 * 24 * time.Hour
	DefaultMaxDBBytes      = 500 << 20
	DefaultCaptureMaxBytes = 256 << 10
	MaxCaptureMaxBytes     = 16 << 20
)

// DefaultValues are the settings before the user changes any.
func DefaultValues() Values {
	return Values{
		Settings: Settings{RequestMaxAge: DefaultRequestMaxAge, PayloadMaxAge: DefaultPayloadMaxAge,
			MaxDBBytes: DefaultMaxDBBytes, CaptureMaxBytes: DefaultCaptureMaxBytes},
		ProxySettings: ProxySettings{Strategy: DefaultStrategy, SessionWindow: DefaultSessionWindow,
			RetryAttempts: DefaultRetryAttempts, RetryDelay: DefaultRetryDelay, AllowedOrigins: []string{},
			TrayWindow: TrayWindowClosest},
		Port:       DefaultPort,
		RequireKey: true,
	}
}

// Setting declares one user setting, once: every path (the engine's
// save and audit, "fixed by", `sluice settings`, the Settings tab) reads
// it from here.
type Setting struct {
	// Key names it in `sluice settings set KEY VALUE`, in Fixed and in
	// the audit log.
	Key string
	// Env is the SLUICE_* variable that fixes it for a run of the
	// engine (a change is refused while it is set); "" if none.
	Env string
	// Flag is the `sluice serve` flag that fixes it, like Env; "" if none.
	Flag string
	// DefaultEnv is a variable that changes its default without fixing
	// it (a value the user saves wins); "" if none.
	DefaultEnv string
	// Help says in one line what it does and which values it takes.
	Help string
	// Scope is when a change takes effect.
	Scope Scope
	// Store is where the engine keeps it (Store... constants).
	Store string
	// Format prints the setting of v as Parse reads it back.
	Format func(v Values) string
	// Parse reads and checks a value typed by a user into v: the value
	// of `sluice settings set`, of the window's fields, of a saved
	// setting read back (Check); and of Env, Flag and DefaultEnv, through
	// ParseUnbounded.
	Parse func(v *Values, s string) error
	// Unbounded, if not nil, reads the same spellings as Parse without
	// the bounds of a saved value, which the command line has never had
	// (the port 0 picks a free one; SLUICE_RETRY_ATTEMPTS may be 25): a
	// value fixed there is the user's for that run, is not saved, and
	// Check leaves it out. Nil: the setting has no such bounds.
	Unbounded func(v *Values, s string) error
}

// ParseUnbounded reads value into v by Unbounded, or Parse when the
// setting has no Unbounded: the value of Env, Flag or DefaultEnv, or a
// field whose face leaves the bounds to the engine's Check (which says
// them).
func (s Setting) ParseUnbounded(v *Values, value string) error {
	value = strings.TrimSpace(value)
	if s.Unbounded != nil {
		return s.Unbounded(v, value)
	}
	return s.Parse(v, value)
}

// Default is the setting's built-in default, as Format prints it.
func (s Setting) Default() string { return s.Format(DefaultValues()) }

// Registry lists every user setting, in the order `sluice settings`
// prints them.
func Registry() []Setting { return slices.Clone(registry) }

// LookupSetting finds a setting by key.
func LookupSetting(key string) (Setting, bool) {
	i := slices.IndexFunc(registry, func(s Setting) bool { return s.Key == key })
	if i < 0 {
		return Setting{}, false
	}
	return registry[i], true
}

// SettingKeys are the keys of the registry, in its order.
func SettingKeys() []string {
	keys := make([]string, len(registry))
	for i, s := range registry {
		keys[i] = s.Key
	}
	return keys
}

// SetSetting parses value into v as key's setting, refusing a key that
// does not exist (ErrNoSuchSetting) and one that v.Fixed names
// (ErrSettingFixed, naming the variable or flag).
func SetSetting(v *Values, key, value string) (Setting, error) {
	s, ok := LookupSetting(key)
	if !ok {
		return s, fmt.Errorf("%w %q: want one of %s", ErrNoSuchSetting, key, strings.Join(SettingKeys(), ", "))
	}
	if by := v.Fixed[key]; by != "" {
		return s, fmt.Errorf("%s is fixed by %s for this Sluice; change or unset it there: %w", key, by, ErrSettingFixed)
	}
	if err := s.Parse(v, strings.TrimSpace(value)); err != nil {
		return s, fmt.Errorf("%s %q: %w: %w", key, value, ErrBadSetting, err)
	}
	return s, nil
}

// Check validates the settings of store in v: each value, as Format
// prints it, must read back through its Parse as itself (but for case),
// so a value no spelling gives (a zero retention, which prints as "0d",
// read as forever) is refused. Keys in skip are left out (those fixed on
// the command line, which the command line checked). It returns v with
// each checked value as Parse reads it (canonical: a tray window
// lower-cased) and every error found.
func Check(v Values, store string, skip map[string]string) (Values, error) {
	out := v
	var errs []error
	for _, s := range registry {
		if s.Store != store || skip[s.Key] != "" {
			continue
		}
		printed := s.Format(v)
		if err := s.Parse(&out, printed); err != nil {
			errs = append(errs, err)
		} else if back := s.Format(out); !strings.EqualFold(back, printed) {
			errs = append(errs, fmt.Errorf("%s: %s is not a value it keeps: it reads back as %s", strings.ReplaceAll(s.Key, "-", " "), printed, back))
		}
	}
	return out, errors.Join(errs...)
}

// Diff says what changed between a and b in the settings of store, for
// the audit log: "key old -> new, ..."; "" if nothing did.
func Diff(a, b Values, store string) string {
	var parts []string
	for _, s := range registry {
		if s.Store != store {
			continue
		}
		if x, y := s.Format(a), s.Format(b); x != y {
			parts = append(parts, fmt.Sprintf("%s %s -> %s", s.Key, x, y))
		}
	}
	return strings.Join(parts, ", ")
}

// registry is every setting, declared once, with its bounds: the engine
// validates a whole update (the window's Save) by reading each value
// back through its Parse (Check), and the CLI refuses a typed value
// before it travels.
var registry = []Setting{
	{Key: SettingPort, Env: "SLUICE_PORT", Flag: "--port", Scope: ScopeLive, Store: StorePort,
		Help:      "the proxy's listen port, 1 to 65535: the proxy moves to it at once",
		Format:    func(v Values) string { return strconv.Itoa(v.Port) },
		Parse:     func(v *Values, s string) error { return parsePort(v, s, 1) },
		Unbounded: func(v *Values, s string) error { return parsePort(v, s, 0) }},
	{Key: SettingRequireKey, Env: "SLUICE_REQUIRE_KEY", Scope: ScopeLive, Store: StoreRequireKey,
		Help:   "on: every request must carry a Sluice client key; off: any local program can spend your accounts",
		Format: func(v Values) string { return OnOff(v.RequireKey) },
		Parse:  func(v *Values, s string) (err error) { v.RequireKey, err = ParseOnOff(s); return }},
	{Key: SettingStartAtLogin, Scope: ScopeComputer, Store: StoreComputer,
		Help:   "on: start Sluice in the tray, with no window, when you log in",
		Format: func(v Values) string { return OnOff(v.StartAtLogin) },
		Parse:  func(v *Values, s string) (err error) { v.StartAtLogin, err = ParseOnOff(s); return }},
	{Key: SettingStrategy, Env: "SLUICE_STRATEGY", Flag: "--strategy", Scope: ScopeLive, Store: StoreProxy,
		Help:   "how accounts are picked: " + strings.Join(StrategyNames(), ", "),
		Format: func(v Values) string { return v.Strategy },
		Parse: func(v *Values, s string) error {
			if !slices.Contains(StrategyNames(), s) {
				return fmt.Errorf("unknown strategy %q (want one of %s)", s, strings.Join(StrategyNames(), ", "))
			}
			v.Strategy = s
			return nil
		}},
	{Key: SettingSessionWindow, Env: "SLUICE_SESSION_TTL", Scope: ScopeLive, Store: StoreProxy,
		Help:      "how long a client session keeps its account, e.g. 5h or 30m",
		Format:    func(v Values) string { return ShortDuration(v.SessionWindow) },
		Parse:     func(v *Values, s string) error { return parseSessionWindow(v, s, true) },
		Unbounded: func(v *Values, s string) error { return parseSessionWindow(v, s, false) }},
	{Key: SettingRetries, Env: "SLUICE_RETRY_ATTEMPTS", Scope: ScopeLive, Store: StoreProxy,
		Help:      fmt.Sprintf("retries of a 5xx or unsent request, 0 to %d", MaxRetryAttempts),
		Format:    func(v Values) string { return strconv.Itoa(v.RetryAttempts) },
		Parse:     func(v *Values, s string) error { return parseRetries(v, s, true) },
		Unbounded: func(v *Values, s string) error { return parseRetries(v, s, false) }},
	{Key: SettingRetryDelay, Env: "SLUICE_RETRY_DELAY", Scope: ScopeLive, Store: StoreProxy,
		Help:      "the first retry's delay (then doubled), e.g. 1s or 500ms",
		Format:    func(v Values) string { return v.RetryDelay.String() },
		Parse:     func(v *Values, s string) error { return parseRetryDelay(v, s, true) },
		Unbounded: func(v *Values, s string) error { return parseRetryDelay(v, s, false) }},
	{Key: SettingAllowedOrigins, Env: "SLUICE_ALLOWED_ORIGINS", Scope: ScopeLive, Store: StoreProxy,
		Help: "browser origins allowed to call the proxy, comma-separated (http://localhost:3000,...), or none",
		Format: func(v Values) string {
			if len(v.AllowedOrigins) == 0 {
				return "none"
			}
			return strings.Join(v.AllowedOrigins, ",")
		},
		Parse:     func(v *Values, s string) error { return parseOrigins(v, s, true) },
		Unbounded: func(v *Values, s string) error { return parseOrigins(v, s, false) }},
	{Key: SettingTrayWindow, Scope: ScopeLive, Store: StoreProxy,
		Help:   "the window the tray's account lines show: closest (the one nearest its limit), 5h, 7d, or a window's kind such as 7d_opus",
		Format: func(v Values) string { return cmp.Or(v.TrayWindow, TrayWindowClosest) }, // "" reads as closest
		Parse:  func(v *Values, s string) (err error) { v.TrayWindow, err = ParseTrayWindow(s); return }},
	{Key: SettingOpenAISubscriptions, Scope: ScopeLive, Store: StoreProxy,
		Help:   "on: OpenAI-style requests may use subscription accounts (billed as extra usage); off: API-key accounts only",
		Format: func(v Values) string { return OnOff(v.OpenAISubscriptions) },
		Parse: func(v *Values, s string) error {
			switch strings.ToLower(s) {
			case "on":
				v.OpenAISubscriptions = true
			case "off":
				v.OpenAISubscriptions = false
			default:
				return fmt.Errorf("want on or off")
			}
			return nil
		}},
	{Key: SettingCapture, Scope: ScopeLive, Store: StoreJournal,
		Help:   "store request and response bodies, redacted and encrypted: on or off",
		Format: func(v Values) string { return OnOff(v.Capture) },
		Parse:  func(v *Values, s string) (err error) { v.Capture, err = ParseOnOff(s); return }},
	{Key: SettingCaptureMax, Scope: ScopeLive, Store: StoreJournal,
		Help:   "cap on each captured body, e.g. 256KB or 1MB",
		Format: func(v Values) string { return SizeText(int64(v.CaptureMaxBytes)) },
		Parse: func(v *Values, s string) error {
			n, err := ParseSize(s)
			if err != nil || n <= 0 || n > MaxCaptureMaxBytes {
				return fmt.Errorf("the capture cap: want a size like 256KB or 1MB, at most 16MB")
			}
			v.CaptureMaxBytes = int(n)
			return nil
		}},
	{Key: SettingRequestRetention, DefaultEnv: "SLUICE_RETENTION", Scope: ScopeLive, Store: StoreJournal,
		Help:   "how long request records are kept, e.g. 30d, or forever",
		Format: func(v Values) string { return AgeText(v.RequestMaxAge) },
		Parse: func(v *Values, s string) (err error) {
			if v.RequestMaxAge, err = ParseRetention(s); err != nil {
				return fmt.Errorf("request retention: %w", err)
			}
			return nil
		}},
	{Key: SettingPayloadRetention, Scope: ScopeLive, Store: StoreJournal,
		Help:   "how long captured payloads are kept, e.g. 7d, or forever",
		Format: func(v Values) string { return AgeText(v.PayloadMaxAge) },
		Parse: func(v *Values, s string) (err error) {
			if v.PayloadMaxAge, err = ParseRetention(s); err != nil {
				return fmt.Errorf("payload retention: %w", err)
			}
			return nil
		}},
	{Key: SettingMaxDBSize, Scope: ScopeLive, Store: StoreJournal,
		Help: "the database size cap, e.g. 500MB or 2GB, or none",
		Format: func(v Values) string {
			if v.MaxDBBytes < 0 {
				return "none"
			}
			return SizeText(v.MaxDBBytes)
		},
		Parse: func(v *Values, s string) error {
			if s == "none" || s == "off" {
				v.MaxDBBytes = -1
				return nil
			}
			n, err := ParseSize(s)
			if err != nil || n < 1<<20 {
				return fmt.Errorf("the database size cap: want a size like 500MB (at least 1MB), or none")
			}
			v.MaxDBBytes = n
			return nil
		}},
	{Key: SettingQuotaWarnings, Scope: ScopeLive, Store: StoreJournal,
		Help: "warn when a window reaches these percents (and when its pace runs it out early): e.g. 75,90, or off",
		Format: func(v Values) string {
			if v.QuotaWarnings == "" {
				return DefaultQuotaWarnings
			}
			return v.QuotaWarnings
		},
		Parse: func(v *Values, s string) error {
			if _, err := ParseQuotaWarnings(s); err != nil {
				return err
			}
			v.QuotaWarnings = s
			return nil
		}},
}
