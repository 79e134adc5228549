package vault_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/vault"
)

const (
	testPassword = "correct horse battery staple"
	testAPIKey   = "sk-ant-api03-SECRETKEYVALUE"
	testAccess   = "sk-ant-oat01-SECRETACCESS"
	testRefresh  = "sk-ant-ort01-SECRETREFRESH"
)

func openFileStore(t *testing.T, dir, password string) *vault.Store {
	t.Helper()
	s, err := vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePassword: password})
	if err != nil {
		t.Fatalf("Open file store: %v", err)
	}
	return s
}

// assertNoSecrets fails when an error text carries any of the secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestFileStorePutGetDelete(t *testing.T) {
	s := openFileStore(t, filepath.Join(t.TempDir(), "keyring"), testPassword)
	if got := s.Backend(); got != "file" {
		t.Errorf("Backend() = %q, want file", got)
	}
	oauth := vault.Credential{Kind: vault.KindOAuth, AccessToken: testAccess, RefreshToken: testRefresh, ExpiresAt: 1700000000000}
	key := vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}
	for id, c := range map[string]vault.Credential{"alice@example.com": oauth, "bob/../weird:id": key} {
		if err := s.Put(id, c); err != nil {
			t.Fatalf("Put(%q): %v", id, err)
		}
		got, err := s.Get(id)
		if err != nil {
			t.Fatalf("Get(%q): %v", id, err)
		}
		if got != c {
			t.Errorf("Get(%q) returned a different credential", id)
		}
	}
	// Replacing keeps one item per account.
	rotated := oauth
	rotated.RefreshToken = testRefresh + "-2"
	if err := s.Put("alice@example.com", rotated); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get("alice@example.com"); got.RefreshToken != rotated.RefreshToken {
		t.Error("Put did not replace the item")
	}
	if err := s.Delete("alice@example.com"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get("alice@example.com"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete("alice@example.com"); err != nil {
		t.Errorf("Delete of an absent account: %v, want nil", err)
	}
	if _, err := s.Get("never-stored"); !errors.Is(err, vault.ErrNotFound) {
		t.Errorf("Get(never-stored): err = %v, want ErrNotFound", err)
	}
}

func TestFileStorePersistsAcrossOpens(t *testing.T) {
	dir := t.TempDir()
	c := vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}
	if err := openFileStore(t, dir, testPassword).Put("acct", c); err != nil {
		t.Fatal(err)
	}
	got, err := openFileStore(t, dir, testPassword).Get("acct")
	if err != nil || got != c {
		t.Fatalf("Get after reopen = %v, %v", got, err)
	}
}

// snapshot returns every file's content in dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func TestFileStoreWrongPassword(t *testing.T) {
	dir := t.TempDir()
	c := vault.Credential{Kind: vault.KindOAuth, AccessToken: testAccess, RefreshToken: testRefresh}
	if err := openFileStore(t, dir, testPassword).Put("acct", c); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)

	const wrong = "not the password"
	_, err := vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePassword: wrong})
	if !errors.Is(err, vault.ErrWrongPassword) {
		t.Fatalf("Open with a wrong password: err = %v, want ErrWrongPassword", err)
	}
	assertNoSecrets(t, err, wrong, testPassword, testAccess, testRefresh)
	if !strings.Contains(err.Error(), "SLUICE_KEYRING_PASSWORD") {
		t.Errorf("error %q does not say which setting is wrong", err)
	}
	if after := snapshot(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a wrong password changed the keyring files")
	}
	got, err := openFileStore(t, dir, testPassword).Get("acct")
	if err != nil || got != c {
		t.Fatalf("item not readable with the right password after a wrong one: %v", err)
	}
}

// An existing keyring without Sluice's canary (written by an older version
// or by hand) is checked against its items.
func TestFileStoreWrongPasswordWithoutCanary(t *testing.T) {
	dir := t.TempDir()
	s := openFileStore(t, dir, testPassword)
	if err := s.Put("acct", vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, ".sluice-canary")); err != nil {
		t.Fatalf("canary file not where expected: %v", err)
	}
	if _, err := vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePassword: "wrong"}); !errors.Is(err, vault.ErrWrongPassword) {
		t.Fatalf("err = %v, want ErrWrongPassword", err)
	}
	// The right password restores the canary.
	openFileStore(t, dir, testPassword)
	if _, err := os.Stat(filepath.Join(dir, ".sluice-canary")); err != nil {
		t.Errorf("canary not rewritten: %v", err)
	}
}

func TestFileStoreWrongPasswordOnEmptyKeyring(t *testing.T) {
	dir := t.TempDir()
	openFileStore(t, dir, testPassword) // writes only the canary
	if _, err := vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePassword: "wrong"}); !errors.Is(err, vault.ErrWrongPassword) {
		t.Fatalf("err = %v, want ErrWrongPassword", err)
	}
}

func TestFileStoreNeedsPassword(t *testing.T) {
	_, err := vault.Open(vault.Config{Backend: "file", FileDir: t.TempDir()})
	if err == nil {
		t.Fatal("Open without a password succeeded")
	}
	for _, name := range []string{"SLUICE_KEYRING_PASSWORD", "SLUICE_KEYRING_PASSWORD_FILE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestFileStorePasswordFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(testPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePasswordFile: pwFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("acct", vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}); err != nil {
		t.Fatal(err)
	}
	// Same password given directly: the newline was trimmed.
	if _, err := openFileStore(t, dir, testPassword).Get("acct"); err != nil {
		t.Fatalf("password from file differs from the same password given directly: %v", err)
	}
	_, err = vault.Open(vault.Config{Backend: "file", FileDir: dir, FilePasswordFile: filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "SLUICE_KEYRING_PASSWORD_FILE") {
		t.Errorf("missing password file: err = %v", err)
	}
}

func TestFileStoreDirectoryMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "keyring")
	openFileStore(t, dir, testPassword)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("keyring directory mode = %o, want 700", perm)
	}
}

func TestOpenUnknownBackend(t *testing.T) {
	_, err := vault.Open(vault.Config{Backend: "sqlite"})
	if err == nil {
		t.Fatal("unknown backend accepted")
	}
	for _, name := range []string{"auto", "secret-service", "keychain", "wincred", "kwallet", "pass", "file"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

func TestStoreRejectsInvalid(t *testing.T) {
	s := openFileStore(t, t.TempDir(), testPassword)
	for name, tc := range map[string]struct {
		id string
		c  vault.Credential
	}{
		"empty id":         {"", vault.Credential{Kind: vault.KindAPIKey, APIKey: testAPIKey}},
		"no kind":          {"a", vault.Credential{APIKey: testAPIKey}},
		"api key missing":  {"a", vault.Credential{Kind: vault.KindAPIKey, AccessToken: testAccess}},
		"no oauth secrets": {"a", vault.Credential{Kind: vault.KindOAuth}},
	} {
		err := s.Put(tc.id, tc.c)
		if err == nil {
			t.Errorf("%s: Put accepted it", name)
		}
		assertNoSecrets(t, err, testAPIKey, testAccess)
	}
}

func TestCredentialFormattingHidesSecrets(t *testing.T) {
	c := vault.Credential{Kind: vault.KindOAuth, APIKey: testAPIKey, AccessToken: testAccess, RefreshToken: testRefresh}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, out := range []string{fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, []vault.Credential{c})} {
			for _, secret := range []string{testAPIKey, testAccess, testRefresh, "SECRET", "534543524554"} {
				if strings.Contains(out, secret) {
					t.Errorf("%s printed a secret: %s", verb, out)
				}
			}
		}
	}
	if got := fmt.Sprint(c); !strings.Contains(got, "oauth") {
		t.Errorf("String() = %q, want the kind shown", got)
	}
}

// Without a session bus given at start, "auto" must fail with advice and
// never fall back to the file or pass backends.
func TestAutoNeverFallsBackToFile(t *testing.T) {
	if environ, err := os.ReadFile("/proc/self/environ"); err != nil ||
		strings.Contains(string(environ), "DBUS_SESSION_BUS_ADDRESS=") || os.Getenv("SLUICE_VAULT_SECRET_SERVICE_CHILD") != "" {
		t.Skip("a session bus was given: auto may legitimately find a keyring")
	}
	s, err := vault.Open(vault.Config{FileDir: t.TempDir(), FilePassword: testPassword})
	if err == nil {
		t.Fatalf("auto opened %q without an OS keyring", s.Backend())
	}
	for _, want := range []string{"no OS keyring available", "SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
