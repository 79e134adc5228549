package proxy

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// Client keys: what a program must present to spend Sluice's accounts. A key
// is "sk-sluice-" and 43 base62 characters (256 bits from crypto/rand). The
// journal keeps only the first lookupLen characters after the marker (not
// secret: they name the key in lists and logs) and HMAC-SHA-256 of the whole
// key under a per-install secret held in the keyring. See docs/SECURITY.md
// for why an HMAC rather than a slow hash.
const (
	keyMarker  = "sk-sluice-"
	keyBodyLen = 43 // ceil(256 / log2(62))
	lookupLen  = 8
	keyLen     = len(keyMarker) + keyBodyLen
)

// keySecretItem is the keyring item holding the HMAC secret. Account ids are
// 24 hex digits, so this name never collides with one.
const keySecretItem = "sluice-client-key-hmac"

// Settings the key machinery keeps in the journal.
const (
	settingRequireKey = "require_key"
	settingFirstKey   = "first_key_created"
)

// clientKey is a key as the engine holds it: its stored form plus the live
// limit state. Fields other than inflight and limiter are guarded by
// keyStore.mu.
type clientKey struct {
	id       string // rec.ID, readable without the lock: it never changes
	rec      journal.ClientKey
	allowed  map[string]bool // nil: every account
	limiter  *rate.Limiter   // nil: no RPM cap
	inflight atomic.Int64
	// revoked is done once the key is revoked: its requests in flight
	// (a stream may run for minutes) end then, not when they finish.
	revoked context.Context
	revoke  context.CancelFunc

	// Today's cost, for the daily cap: read from the journal's key_spend
	// (which outlives pruned records) once a day (or after a restart),
	// then kept up to date as requests finish, so the cap costs no query
	// per request.
	costMu    sync.Mutex
	costDay   time.Time // zero: not loaded
	costSpent int64
}

// keyStore is the engine's set of client keys and its auth counters.
type keyStore struct {
	mu       sync.RWMutex
	byPrefix map[string][]*clientKey
	byName   map[string]*clientKey // live keys only

	secretMu sync.Mutex
	secret   atomic.Pointer[[]byte] // nil until read from the keyring

	require  atomic.Bool
	firstMu  sync.Mutex
	first    *api.KeyView // the key created on first start, until dismissed
	firstSec string

	failures atomic.Int64 // requests refused for want of a valid key
	refused  atomic.Int64 // requests refused by Host, Origin or path guards
	peers    peerThrottle
	logs     *rate.Limiter // refusal log lines
}

func newKeyStore() *keyStore {
	return &keyStore{
		byPrefix: map[string][]*clientKey{},
		byName:   map[string]*clientKey{},
		peers:    peerThrottle{fails: map[string]*peerFails{}},
		logs:     rate.NewLimiter(rate.Every(10*time.Second), 5),
	}
}

// initKeys loads the keys, the require-key setting and, on the very first
// start, creates the first key. A keyring that cannot be read now is not
// fatal: verification retries it, and answers 503 meanwhile.
func (s *Service) initKeys(ctx context.Context) error {
	s.keys = newKeyStore()
	require := true
	if s.cfg.RequireKey != nil {
		require = *s.cfg.RequireKey
	} else if v, ok, err := s.db.Setting(ctx, settingRequireKey); err != nil {
		return err
	} else if ok {
		require = v != "false"
	}
	s.keys.require.Store(require)
	recs, err := s.db.ClientKeys(ctx)
	if err != nil {
		return err
	}
	for _, r := range recs {
		s.keys.add(r)
	}
	if _, done, err := s.db.Setting(ctx, settingFirstKey); err != nil {
		return err
	} else if done || len(recs) > 0 {
		return nil
	}
	view, secret, err := s.CreateKey(ctx, api.KeyOptions{Name: "default"})
	if err != nil {
		s.log.Warn("could not create the first client key; create one with `sluice keys create NAME`", "err", err)
		return nil
	}
	s.keys.firstMu.Lock()
	s.keys.first, s.keys.firstSec = &view, secret
	s.keys.firstMu.Unlock()
	return s.db.SetSetting(ctx, settingFirstKey, "true")
}

// hmacSecret returns the install's HMAC secret, creating it on first use.
func (s *Service) hmacSecret() ([]byte, error) {
	if p := s.keys.secret.Load(); p != nil {
		return *p, nil
	}
	s.keys.secretMu.Lock()
	defer s.keys.secretMu.Unlock()
	if p := s.keys.secret.Load(); p != nil {
		return *p, nil
	}
	c, err := s.keyring.Get(keySecretItem)
	var secret []byte
	switch {
	case err == nil:
		secret, err = base64.RawStdEncoding.DecodeString(c.APIKey)
		if err != nil || len(secret) != 32 {
			return nil, fmt.Errorf("client key secret in the keyring is malformed")
		}
	case errors.Is(err, vault.ErrNotFound):
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("generate client key secret: %w", err)
		}
		c := vault.Credential{Kind: vault.KindAPIKey, APIKey: base64.RawStdEncoding.EncodeToString(secret)}
		if err := s.keyring.Put(keySecretItem, c); err != nil {
			return nil, fmt.Errorf("store client key secret: %w", err)
		}
	default:
		return nil, fmt.Errorf("read client key secret: %w", err)
	}
	s.keys.secret.Store(&secret)
	return secret, nil
}

// digest is the stored form of a key: fixed length, so the comparison in
// verify is over equal-length slices.
func digest(secret []byte, key string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return m.Sum(nil)
}

// newClientKey returns a fresh key: the marker and 256 random bits in base62
// (no "-" or "_", so a double click selects the whole key).
func newClientKey() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate client key: %w", err)
	}
	body := new(big.Int).SetBytes(b[:]).Text(62)
	return keyMarker + strings.Repeat("0", keyBodyLen-len(body)) + body, nil
}

// CreateKey creates a client key and returns it once: only its digest is
// kept, so the secret cannot be shown again.
func (s *Service) CreateKey(ctx context.Context, o api.KeyOptions) (api.KeyView, string, error) {
	rec, err := s.keyRecord(ctx, journal.ClientKey{}, o)
	if err != nil {
		return api.KeyView{}, "", err
	}
	secret, err := s.hmacSecret()
	if err != nil {
		return api.KeyView{}, "", err
	}
	key, err := newClientKey()
	if err != nil {
		return api.KeyView{}, "", err
	}
	if rec.ID, err = newID(); err != nil {
		return api.KeyView{}, "", err
	}
	rec.Prefix = key[len(keyMarker) : len(keyMarker)+lookupLen]
	rec.Hash = digest(secret, key)
	rec.CreatedAt = s.now()
	if err := s.db.InsertClientKey(ctx, rec); err != nil {
		if errors.Is(err, journal.ErrExists) {
			return api.KeyView{}, "", fmt.Errorf("a client key named %q already exists", rec.Name)
		}
		return api.KeyView{}, "", err
	}
	s.keys.add(rec)
	s.audit(ctx, AuditClientKeyAdded, rec.Name, "")
	return s.keyView(rec), key, nil
}

// UpdateKey replaces a live key's scope and limits (and its name, if
// o.Name is set and differs).
func (s *Service) UpdateKey(ctx context.Context, name string, o api.KeyOptions) (api.KeyView, error) {
	k := s.keys.named(name)
	if k == nil {
		return api.KeyView{}, fmt.Errorf("client key %q: %w", name, api.ErrKeyNotFound)
	}
	s.keys.mu.RLock()
	old := k.rec
	s.keys.mu.RUnlock()
	if o.Name == "" {
		o.Name = old.Name
	}
	rec, err := s.keyRecord(ctx, old, o)
	if err != nil {
		return api.KeyView{}, err
	}
	if err := s.db.UpdateClientKey(ctx, rec); err != nil {
		return api.KeyView{}, err
	}
	s.keys.update(k, rec, s.now())
	return s.keyView(rec), nil
}

// RevokeKey revokes a live key at once: requests already in flight finish,
// the next one gets 401.
func (s *Service) RevokeKey(ctx context.Context, name string) error {
	k := s.keys.named(name)
	if k == nil {
		return fmt.Errorf("client key %q: %w", name, api.ErrKeyNotFound)
	}
	s.keys.mu.RLock()
	rec := k.rec
	s.keys.mu.RUnlock()
	rec.RevokedAt = s.now()
	if err := s.db.UpdateClientKey(ctx, rec); err != nil {
		return err
	}
	s.keys.update(k, rec, s.now())
	// A revoked first key must not be shown or copied any more; revoking
	// another key leaves the first one's display alone.
	s.keys.firstMu.Lock()
	if s.keys.first != nil && s.keys.first.ID == rec.ID {
		s.keys.first, s.keys.firstSec = nil, ""
	}
	s.keys.firstMu.Unlock()
	s.audit(ctx, AuditClientKeyRevoke, rec.Name, "")
	return nil
}

// Keys lists the client keys, revoked ones included, oldest first.
func (s *Service) Keys(_ context.Context) ([]api.KeyView, error) {
	s.keys.mu.RLock()
	var recs []journal.ClientKey
	for _, ks := range s.keys.byPrefix {
		for _, k := range ks {
			recs = append(recs, k.rec)
		}
	}
	s.keys.mu.RUnlock()
	slices.SortFunc(recs, func(a, b journal.ClientKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]api.KeyView, len(recs))
	for i, r := range recs {
		out[i] = s.keyView(r)
	}
	return out, nil
}

// FirstKey returns the key created on first start, with its secret, until
// DismissFirstKey; ok is false after that (or if there was none). The
// secret lives only in memory: after a restart it is gone, as it would be
// for any other key.
func (s *Service) FirstKey() (view api.KeyView, secret string, ok bool) {
	s.keys.firstMu.Lock()
	defer s.keys.firstMu.Unlock()
	if s.keys.first == nil {
		return api.KeyView{}, "", false
	}
	return *s.keys.first, s.keys.firstSec, true
}

// DismissFirstKey forgets the first key's secret (the key stays valid).
func (s *Service) DismissFirstKey() {
	s.keys.firstMu.Lock()
	s.keys.first, s.keys.firstSec = nil, ""
	s.keys.firstMu.Unlock()
}

// RequireKey reports whether requests must carry a client key.
func (s *Service) RequireKey() bool { return s.keys.require.Load() }

// SetRequireKey turns the key requirement on or off and remembers it. Off,
// any program on this machine can spend the accounts: the window and the
// CLI must say so.
func (s *Service) SetRequireKey(ctx context.Context, on bool) error {
	if err := s.db.SetSetting(ctx, settingRequireKey, fmt.Sprint(on)); err != nil {
		return err
	}
	s.keys.require.Store(on)
	s.log.Info("client key requirement changed", "required", on)
	s.audit(ctx, AuditSettingsChanged, "require_key", fmt.Sprint(on))
	return nil
}

// GuardStats counts the requests the guards refused since start.
type GuardStats struct {
	AuthFailures int64 `json:"auth_failures"` // no key, a wrong or revoked key
	Refused      int64 `json:"refused"`       // Host, Origin or path refused
}

// GuardStats reports the guards' counters.
func (s *Service) GuardStats() GuardStats {
	return GuardStats{AuthFailures: s.keys.failures.Load(), Refused: s.keys.refused.Load()}
}

// keyRecord validates o and applies it over base.
func (s *Service) keyRecord(ctx context.Context, base journal.ClientKey, o api.KeyOptions) (journal.ClientKey, error) {
	name := strings.TrimSpace(o.Name)
	if name == "" || len(name) > 64 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return base, fmt.Errorf("a client key needs a name of 1-64 printable characters")
	}
	if o.RPM < 0 || o.MaxConcurrent < 0 || o.DailyCostMicros < 0 {
		return base, fmt.Errorf("client key limits must not be negative")
	}
	accts, err := s.db.Accounts(ctx)
	if err != nil {
		return base, err
	}
	var ids []string
	for _, want := range o.Accounts {
		i := slices.IndexFunc(accts, func(a journal.Account) bool { return a.ID == want || a.Name == want })
		if i < 0 {
			return base, fmt.Errorf("no account named %q", sanitize(want))
		}
		if !slices.Contains(ids, accts[i].ID) {
			ids = append(ids, accts[i].ID)
		}
	}
	base.Name, base.Accounts = name, ids
	base.RPM, base.MaxConcurrent, base.DailyCostMicros = o.RPM, o.MaxConcurrent, o.DailyCostMicros
	return base, nil
}

// keyView names a key's accounts as they are called now.
func (s *Service) keyView(r journal.ClientKey) api.KeyView {
	names := map[string]string{}
	for _, st := range s.pool.Snapshot() {
		names[st.ID] = st.Name
	}
	v := api.KeyView{
		ID: r.ID, Name: r.Name, Hint: keyMarker + r.Prefix + "…", RPM: r.RPM,
		MaxConcurrent: r.MaxConcurrent, DailyCostMicros: r.DailyCostMicros,
		CreatedAt: r.CreatedAt, Revoked: !r.RevokedAt.IsZero(), RevokedAt: r.RevokedAt,
	}
	for _, id := range r.Accounts {
		if n, ok := names[id]; ok {
			v.Accounts = append(v.Accounts, n)
		} else {
			v.Accounts = append(v.Accounts, id)
		}
	}
	return v
}

// add indexes a stored key.
func (ks *keyStore) add(r journal.ClientKey) {
	k := &clientKey{id: r.ID}
	k.revoked, k.revoke = context.WithCancel(context.Background())
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.set(k, r, time.Now())
	ks.byPrefix[r.Prefix] = append(ks.byPrefix[r.Prefix], k)
}

// update replaces a key's stored form, keeping its live counters.
func (ks *keyStore) update(k *clientKey, r journal.ClientKey, now time.Time) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	delete(ks.byName, k.rec.Name)
	ks.set(k, r, now)
}

// set applies r to k; ks.mu is held.
func (ks *keyStore) set(k *clientKey, r journal.ClientKey, now time.Time) {
	k.rec = r
	if !r.RevokedAt.IsZero() {
		k.revoke()
	}
	// Replaced whole, never changed in place: see keyScope.
	k.allowed = nil
	if len(r.Accounts) > 0 {
		k.allowed = map[string]bool{}
		for _, id := range r.Accounts {
			k.allowed[id] = true
		}
	}
	switch {
	case r.RPM <= 0:
		k.limiter = nil
	case k.limiter == nil:
		k.limiter = rate.NewLimiter(rate.Limit(float64(r.RPM)/60), r.RPM)
	default:
		k.limiter.SetLimitAt(now, rate.Limit(float64(r.RPM)/60))
		k.limiter.SetBurstAt(now, r.RPM)
	}
	if r.RevokedAt.IsZero() {
		ks.byName[r.Name] = k
	}
}

// named returns the live key called name, or nil.
func (ks *keyStore) named(name string) *clientKey {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.byName[name]
}
