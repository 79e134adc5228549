package vault

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/99designs/keyring"
	jose "github.com/dvsekhvalnov/jose2go"
)

// maxFileIterations bounds the PBKDF2 iteration count (the JWE "p2c"
// header) a file keyring item may ask for. keyring writes 8,192; an item
// asking for millions is a tampered file trying to burn minutes of CPU at
// start (CVE-2023-50658), and is refused before any derivation.
const maxFileIterations = 200_000

// init bounds p2c for PBES2-HS256+A128KW, the algorithm keyring's file
// backend uses. jose2go keeps its algorithms in a process-wide registry;
// replacing the entry is the only way to configure it, and it is done once,
// before any keyring can be opened.
func init() {
	jose.RegisterJwa(jose.NewPbse2HmacAesKWAlg(128, maxFileIterations, 1000))
}

// canaryKey names the file keyring item that proves the password. It has no
// service prefix, so no account id can collide with it.
const canaryKey = ".sluice-canary"

// canaryValue is the canary's plaintext; decrypting to it proves the password.
const canaryValue = "sluice keyring password check v1"

// openFile opens the encrypted-file keyring. keyring's file backend never
// checks the password on Set (a wrong one silently encrypts new items under
// it), so the password is verified here against a canary item before anything
// can be written.
func openFile(cfg Config) (*Store, error) {
	if cfg.FileDir == "" {
		return nil, errors.New("vault: file keyring: no directory configured")
	}
	password, err := filePassword(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.FileDir, 0o700); err != nil {
		return nil, fmt.Errorf("vault: file keyring: create directory: %w", err)
	}
	kr, err := keyring.Open(keyring.Config{
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		ServiceName:      cfg.ServiceName,
		FileDir:          cfg.FileDir,
		FilePasswordFunc: keyring.FixedStringPrompt(password),
	})
	if err != nil {
		return nil, fmt.Errorf("vault: open file keyring: %w", err)
	}
	if err := verifyFilePassword(kr); err != nil {
		return nil, err
	}
	return &Store{backend: BackendFile, service: cfg.ServiceName, kr: kr, check: func() error { return nil }}, nil
}

// filePassword returns the configured password, from the config or the
// password file.
func filePassword(cfg Config) (string, error) {
	if cfg.FilePassword != "" {
		return cfg.FilePassword, nil
	}
	if cfg.FilePasswordFile != "" {
		b, err := os.ReadFile(cfg.FilePasswordFile)
		if err != nil {
			return "", fmt.Errorf("vault: file keyring: read password file (SLUICE_KEYRING_PASSWORD_FILE): %w", err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", errors.New("vault: file keyring: the password file (SLUICE_KEYRING_PASSWORD_FILE) is empty")
		}
		return pw, nil
	}
	return "", errors.New("vault: file keyring needs a password: set SLUICE_KEYRING_PASSWORD or SLUICE_KEYRING_PASSWORD_FILE")
}

// verifyFilePassword decrypts the canary, or with no canary yet any existing
// item, and writes the canary once the password is proven (or the keyring is
// empty).
func verifyFilePassword(kr keyring.Keyring) error {
	item, err := kr.Get(canaryKey)
	switch {
	case err == nil:
		if string(item.Data) != canaryValue {
			return fmt.Errorf("vault: file keyring: password check item is corrupt")
		}
		return nil
	case !errors.Is(err, keyring.ErrKeyNotFound):
		return wrongPassword(err)
	}
	keys, err := kr.Keys()
	if err != nil {
		return fmt.Errorf("vault: file keyring: list items: %w", err)
	}
	for _, k := range keys {
		if _, err := kr.Get(k); err != nil {
			return wrongPassword(err)
		}
	}
	if err := kr.Set(keyring.Item{Key: canaryKey, Data: []byte(canaryValue)}); err != nil {
		return fmt.Errorf("vault: file keyring: write password check item: %w", err)
	}
	return nil
}

// wrongPassword maps a decryption failure to ErrWrongPassword. I/O errors are
// reported as they are; anything else the JWE layer says means the password
// did not decrypt the item.
func wrongPassword(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("vault: file keyring: read item: %w", err)
	}
	if strings.Contains(err.Error(), "'p2c'") {
		return fmt.Errorf("vault: file keyring: an item asks for more than %d key derivation iterations (p2c); the file was tampered with", maxFileIterations)
	}
	return ErrWrongPassword
}
