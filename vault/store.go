package vault

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"

	// First, before keyring's init can autolaunch a session bus.
	_ "github.com/sluice-proxy/sluice/vault/nobus"
)

// Backend names accepted in Config.Backend.
const (
	BackendAuto          = "auto"
	BackendSecretService = "secret-service"
	BackendKeychain      = "keychain"
	BackendWinCred       = "wincred"
	BackendKWallet       = "kwallet"
	BackendPass          = "pass"
	BackendFile          = "file"
)

// backendNames lists the valid Config.Backend values in the order error
// messages show them.
var backendNames = []string{BackendAuto, BackendSecretService, BackendKeychain,
	BackendWinCred, BackendKWallet, BackendPass, BackendFile}

// ErrWrongPassword reports that the file keyring's password does not decrypt
// the items already in it.
var ErrWrongPassword = errors.New("vault: wrong keyring password (SLUICE_KEYRING_PASSWORD / SLUICE_KEYRING_PASSWORD_FILE) for the existing file keyring")

// ErrLocked reports that the OS keyring is locked; the user has to unlock it.
var ErrLocked = errors.New("vault: keyring is locked")

// Config chooses and configures the keyring backend. The zero value means the
// platform's native keyring with service name "sluice".
type Config struct {
	Backend          string // "auto" (default when ""), "secret-service", "keychain", "wincred", "kwallet", "pass", "file"
	ServiceName      string // default "sluice"
	FileDir          string // file backend directory (created 0700)
	FilePassword     string // file backend password (SLUICE_KEYRING_PASSWORD)
	FilePasswordFile string // or read from this file (SLUICE_KEYRING_PASSWORD_FILE), trailing newline trimmed
	Collection       string // Secret Service collection, default "login"
}

// Store keeps one keyring item per account: its key is the account id
// (prefixed with the service name) and its value the compact JSON of the
// account's Credential. A Store is safe for concurrent use.
type Store struct {
	backend string
	service string
	// check runs before each operation; the Secret Service backend uses it
	// to fail fast on a locked collection instead of waiting on a prompt.
	check func() error

	mu    sync.Mutex // the keyring backends are not safe for concurrent use
	kr    keyring.Keyring
	cache map[string]cachedCredential // guarded by mu
}

// cacheTTL bounds how long Get serves a credential from memory. Reading the
// keyring costs a D-Bus round trip or, for the file backend, a PBKDF2
// derivation (~2 ms of CPU under the lock): far too much per request. A
// short TTL still lets a change made by another Sluice process (a re-login
// from the CLI while the tray app runs) reach this one within seconds.
const cacheTTL = 30 * time.Second

type cachedCredential struct {
	c  Credential
	at time.Time
	// unsaved marks a credential the keyring write failed for: a refreshed
	// one, whose predecessor in the keyring the server has already revoked.
	// It does not expire; every read serves it and retries the write.
	unsaved bool
}

// Open opens the keyring chosen by cfg. "auto" tries only the platform's
// native keyrings and never falls back to the file or pass backends. For the
// file backend Open verifies the password before anything is written.
func Open(cfg Config) (*Store, error) {
	if cfg.Backend == "" {
		cfg.Backend = BackendAuto
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = "sluice"
	}
	if cfg.Collection == "" {
		cfg.Collection = "login"
	}
	switch cfg.Backend {
	case BackendAuto:
		return openAuto(cfg)
	case BackendFile:
		return openFile(cfg)
	case BackendSecretService, BackendKeychain, BackendWinCred, BackendKWallet, BackendPass:
		s, err := openNative(cfg, cfg.Backend)
		if err != nil {
			return nil, fmt.Errorf("vault: open %s keyring: %w", cfg.Backend, err)
		}
		return s, nil
	default:
		return nil, fmt.Errorf("vault: unknown keyring backend %q (valid: %s)",
			cfg.Backend, strings.Join(backendNames, ", "))
	}
}

// nativeBackends are the OS keyrings "auto" may choose on this platform.
func nativeBackends() []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{BackendKeychain}
	case "windows":
		return []string{BackendWinCred}
	default:
		return []string{BackendSecretService, BackendKWallet}
	}
}

func openAuto(cfg Config) (*Store, error) {
	var reasons []string
	for _, name := range nativeBackends() {
		s, err := openNative(cfg, name)
		if err == nil {
			return s, nil
		}
		if errors.Is(err, ErrLocked) {
			// A locked keyring is the user's keyring: say so rather than
			// trying the next one.
			return nil, fmt.Errorf("vault: open %s keyring: %w", name, err)
		}
		reasons = append(reasons, name+": "+err.Error())
	}
	return nil, fmt.Errorf("vault: no OS keyring available: start a Secret Service (e.g. gnome-keyring) "+
		"or set SLUICE_KEYRING=file with SLUICE_KEYRING_PASSWORD or SLUICE_KEYRING_PASSWORD_FILE (%s)",
		strings.Join(reasons, "; "))
}

// openNative opens one named backend other than file.
func openNative(cfg Config, name string) (*Store, error) {
	if !available(name) || ((name == BackendSecretService || name == BackendKWallet) && busAutolaunched()) {
		return nil, errors.New("not available on this system" + unavailableHint(name))
	}
	s := &Store{backend: name, service: cfg.ServiceName, check: func() error { return nil }}
	if name == BackendSecretService {
		// go-libsecret waits forever on a prompt (unlocking or creating a
		// collection), so check the collection over D-Bus first.
		check := func() error { return checkSecretService(cfg.Collection) }
		if err := check(); err != nil {
			return nil, err
		}
		s.check = check
	}
	kr, err := keyring.Open(keyring.Config{
		AllowedBackends:         []keyring.BackendType{keyring.BackendType(name)},
		ServiceName:             cfg.ServiceName,
		LibSecretCollectionName: cfg.Collection,
		KWalletAppID:            cfg.ServiceName,
		KWalletFolder:           cfg.ServiceName,
		WinCredPrefix:           cfg.ServiceName,
		PassPrefix:              cfg.ServiceName,
	})
	if err != nil {
		return nil, err
	}
	s.kr = kr
	return s, nil
}

// available reports whether keyring registered the backend in this process.
// Secret Service and KWallet register only when a session bus existed at
// process start.
func available(name string) bool {
	for _, b := range keyring.AvailableBackends() {
		if string(b) == name {
			return true
		}
	}
	return false
}

func unavailableHint(name string) string {
	switch name {
	case BackendSecretService, BackendKWallet:
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" || busAutolaunched() {
			return " (no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is unset)"
		}
		return " (no D-Bus session bus when Sluice started)"
	case BackendPass:
		return " (the pass command is not installed)"
	}
	return ""
}

// Backend names the backend in use, e.g. "secret-service" or "file".
func (s *Store) Backend() string { return s.backend }

// itemKey is the keyring key of an account's item. The service prefix keeps
// Sluice's items apart from other programs' in shared stores such as the
// Secret Service "login" collection, which keyring searches by key alone.
func (s *Store) itemKey(accountID string) string { return s.service + ":" + accountID }

// Put stores (or replaces) the credential of an account.
func (s *Store) Put(accountID string, c Credential) error {
	if accountID == "" {
		return errors.New("vault: put credential: empty account id")
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("vault: put credential for %q: %w", accountID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.write(accountID, c); err != nil {
		return err
	}
	s.remember(accountID, c)
	return nil
}

// write stores c in the keyring; the caller holds mu.
func (s *Store) write(accountID string, c Credential) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("vault: put credential for %q: encode: %w", accountID, err)
	}
	if err := s.check(); err != nil {
		return fmt.Errorf("vault: put credential for %q: %w", accountID, err)
	}
	err = s.kr.Set(keyring.Item{
		Key:         s.itemKey(accountID),
		Data:        data,
		Label:       s.service + " account " + accountID,
		Description: "Sluice account credential",
	})
	if err != nil {
		return fmt.Errorf("vault: put credential for %q in %s keyring: %w", accountID, s.backend, err)
	}
	return nil
}

// keepUnsaved caches c, which could not be written to the keyring, as
// newer than the keyring's copy: reads serve it and retry the write.
func (s *Store) keepUnsaved(accountID string, c Credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remember(accountID, c)
	e := s.cache[accountID]
	e.unsaved = true
	s.cache[accountID] = e
}

// remember caches c for Get; the caller holds mu.
func (s *Store) remember(accountID string, c Credential) {
	if s.cache == nil {
		s.cache = map[string]cachedCredential{}
	}
	s.cache[accountID] = cachedCredential{c: c, at: time.Now()}
}

// Get returns the credential of an account, or an error wrapping ErrNotFound.
// A credential whose keyring write failed (see keepUnsaved) is returned
// from memory, and its write retried, until the write succeeds.
func (s *Store) Get(accountID string) (Credential, error) {
	return s.get(accountID, true)
}

// getFresh reads the keyring itself, bypassing the cache: a refresh must
// start from the newest refresh token, which another process may have
// rotated. An unsaved credential is newer than the keyring's copy and is
// returned instead.
func (s *Store) getFresh(accountID string) (Credential, error) {
	return s.get(accountID, false)
}

func (s *Store) get(accountID string, cached bool) (Credential, error) {
	if accountID == "" {
		return Credential{}, errors.New("vault: get credential: empty account id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.cache[accountID]
	if ok && e.unsaved {
		if s.write(accountID, e.c) == nil {
			s.remember(accountID, e.c)
		}
		return e.c, nil
	}
	if ok && cached && time.Since(e.at) < cacheTTL {
		return e.c, nil
	}
	if err := s.check(); err != nil {
		return Credential{}, fmt.Errorf("vault: get credential for %q: %w", accountID, err)
	}
	item, err := s.kr.Get(s.itemKey(accountID))
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return Credential{}, fmt.Errorf("vault: get credential for %q: %w", accountID, ErrNotFound)
	}
	if err != nil {
		return Credential{}, fmt.Errorf("vault: get credential for %q from %s keyring: %w", accountID, s.backend, err)
	}
	var c Credential
	// The JSON error is dropped on purpose: it may quote bytes of the secret.
	if json.Unmarshal(item.Data, &c) != nil || c.validate() != nil {
		return Credential{}, fmt.Errorf("vault: get credential for %q: stored item is not a valid credential", accountID)
	}
	s.remember(accountID, c)
	return c, nil
}

// Delete removes the credential of an account; deleting an absent one is not
// an error.
func (s *Store) Delete(accountID string) error {
	if accountID == "" {
		return errors.New("vault: delete credential: empty account id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(); err != nil {
		return fmt.Errorf("vault: delete credential for %q: %w", accountID, err)
	}
	delete(s.cache, accountID)
	err := s.kr.Remove(s.itemKey(accountID))
	if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("vault: delete credential for %q from %s keyring: %w", accountID, s.backend, err)
	}
	return nil
}
