package vault_test

import (
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/vault"
)

// With no Secret Service reachable (no session bus at all), opening the
// default keyring fails at once with an error that says what to do, not a
// D-Bus message alone.
func TestOpenWithoutKeyringSaysWhatToDo(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	_, err := vault.Open(vault.Config{})
	if err == nil {
		t.Fatal("Open succeeded with no keyring reachable")
	}
	for _, want := range []string{"no OS keyring available", "SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	_, err = vault.Open(vault.Config{Backend: vault.BackendSecretService})
	if err == nil || !strings.Contains(err.Error(), "secret-service") {
		t.Errorf("explicit secret-service without a bus: err = %v, want one naming the backend", err)
	}
}
