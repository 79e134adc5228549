package api

import (
	"fmt"
	"net/url"
	"strings"
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
	// TrayWindow picks the usage window the tray's account lines show:
	// TrayWindowClosest (the default; "" reads as it), "5h", "7d", or a
	// window's kind or name ("7d_opus", "rpm"). See ParseTrayWindow.
	TrayWindow string `json:"tray_window,omitempty"`
	// OpenAISubscriptions lets OpenAI-style requests (/v1/chat/completions)
	// use subscription accounts. Off by default: Anthropic bills
	// third-party traffic on a subscription as extra usage, or refuses it,
	// so these requests go to API-key accounts only.
	OpenAISubscriptions bool `json:"openai_subscriptions,omitempty"`
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
	SettingTrayWindow     = "tray-window"
	// SettingOpenAISubscriptions is OpenAISubscriptions (on or off).
	SettingOpenAISubscriptions = "openai-subscriptions"
)

// TrayWindowClosest is the tray-window setting that shows, per account,
// the window closest to its limit.
const TrayWindowClosest = "closest"

// ParseTrayWindow checks a tray-window value: "closest", "5h", "7d", or
// the kind or name of a window as the engine reports it (the limit
// headers name new windows, so any such token is taken). "" is "closest".
func ParseTrayWindow(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return TrayWindowClosest, nil
	}
	if len(v) > 32 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return "", fmt.Errorf("tray window %q: want closest, 5h, 7d or a window's kind such as 7d_opus", v)
	}
	return v, nil
}

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
	MaxAllowedOrigins = 64
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
