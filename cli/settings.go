package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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
	// The settings of the registry, each read by its parser, the one
	// `sluice settings set` and the window use, without the bounds of a
	// saved value, which the command line never had (api.Setting's
	// Unbounded). A setting given by its Env wins over one saved from the
	// window or `sluice settings set`, which then show it as fixed and
	// refuse to change it; a DefaultEnv only changes its default.
	for _, st := range api.Registry() {
		for _, name := range []string{st.Env, st.DefaultEnv} {
			if name == "" || env(name) == "" {
				continue
			}
			if name == st.Env {
				s.Proxy.Fixed = fixed(s.Proxy.Fixed, st.Key, st.Env)
			}
			parse(name, func(val string) error { return readSetting(&s.Proxy, st, val) })
		}
	}
	// Not settings of the registry: no window or `settings set` changes
	// them.
	parse("SLUICE_RETRY_BACKOFF", func(v string) (err error) { s.Proxy.RetryBackoff, err = strconv.ParseFloat(v, 64); return })
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

// parseBool reads true/false, on/off, yes/no, 1/0, as the settings do.
func parseBool(v string) (bool, error) { return api.ParseOnOff(v) }

// toConfig puts the setting key of v, read from the command line, in the
// engine's Config.
func toConfig(c *proxy.Config, key string, v api.Values) error {
	switch key {
	case api.SettingPort:
		c.Port = v.Port
	case api.SettingRequireKey:
		on := v.RequireKey
		c.RequireKey = &on
	case api.SettingStrategy:
		c.Strategy = v.Strategy
	case api.SettingSessionWindow:
		c.SessionTTL = v.SessionWindow
	case api.SettingRetries:
		c.RetryAttempts = v.RetryAttempts
		if c.RetryAttempts == 0 {
			c.RetryAttempts = -1 // proxy.Config: negative means none
		}
	case api.SettingRetryDelay:
		c.RetryDelay = v.RetryDelay
	case api.SettingAllowedOrigins:
		c.AllowedOrigins = v.AllowedOrigins
	case api.SettingRequestRetention:
		c.Retention = v.RequestMaxAge
	default:
		return fmt.Errorf("the engine takes no %s from the command line", key)
	}
	return nil
}

// readSetting reads value, given on the command line (a variable or a
// flag), of the setting st into c, by the registry's parser.
func readSetting(c *proxy.Config, st api.Setting, value string) error {
	v := api.DefaultValues()
	if err := st.ParseUnbounded(&v, value); err != nil {
		return err
	}
	return toConfig(c, st.Key, v)
}

// fromFlag reads the value of a flag fixing the setting key into c.
func fromFlag(c *proxy.Config, key, value string) error {
	st, _ := api.LookupSetting(key)
	if err := readSetting(c, st, value); err != nil {
		return err
	}
	c.Fixed = fixed(c.Fixed, key, st.Flag)
	return nil
}

// serverFlags registers the flags that override the environment for
// commands that run the proxy.
func (s *Settings) serverFlags(fs *pflag.FlagSet) {
	fs.StringVar(&s.Proxy.Host, "host", s.Proxy.Host, "listen address, loopback only (SLUICE_HOST, default 127.0.0.1)")
	fs.Func("port", "listen port (SLUICE_PORT, default 8788, or the port chosen in the window)", func(v string) error {
		return fromFlag(&s.Proxy, api.SettingPort, v)
	})
	fs.StringVar(&s.Proxy.Upstream, "upstream", s.Proxy.Upstream, "Anthropic API base URL (SLUICE_UPSTREAM, default https://api.anthropic.com)")
	fs.Func("strategy", "account selection: "+strings.Join(api.StrategyNames(), ", ")+" (SLUICE_STRATEGY, default session, or the one chosen in the window)", func(v string) error {
		return fromFlag(&s.Proxy, api.SettingStrategy, v)
	})
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
