package vault_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
)

// A tampered file keyring item asking for a huge PBKDF2 iteration count is
// refused at once instead of burning minutes of CPU (CVE-2023-50658).
func TestFileKeyringRefusesHugeIterationCount(t *testing.T) {
	dir := t.TempDir()
	cfg := vault.Config{Backend: "file", FileDir: dir, FilePassword: "pw"}
	if _, err := vault.Open(cfg); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ".sluice-canary")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(raw), ".")
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		t.Fatal(err)
	}
	if h["p2c"] == nil {
		t.Fatalf("no p2c in the item header: %s", hdr)
	}
	h["p2c"] = 1_000_000 // under jose2go's own cap (1.3M), over Sluice's
	hdr, _ = json.Marshal(h)
	parts[0] = base64.RawURLEncoding.EncodeToString(hdr)
	if err := os.WriteFile(path, []byte(strings.Join(parts, ".")), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = vault.Open(cfg)
	if err == nil {
		t.Fatal("a keyring with a tampered item opened")
	}
	if !strings.Contains(err.Error(), "p2c") {
		t.Fatalf("not refused for its iteration count: %v", err)
	}
	// Refused before deriving anything.
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("refusing the item took %v", d)
	}
}
