package proxy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/proxy/redact"
	"github.com/sluice-proxy/sluice/proxy/usage"
	"github.com/sluice-proxy/sluice/vault"
)

// Keyring is what the engine needs of the credential store (vault.Store).
type Keyring interface {
	Put(accountID string, c vault.Credential) error
	Get(accountID string) (vault.Credential, error)
	Delete(accountID string) error
}

// Tokens hands out a usable credential for an account, refreshing OAuth
// tokens first when needed (vault.Refresher).
type Tokens interface {
	Credential(ctx context.Context, accountID string) (vault.Credential, error)
}

// Deps are the parts a Service is built from. Journal and Keyring are
// required; the rest have defaults.
type Deps struct {
	Journal *journal.DB
	Keyring Keyring
	// Tokens defaults to reading the keyring as is (no refresh).
	Tokens Tokens
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now is the clock for limits, expiry and retention (default time.Now).
	Now func() time.Time
	// Transport carries upstream requests (default: a tuned http.Transport).
	Transport http.RoundTripper
	// OAuth signs accounts in (Login); nil disables browser logins.
	OAuth *vault.OAuth
	// Prices costs requests (default: the embedded list prices, usage.Default).
	Prices *usage.Table
}

// Service is the engine's API: the one thing the CLI, the tray and the
// window talk to. Its methods are safe for concurrent use.
type Service struct {
	cfg        Config
	db         *journal.DB
	records    *journal.Writer
	keyring    Keyring
	tokens     Tokens
	oauth      *vault.OAuth
	pool       *pool.Pool
	log        *slog.Logger
	now        func() time.Time
	transport  http.RoundTripper
	prices     *usage.Table
	unpriced   sync.Map // models already logged as having no price (prices.go)
	events     hub
	news       accountNews // account states waiting to go out (events.go)
	handler    http.Handler
	offHandler http.Handler // answers while the proxy is off (server.go)
	persist    *statePersister
	retention  *retention
	poller     usagePoller         // usage-endpoint schedule (usagepoll.go)
	passthru   passthrough         // credentials observed in passthrough mode (passthrough.go)
	keys       *keyStore           // client keys and auth counters (keys.go, auth.go)
	refusals   refusalAudit        // refused requests tallied for the audit log (audit.go)
	bodies     *semaphore.Weighted // bytes of request bodies in flight (bodylimit.go)
	bodyShares bodyShares          // each key's share of bodies (bodylimit.go)
	jr         journalState        // journal settings and payload key (settings.go)
	px         proxyState          // strategy, session window, retries, origins (proxysettings.go)
	sessions   sessionTable        // live client sessions (sessions.go)
	logins     pendingLogins       // sign-ins split in start and finish (remotelogin.go)
	ledger     ledgerState         // quota ledger ordering (ledger.go)
	warn       warner              // quota warnings raised (warnings.go)
	upstream   upstreamState       // whether the upstream can be reached (unreachable.go)

	// upRoutes are the compatible upstream accounts' routes (upstreams.go).
	upRoutes atomic.Pointer[upstreamRoutes]

	switching sync.Mutex // serialises StartProxy and StopProxy
	mu        sync.Mutex // guards srv, startErr and port
	srv       *listener
	startErr  string // why the last start failed; "" after a start or a stop
	port      int    // where the proxy listens: Config.Port or the one SetPort saved (port.go)
}

// keyringTokens reads credentials as stored: API keys need no refresh.
type keyringTokens struct{ k Keyring }

func (t keyringTokens) Credential(_ context.Context, id string) (vault.Credential, error) {
	return t.k.Get(id)
}

// New builds a Service. It loads the accounts and their persisted limit
// state; it does not listen until StartProxy.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if deps.Journal == nil || deps.Keyring == nil {
		return nil, errors.New("proxy: a journal and a keyring are required")
	}
	s := &Service{
		cfg:       cfg,
		db:        deps.Journal,
		keyring:   deps.Keyring,
		tokens:    deps.Tokens,
		oauth:     deps.OAuth,
		log:       deps.Logger,
		now:       deps.Now,
		transport: deps.Transport,
		prices:    deps.Prices,
	}
	if s.prices == nil {
		s.prices = usage.Default()
	}
	if s.tokens == nil {
		s.tokens = keyringTokens{deps.Keyring}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	// Every line the engine logs passes the one redaction function.
	s.log = slog.New(redact.Handler(s.log.Handler()))
	if s.now == nil {
		s.now = time.Now
	}
	if s.transport == nil {
		t, err := newTransport(cfg.UpstreamCAFile, upstreamIdle())
		if err != nil {
			return nil, err
		}
		s.transport = &oneDial{next: t} // one dial at a time per HTTP/2 host (upstreamdial.go)
	}
	s.transport = scrubEcho{next: s.transport, log: s.log, forms: &formCache{}}
	s.bodies = semaphore.NewWeighted(cfg.BodyMemory)
	s.persist = newStatePersister(s)
	p, err := pool.New(pool.Options{
		Strategy:   cfg.Strategy,
		SessionTTL: cfg.SessionTTL,
		Now:        s.now,
		OnChange:   s.accountChanged,
		OnShare:    s.lateShare,
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	s.pool = p
	states, err := s.db.AccountStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("proxy: load account state: %w", err)
	}
	p.Import(states)
	if err := s.syncPool(ctx); err != nil {
		return nil, err
	}
	if err := s.initKeys(ctx); err != nil {
		return nil, fmt.Errorf("proxy: client keys: %w", err)
	}
	if err := s.loadPort(ctx); err != nil {
		return nil, err
	}
	if err := s.loadProxySettings(ctx); err != nil {
		return nil, err
	}
	s.records = s.db.NewWriterLinger(4096, cfg.JournalLinger, s.log)
	// The log and usage views re-read the journal on this event, so it
	// goes out once the records are in it, not when the requests end.
	s.records.OnWritten(func(int) { s.events.publish(api.Event{Kind: api.EventRequest, Time: s.now()}) })
	s.handler = s.routes()
	s.offHandler = s.offRoutes()
	s.persist.start()
	s.retention = s.startRetention()
	return s, nil
}

// accountChanged is the pool's OnChange hook: persist the account's state
// (debounced, off the request path) and tell subscribers.
func (s *Service) accountChanged(accountID string) {
	s.persist.mark(accountID)
	s.accountStateChanged(accountID)
	for _, w := range s.checkWarnings(accountID) {
		s.events.publish(api.Event{Kind: api.EventWarning, AccountID: accountID, Time: w.Time, Warning: &w})
	}
}

// Subscribe returns a channel of events and a function that ends the
// subscription. Events carry what changed (api.Event).
func (s *Service) Subscribe() (<-chan api.Event, func()) { return s.events.subscribe() }

// Handler is the proxy's HTTP handler, guards included. StartProxy serves
// it; tests and embedders may serve it themselves.
func (s *Service) Handler() http.Handler { return s.handler }

// Config returns the settings in force, defaults filled in.
func (s *Service) Config() Config {
	c := s.cfg
	ps := s.proxySettings() // changed since start by UpdateProxySettings
	c.Strategy, c.SessionTTL, c.RetryDelay = ps.Strategy, ps.SessionWindow, ps.RetryDelay
	c.RetryAttempts, c.AllowedOrigins = ps.RetryAttempts, slices.Clone(ps.AllowedOrigins)
	if c.RetryAttempts == 0 {
		c.RetryAttempts = -1 // Config: zero would mean the default
	}
	s.mu.Lock()
	c.Port = s.port
	s.mu.Unlock()
	return c
}

// Close stops the proxy, flushes the request log and the pool state. The
// journal itself belongs to the caller. The flushes get their own few
// seconds: a stream that used up ctx while the proxy drained must not cost
// the records and quarantines still queued.
func (s *Service) Close(ctx context.Context) error {
	s.switching.Lock()
	errStop := s.unbind(ctx)
	s.switching.Unlock()
	s.logins.cancelAll()
	s.retention.close()
	flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	s.closeRefusals(flush)
	errRec := s.records.Close(flush)
	errState := s.persist.stop(flush)
	return errors.Join(errStop, errRec, errState)
}

// flushTimeout bounds the final flush of the journal and the pool state.
const flushTimeout = 5 * time.Second

// newID returns a random account id: stable across renames, and the
// keyring item's name.
func newID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
