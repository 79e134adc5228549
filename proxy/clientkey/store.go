// Package clientkey holds Sluice's client keys: what a program must present
// to spend the pool's accounts. It mints keys, keeps their HMAC digests in
// the journal (never the keys), verifies a presented key in constant time,
// and applies each key's limits (requests per minute, requests in flight,
// cost per day).
//
// The engine (package proxy) owns one Set; everything that needs the
// engine's other parts (account names, the audit log, events) stays there.
package clientkey

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

	"golang.org/x/time/rate"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// A key is Marker and BodyLen base62 characters (256 bits from
// crypto/rand). The journal keeps only the first LookupLen characters after
// the marker (not secret: they name the key in lists and logs) and
// HMAC-SHA-256 of the whole key under a per-install secret held in the
// keyring. See docs/SECURITY.md for why an HMAC rather than a slow hash.
const (
	Marker    = "sk-sluice-"
	BodyLen   = 43 // ceil(256 / log2(62))
	LookupLen = 8
	Len       = len(Marker) + BodyLen
)

// SecretItem is the keyring item holding the HMAC secret. Account ids are
// 24 hex digits, so this name never collides with one.
const SecretItem = "sluice-client-key-hmac"

// ErrExists reports that a live key already has the name asked for.
var ErrExists = errors.New("a client key with this name already exists")

// Keyring is where the HMAC secret lives (the engine's vault store).
type Keyring interface {
	Get(item string) (vault.Credential, error)
	Put(item string, c vault.Credential) error
}

// Store is the part of the journal that keeps keys and their spending.
type Store interface {
	ClientKeys(ctx context.Context) ([]journal.ClientKey, error)
	InsertClientKey(ctx context.Context, k journal.ClientKey) error
	UpdateClientKey(ctx context.Context, k journal.ClientKey) error
	// KeyCost is a key's cost since a time, in millionths of a dollar.
	KeyCost(ctx context.Context, keyID string, since time.Time) (int64, error)
}

// Key is a key as the engine holds it: its stored form plus the live limit
// state. rec, allowed and limiter are guarded by Set.mu.
type Key struct {
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
	// per request. reserved is the worst case of requests in flight.
	costMu    sync.Mutex
	costDay   time.Time // zero: not loaded
	costSpent int64
	reserved  int64
}

// ID is the key's id, as journal records name it.
func (k *Key) ID() string { return k.id }

// Revoked is done once the key is revoked, to end its requests in flight.
func (k *Key) Revoked() context.Context { return k.revoked }

// Set is the engine's set of client keys.
type Set struct {
	db      Store
	keyring Keyring

	mu       sync.RWMutex
	byPrefix map[string][]*Key
	byName   map[string]*Key // live keys only

	secretMu sync.Mutex
	secret   atomic.Pointer[[]byte] // nil until read from the keyring
	macs     macPool                // Verify's HMACs, keyed with secret
}

// New returns an empty Set over db and keyring; Load fills it.
func New(db Store, keyring Keyring) *Set {
	return &Set{db: db, keyring: keyring, byPrefix: map[string][]*Key{}, byName: map[string]*Key{}}
}

// Load indexes the stored keys and returns how many there are (revoked
// ones included).
func (s *Set) Load(ctx context.Context) (int, error) {
	recs, err := s.db.ClientKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("load client keys: %w", err)
	}
	for _, r := range recs {
		s.add(r)
	}
	return len(recs), nil
}

// Secret returns the install's HMAC secret, creating it on first use.
func (s *Set) Secret() ([]byte, error) {
	if p := s.secret.Load(); p != nil {
		return *p, nil
	}
	s.secretMu.Lock()
	defer s.secretMu.Unlock()
	if p := s.secret.Load(); p != nil {
		return *p, nil
	}
	c, err := s.keyring.Get(SecretItem)
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
		if err := s.keyring.Put(SecretItem, c); err != nil {
			return nil, fmt.Errorf("store client key secret: %w", err)
		}
	default:
		return nil, fmt.Errorf("read client key secret: %w", err)
	}
	s.secret.Store(&secret)
	return secret, nil
}

// Digest is the stored form of a key: fixed length, so Verify compares
// equal-length slices.
func Digest(secret []byte, key string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return m.Sum(nil)
}

// Mint returns a fresh key: the marker and 256 random bits in base62 (no
// "-" or "_", so a double click selects the whole key).
func Mint() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate client key: %w", err)
	}
	body := new(big.Int).SetBytes(b[:]).Text(62)
	return Marker + strings.Repeat("0", BodyLen-len(body)) + body, nil
}

// Create mints a key for rec (its name, scope and limits; the caller
// validates them), stores its digest and returns the stored record and the
// key. The key is not kept: only the caller sees it.
func (s *Set) Create(ctx context.Context, rec journal.ClientKey) (journal.ClientKey, string, error) {
	secret, err := s.Secret()
	if err != nil {
		return rec, "", err
	}
	key, err := Mint()
	if err != nil {
		return rec, "", err
	}
	rec.Prefix = key[len(Marker) : len(Marker)+LookupLen]
	rec.Hash = Digest(secret, key)
	if err := s.db.InsertClientKey(ctx, rec); err != nil {
		if errors.Is(err, journal.ErrExists) {
			return rec, "", fmt.Errorf("client key %q: %w", rec.Name, ErrExists)
		}
		return rec, "", fmt.Errorf("store client key: %w", err)
	}
	s.add(rec)
	return rec, key, nil
}

// Update stores rec as k's new form (a new name, scope, limits, or its
// revocation), keeping k's live counters.
func (s *Set) Update(ctx context.Context, k *Key, rec journal.ClientKey, now time.Time) error {
	if err := s.db.UpdateClientKey(ctx, rec); err != nil {
		return fmt.Errorf("store client key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byName, k.rec.Name)
	s.set(k, rec, now)
	return nil
}

// Named returns the live key called name, or nil.
func (s *Set) Named(name string) *Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byName[name]
}

// ByID returns the key with id, revoked or not, or nil.
func (s *Set) ByID(id string) *Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, ks := range s.byPrefix {
		for _, k := range ks {
			if k.id == id {
				return k
			}
		}
	}
	return nil
}

// Record returns k's stored form.
func (s *Set) Record(k *Key) journal.ClientKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return k.rec
}

// Records lists every key's stored form, revoked ones included, oldest
// first.
func (s *Set) Records() []journal.ClientKey {
	s.mu.RLock()
	var recs []journal.ClientKey
	for _, ks := range s.byPrefix {
		for _, k := range ks {
			recs = append(recs, k.rec)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(recs, func(a, b journal.ClientKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return recs
}

// Scope is the set of accounts k may use; nil when it may use all (or k
// is nil). set replaces the map whole and never changes it in place, so
// the caller may read it without the lock.
func (s *Set) Scope(k *Key) map[string]bool {
	if k == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return k.allowed
}

// add indexes a stored key.
func (s *Set) add(r journal.ClientKey) {
	k := &Key{id: r.ID}
	k.revoked, k.revoke = context.WithCancel(context.Background())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set(k, r, time.Now())
	s.byPrefix[r.Prefix] = append(s.byPrefix[r.Prefix], k)
}

// set applies r to k; s.mu is held.
func (s *Set) set(k *Key, r journal.ClientKey, now time.Time) {
	k.rec = r
	if !r.RevokedAt.IsZero() {
		k.revoke()
	}
	// Replaced whole, never changed in place: see Scope.
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
		s.byName[r.Name] = k
	}
}
