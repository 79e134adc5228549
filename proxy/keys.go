package proxy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/time/rate"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// Settings the key machinery keeps in the journal.
const (
	settingRequireKey = api.StoreRequireKey
	settingFirstKey   = "first_key_created"
)

// keyStore is the engine's client keys (package clientkey) and its auth
// counters.
type keyStore struct {
	set *clientkey.Set

	require  atomic.Bool
	connMu   sync.Mutex // one ConnectionKey at a time (connkey.go)
	firstMu  sync.Mutex
	first    *api.KeyView // the key created on first start, until dismissed
	firstSec string

	failures atomic.Int64 // requests refused for want of a valid key
	refused  atomic.Int64 // requests refused by Host, Origin or path guards
	peers    peerThrottle
	logs     *rate.Limiter // refusal log lines
}

func newKeyStore(set *clientkey.Set) *keyStore {
	return &keyStore{
		set:   set,
		peers: peerThrottle{fails: map[string]*peerFails{}},
		logs:  rate.NewLimiter(rate.Every(10*time.Second), 5),
	}
}

// initKeys loads the keys, the require-key setting and, on the very first
// start, creates the first key. A keyring that cannot be read now is not
// fatal: verification retries it, and answers 503 meanwhile.
func (s *Service) initKeys(ctx context.Context) error {
	s.keys = newKeyStore(clientkey.New(s.db, s.keyring))
	require := true
	if s.cfg.RequireKey != nil {
		require = *s.cfg.RequireKey
	} else if v, ok, err := s.db.Setting(ctx, settingRequireKey); err != nil {
		return err
	} else if ok {
		require = v != "false"
	}
	s.keys.require.Store(require)
	n, err := s.keys.set.Load(ctx)
	if err != nil {
		return err
	}
	if _, done, err := s.db.Setting(ctx, settingFirstKey); err != nil {
		return err
	} else if done || n > 0 {
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
	// The first key is also the one connection settings carry, so
	// the banner and "Copy connection settings" agree.
	if err := s.keepConnectionKey(secret); err != nil {
		s.log.Warn("could not keep the first client key for connection settings", "err", err)
	}
	return s.db.SetSetting(ctx, settingFirstKey, "true")
}

// CreateKey creates a client key and returns it once: only its digest is
// kept, so the secret cannot be shown again.
func (s *Service) CreateKey(ctx context.Context, o api.KeyOptions) (api.KeyView, string, error) {
	rec, err := s.keyRecord(ctx, journal.ClientKey{}, o)
	if err != nil {
		return api.KeyView{}, "", err
	}
	if rec.ID, err = newID(); err != nil {
		return api.KeyView{}, "", err
	}
	rec.CreatedAt = s.now()
	rec, key, err := s.keys.set.Create(ctx, rec)
	if errors.Is(err, clientkey.ErrExists) {
		return api.KeyView{}, "", fmt.Errorf("a client key named %q already exists", rec.Name)
	} else if err != nil {
		return api.KeyView{}, "", err
	}
	s.audit(ctx, AuditClientKeyAdded, rec.Name, "")
	return s.keyView(rec), key, nil
}

// UpdateKey replaces a live key's scope and limits (and its name, if
// o.Name is set and differs).
func (s *Service) UpdateKey(ctx context.Context, name string, o api.KeyOptions) (api.KeyView, error) {
	k := s.keys.set.Named(name)
	if k == nil {
		return api.KeyView{}, fmt.Errorf("client key %q: %w", name, api.ErrKeyNotFound)
	}
	old := s.keys.set.Record(k)
	if o.Name == "" {
		o.Name = old.Name
	}
	rec, err := s.keyRecord(ctx, old, o)
	if err != nil {
		return api.KeyView{}, err
	}
	if err := s.keys.set.Update(ctx, k, rec, s.now()); err != nil {
		return api.KeyView{}, err
	}
	return s.keyView(rec), nil
}

// RevokeKey revokes a live key at once: requests already in flight finish,
// the next one gets 401.
func (s *Service) RevokeKey(ctx context.Context, name string) error {
	k := s.keys.set.Named(name)
	if k == nil {
		return fmt.Errorf("client key %q: %w", name, api.ErrKeyNotFound)
	}
	rec := s.keys.set.Record(k)
	rec.RevokedAt = s.now()
	if err := s.keys.set.Update(ctx, k, rec, s.now()); err != nil {
		return err
	}
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
	recs := s.keys.set.Records()
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
// CLI must say so. While SLUICE_REQUIRE_KEY fixes it the change is refused
// (ErrSettingFixed): the variable would undo it at the next start.
func (s *Service) SetRequireKey(ctx context.Context, on bool) error {
	if err := s.refuseFixed(api.SettingRequireKey); err != nil {
		return err
	}
	if err := s.db.SetSetting(ctx, settingRequireKey, fmt.Sprint(on)); err != nil {
		return err
	}
	s.keys.require.Store(on)
	s.log.Info("client key requirement changed", "required", on)
	s.audit(ctx, AuditSettingsChanged, "require_key", fmt.Sprint(on))
	s.publishSettings()
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
		ID: r.ID, Name: r.Name, Hint: clientkey.Marker + r.Prefix + "…", RPM: r.RPM,
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
