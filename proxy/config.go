// Package proxy is Sluice's engine: the loopback HTTP server and its guards,
// routing, forwarding with failover, and the Service API that the CLI, the
// tray and the window all drive.
package proxy

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
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
	// Fixed names the settings (the registry's keys: api.SettingPort,
	// api.SettingStrategy, ...) chosen on the command line, each with the
	// variable or flag that chose it ("SLUICE_PORT", "--strategy"): a value
	// saved from the window or `sluice settings set` does not replace it,
	// and a change is refused while it is fixed. The fixed value itself is
	// the Config's field (Port, Strategy, ...).
	Fixed map[string]string `json:",omitempty"`
	// Upstream is the Anthropic API base URL (default https://api.anthropic.com).
	Upstream string
	// UpstreamCAFile names a PEM bundle of certificate authorities the
	// engine trusts for its upstream connections (the API and the usage
	// endpoint) besides the system's: a corporate TLS-inspecting proxy's
	// CA, or a test fake's (SLUICE_UPSTREAM_CA_FILE). Empty: the system's
	// roots only. A file that cannot be read or holds no certificate stops
	// the engine from starting.
	UpstreamCAFile string
	// UsageURL is the OAuth usage endpoint polled for subscription accounts.
	UsageURL string
	// UsageInterval is how often each subscription account's usage is
	// polled while the proxy runs (default and minimum 5 minutes).
	UsageInterval time.Duration
	// BenchedPollInterval is how often a benched subscription account's
	// usage is polled, so an early reset lifts the bench without spending a
	// request (default 2 minutes; doubled while the answer does not change
	// and per failed poll, up to 10 minutes). Every account is read at most
	// 20 times an hour whatever the cause (usagepoll.go).
	BenchedPollInterval time.Duration
	// Strategy picks accounts: session (default), priority, round-robin,
	// least-used, drain-soonest.
	Strategy string
	// Passthrough forwards a request that carries the client's own
	// Anthropic credential with it, unchanged, instead of a pooled account's;
	// Sluice only observes (journal, limit windows). Off by default.
	Passthrough bool
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
	// BodyMemory bounds the bytes held by request bodies in flight; a
	// request waits for room (default 256 MiB, at least BodyLimit).
	BodyMemory int64
	// BodyReadTimeout is how long a request body may go without a byte
	// arriving before the request is dropped (default 30s).
	BodyReadTimeout time.Duration
	// BodyMinRate is the slowest a request body may arrive on average, in
	// bytes per second, once BodyReadTimeout has passed (default 1 KiB/s):
	// a byte every few seconds no longer holds a share of the body budget
	// for hours.
	BodyMinRate int64
	// UnauthTimeout bounds how long a request may take, from its headers
	// to its answer's end, until its client key is found good: refused
	// requests and the unauthenticated routes (/health, telemetry) cannot
	// hold a connection by trickling a body (default 5s).
	UnauthTimeout time.Duration
	// ReadHeaderTimeout bounds how long a client may take to send its
	// request headers (default 10s), so idle or slow-loris connections
	// cannot pile up.
	ReadHeaderTimeout time.Duration
	// ShutdownTimeout bounds how long StopProxy waits for in-flight
	// requests, streams included (default 30s).
	ShutdownTimeout time.Duration
	// Retention is how long request records are kept (default 30 days);
	// negative keeps them forever. It is the default of
	// Settings.RequestMaxAge: a value the user saved in the journal wins.
	Retention time.Duration
	// AllowedOrigins lists browser origins allowed to call the proxy (CORS).
	// Empty: no browser origin is allowed, which is what a local API wants.
	AllowedOrigins []string
	// Keyring names the keyring backend holding the credentials
	// ("secret-service", "file", ...), for people to see; the engine only
	// reports it.
	Keyring string
	// Version is reported by /health.
	Version string
	// RequireKey says whether requests must carry a Sluice client key.
	// Nil means the setting saved by SetRequireKey, or true when none was
	// saved (SLUICE_REQUIRE_KEY=false sets it to false).
	RequireKey *bool
	// AllowInsecureUpstream accepts a plain http:// Upstream that is not on
	// loopback (a test rig, a debugging proxy). Off, such an upstream is
	// refused at start.
	AllowInsecureUpstream bool
	// JournalLinger is the longest a finished request's record waits in
	// memory before it is committed, batched with others; so it bounds
	// what a kill -9 or a power cut takes from the journal. Zero means
	// journal.DefaultLinger (100 ms).
	JournalLinger time.Duration
}

// Defaults for Config fields left zero.
const (
	DefaultHost     = "127.0.0.1"
	DefaultPort     = api.DefaultPort
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
	if c.BenchedPollInterval <= 0 {
		c.BenchedPollInterval = 2 * time.Minute
	}
	// The user settings' defaults are the registry's (api.DefaultValues).
	if c.Strategy == "" {
		c.Strategy = api.DefaultStrategy
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = api.DefaultSessionWindow
	}
	if c.RetryAttempts == 0 {
		c.RetryAttempts = api.DefaultRetryAttempts
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = api.DefaultRetryDelay
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 2
	}
	if c.BodyLimit == 0 {
		c.BodyLimit = 32 << 20
	}
	if c.BodyMemory <= 0 {
		c.BodyMemory = 256 << 20
	}
	c.BodyMemory = max(c.BodyMemory, c.BodyLimit)
	if c.BodyReadTimeout <= 0 {
		c.BodyReadTimeout = 30 * time.Second
	}
	if c.BodyMinRate <= 0 {
		c.BodyMinRate = 1 << 10
	}
	if c.UnauthTimeout <= 0 {
		c.UnauthTimeout = 5 * time.Second
	}
	if c.Retention == 0 {
		c.Retention = api.DefaultRequestMaxAge
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
	// Plain http to another machine sends the accounts' credentials and
	// every prompt in clear text. A name is not trusted for what it says:
	// it is resolved, and every address it has must be loopback
	// ("localhost" mapped to a LAN address in the hosts file is not).
	if u.Scheme == "http" && !c.AllowInsecureUpstream {
		if err := checkLoopbackUpstream(u.Hostname()); err != nil {
			return fmt.Errorf("upstream %q is plain http to %v, which would send your accounts' credentials unencrypted; set SLUICE_UPSTREAM (or --upstream) to an https:// URL", c.Upstream, err)
		}
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
// hands out its accounts to whoever can reach it: only this machine may. A
// name is resolved (hosts file included) and every address it has must be
// loopback: "localhost" mapped to a LAN address must not make Sluice listen
// there.
func CheckLoopback(host string) error {
	_, err := loopbackIP(host)
	return err
}

// loopbackIP resolves host to the loopback address to listen on.
func loopbackIP(host string) (net.IP, error) {
	refuse := fmt.Errorf("refusing to listen on %q: Sluice only listens on loopback (127.0.0.1 or ::1) so that no other machine can use your accounts", host)
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		if !ip.IsLoopback() {
			return nil, refuse
		}
		return ip, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%w (%q does not resolve)", refuse, host)
	}
	var pick net.IP
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%w (%q resolves to %s)", refuse, host, ip)
		}
		if pick == nil || ip.To4() != nil && pick.To4() == nil {
			pick = ip // prefer IPv4: the other loopback is bound as well
		}
	}
	return pick, nil
}

// checkLoopbackUpstream says why host is not a loopback upstream: an
// address that is not loopback, or a name that does not resolve or
// resolves to one.
func checkLoopbackUpstream(host string) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s, not a loopback address", host)
		}
		return nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("%q, which does not resolve", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%q, which resolves to %s, not loopback", host, ip)
		}
	}
	return nil
}

// Addr is the host:port the proxy listens on.
func (c Config) Addr() string {
	return net.JoinHostPort(c.Host, fmt.Sprint(c.Port))
}
