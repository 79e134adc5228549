package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/redact"
	"github.com/sluice-proxy/sluice/vault"
)

// Settings are everything a command needs to open the engine, read from the
// SLUICE_* environment and overridden by flags.
type Settings struct {
	Proxy     proxy.Config
	Vault     vault.Config
	OAuth     vault.Endpoints
	DataDir   string
	LogLevel  slog.Level
	LogFormat string // text or json
}

// Env looks up an environment variable (os.Getenv in production).
type Env func(string) string

// LoadSettings reads the SLUICE_* environment.
func LoadSettings(env Env, version string) (Settings, error) {
	s := Settings{
		Proxy: proxy.Config{
			Port:     proxy.DefaultPort,
			Host:     env("SLUICE_HOST"),
			Upstream: env("SLUICE_UPSTREAM"),
			UsageURL: env("SLUICE_USAGE_URL"),
			Strategy: env("SLUICE_STRATEGY"),
			Version:  version,
		},
		Vault: vault.Config{
			Backend:          env("SLUICE_KEYRING"),
			FilePassword:     env("SLUICE_KEYRING_PASSWORD"),
			FilePasswordFile: env("SLUICE_KEYRING_PASSWORD_FILE"),
			Collection:       env("SLUICE_KEYRING_COLLECTION"),
		},
		OAuth:     vault.DefaultEndpoints(),
		DataDir:   env("SLUICE_DATA_DIR"),
		LogFormat: env("SLUICE_LOG_FORMAT"),
	}
	override := func(dst *string, name string) {
		if v := env(name); v != "" {
			*dst = v
		}
	}
	override(&s.OAuth.MaxAuthorizeURL, "SLUICE_OAUTH_AUTHORIZE_URL")
	override(&s.OAuth.ConsoleAuthorizeURL, "SLUICE_OAUTH_CONSOLE_AUTHORIZE_URL")
	override(&s.OAuth.TokenURL, "SLUICE_OAUTH_TOKEN_URL")
	override(&s.OAuth.APIKeyURL, "SLUICE_OAUTH_API_KEY_URL")
	override(&s.OAuth.ManualRedirectURL, "SLUICE_OAUTH_MANUAL_REDIRECT_URL")
	override(&s.OAuth.ClientID, "SLUICE_OAUTH_CLIENT_ID")
	override(&s.Proxy.UpstreamCAFile, "SLUICE_UPSTREAM_CA_FILE")

	var errs []error
	parse := func(name string, fn func(string) error) {
		if v := env(name); v != "" {
			if err := fn(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	}
	// A setting given here wins over one saved from the window or
	// `sluice settings set`, which then show it as fixed and refuse to
	// change it: the registry names the variable of each.
	for _, st := range api.Registry() {
		if st.Env != "" && env(st.Env) != "" {
			s.Proxy.Fixed = fixed(s.Proxy.Fixed, st.Key, st.Env)
		}
	}
	parse("SLUICE_PORT", func(v string) (err error) { s.Proxy.Port, err = parsePort(v); return })
	parse("SLUICE_RETRY_ATTEMPTS", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("must be a whole number >= 0")
		}
		s.Proxy.RetryAttempts = n
		if n == 0 {
			s.Proxy.RetryAttempts = -1 // proxy.Config: negative means none
		}
		return nil
	})
	parse("SLUICE_RETRY_DELAY", func(v string) (err error) { s.Proxy.RetryDelay, err = positive(v); return })
	parse("SLUICE_RETRY_BACKOFF", func(v string) (err error) { s.Proxy.RetryBackoff, err = strconv.ParseFloat(v, 64); return })
	parse("SLUICE_RETENTION", func(v string) error {
		d, err := parseDays(v)
		s.Proxy.Retention = d
		return err
	})
	parse("SLUICE_SESSION_TTL", func(v string) (err error) { s.Proxy.SessionTTL, err = positive(v); return })
	parse("SLUICE_ALLOWED_ORIGINS", func(v string) error {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				if u, err := url.Parse(o); err != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
					return fmt.Errorf("%q is not an origin like http://localhost:3000", o)
				}
				s.Proxy.AllowedOrigins = append(s.Proxy.AllowedOrigins, o)
			}
		}
		return nil
	})
	parse("SLUICE_REQUIRE_KEY", func(v string) error {
		on, err := parseBool(v)
		s.Proxy.RequireKey = &on
		return err
	})
	parse("SLUICE_PASSTHROUGH", func(v string) (err error) { s.Proxy.Passthrough, err = parseBool(v); return })
	parse("SLUICE_LOG_LEVEL", func(v string) error { return s.LogLevel.UnmarshalText([]byte(v)) })
	if s.LogFormat == "" {
		s.LogFormat = "text"
	}
	if s.LogFormat != "text" && s.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("SLUICE_LOG_FORMAT=%q: must be text or json", s.LogFormat))
	}
	if s.DataDir == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			errs = append(errs, fmt.Errorf("no SLUICE_DATA_DIR and no user config dir: %w", err))
		}
		s.DataDir = filepath.Join(dir, "sluice")
	}
	return s, errors.Join(errs...)
}

// parseDays reads a retention period: "30d", a Go duration ("720h"), or
// "forever"/"0" to keep records for ever.
func parseDays(v string) (time.Duration, error) {
	switch v {
	case "forever", "0", "0d":
		return -1, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, errors.New("must be a number of days like 30d, a duration like 720h, or forever")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("must be a number of days like 30d, a duration like 720h, or forever")
	}
	if d == 0 {
		return -1, nil // "0h" means what "0" means
	}
	return d, nil
}

// parseBool reads true/false, on/off, yes/no, 1/0, as the settings do.
func parseBool(v string) (bool, error) { return api.ParseOnOff(v) }

// positive reads a duration that must be greater than zero (zero would
// silently mean the engine's default).
func positive(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("must be a positive duration like 1s or 5h")
	}
	return d, nil
}

func parsePort(v string) (int, error) {
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, errors.New("must be a port number 0-65535")
	}
	return p, nil
}

// serverFlags registers the flags that override the environment for
// commands that run the proxy.
func (s *Settings) serverFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.Proxy.Host, "host", s.Proxy.Host, "listen address, loopback only (SLUICE_HOST, default 127.0.0.1)")
	fs.Func("port", "listen port (SLUICE_PORT, default 8788, or the port chosen in the window)", func(v string) (err error) {
		s.Proxy.Port, err = parsePort(v)
		s.Proxy.Fixed = fixed(s.Proxy.Fixed, api.SettingPort, flagOf(api.SettingPort))
		return err
	})
	fs.StringVar(&s.Proxy.Upstream, "upstream", s.Proxy.Upstream, "Anthropic API base URL (SLUICE_UPSTREAM, default https://api.anthropic.com)")
	fs.Func("strategy", "account selection: "+strings.Join(api.StrategyNames(), ", ")+" (SLUICE_STRATEGY, default session, or the one chosen in the window)", func(v string) error {
		s.Proxy.Strategy = v
		s.Proxy.Fixed = fixed(s.Proxy.Fixed, api.SettingStrategy, flagOf(api.SettingStrategy))
		return nil
	})
}

// flagOf is the flag the registry declares for the setting key.
func flagOf(key string) string {
	s, _ := api.LookupSetting(key)
	return s.Flag
}

// fixed records in m that by (a variable or a flag) fixed the setting
// key.
func fixed(m map[string]string, key, by string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[key] = by
	return m
}

// commonFlags are accepted by every command.
func (s *Settings) commonFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.DataDir, "data-dir", s.DataDir, "where Sluice keeps its database (SLUICE_DATA_DIR)")
	fs.Func("log-level", "debug, info, warn or error (SLUICE_LOG_LEVEL)", func(v string) error {
		return s.LogLevel.UnmarshalText([]byte(v))
	})
	fs.Func("log-format", "text or json (SLUICE_LOG_FORMAT)", func(v string) error {
		if v != "text" && v != "json" {
			return errors.New("must be text or json")
		}
		s.LogFormat = v
		return nil
	})
}

// Logger builds the process's logger on w (stderr). Every line goes
// through redact.Handler: logs end up pasted into bug reports, so a key or
// token that slipped into a message or an error must not reach them.
func (s Settings) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: s.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(s.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(redact.Handler(h))
}

// vaultConfig fills in what depends on the data dir.
func (s Settings) vaultConfig() vault.Config {
	c := s.Vault
	if c.FileDir == "" {
		c.FileDir = filepath.Join(s.DataDir, "keyring")
	}
	return c
}
