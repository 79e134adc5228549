// Package proxy is Sluice's engine: the loopback HTTP server and its guards,
// routing, forwarding with failover, and the Service API that the CLI, the
// tray and the window all drive.
package proxy

import (
	"fmt"
	"net"
	"net/url"
	"time"
)

// Config is the engine's settings. The zero value of a field means its
// default (see withDefaults); the command line fills it from flags and the
// SLUICE_* environment.
type Config struct {
	// Host is the listen address. Only loopback addresses are accepted.
	Host string
	// Port is the listen port. Zero picks a free port (tests); the command
	// line defaults it to DefaultPort.
	Port int
	// Upstream is the Anthropic API base URL (default https://api.anthropic.com).
	Upstream string
	// UsageURL is the OAuth usage endpoint polled for subscription accounts.
	UsageURL string
	// UsageInterval is how often each subscription account's usage is
	// polled while the proxy runs (default and minimum 5 minutes).
	UsageInterval time.Duration
	// Strategy picks accounts: session (default), priority, round-robin, least-used.
	Strategy string
	// SessionTTL is how long a client session sticks to one account (default 5h).
	SessionTTL time.Duration
	// RetryAttempts is how many times a 5xx answer, or a network failure
	// before the request was fully sent, is retried: zero means the default
	// (3), a negative number no retries at all. A failure after the request
	// was sent (a timeout, a reset) is never retried: the upstream may have
	// processed it.
	RetryAttempts int
	// RetryDelay is the first retry's delay (default 1s).
	RetryDelay time.Duration
	// RetryBackoff multiplies the delay after each retry (default 2).
	RetryBackoff float64
	// BodyLimit caps a request body; larger ones get 413 (default 32 MiB).
	BodyLimit int64
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers (default 10s), so idle or slow-loris connections
	// cannot pile up.
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds how long StopProxy waits for in-flight
	// requests, streams included (default 30s).
	ShutdownTimeout time.Duration
	// Retention is how long request records are kept (default 30 days);
	// negative keeps them forever.
	Retention time.Duration
	// AllowedOrigins lists browser origins allowed to call the proxy (CORS).
	// Empty: no browser origin is allowed, which is what a local API wants.
	AllowedOrigins []string
	// Version is reported by /health.
	Version string
}

// Defaults for Config fields left zero.
const (
	DefaultHost     = "127.0.0.1"
	DefaultPort     = 8788
	DefaultUpstream = "https://api.anthropic.com"
	DefaultUsageURL = "https://api.anthropic.com/api/oauth/usage"
)

func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = DefaultHost
	}
	if c.Upstream == "" {
		c.Upstream = DefaultUpstream
	}
	if c.UsageURL == "" {
		c.UsageURL = DefaultUsageURL
	}
	if c.UsageInterval < 5*time.Minute {
		c.UsageInterval = 5 * time.Minute
	}
	if c.Strategy == "" {
		c.Strategy = "session"
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = 5 * time.Hour
	}
	if c.RetryAttempts == 0 {
		c.RetryAttempts = 3
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = time.Second
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 2
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = 32 << 20
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.ReadHeaderTimeout == 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return c
}

// validate reports settings the engine refuses to run with.
func (c Config) validate() error {
	if err := CheckLoopback(c.Host); err != nil {
		return err
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d is out of range 0-65535", c.Port)
	}
	u, err := url.Parse(c.Upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("upstream %q is not an http(s) URL", c.Upstream)
	}
	if c.RetryBackoff < 1 {
		return fmt.Errorf("retry backoff must be >= 1")
	}
	if c.RetryDelay < 0 {
		return fmt.Errorf("retry delay must not be negative")
	}
	return nil
}

// CheckLoopback refuses a listen host that is not a loopback address. Sluice
// hands out its accounts to whoever can reach it; until client keys guard it,
// only this machine may.
func CheckLoopback(host string) error {
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing to listen on %q: Sluice only listens on loopback (127.0.0.1 or ::1) so that no other machine can use your accounts", host)
	}
	return nil
}

// Addr is the host:port the proxy listens on.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.Port))
}
