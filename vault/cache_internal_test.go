package vault

import (
	"errors"
	"testing"
)

func openTestFileStore(t testing.TB, dir string) *Store {
	s, err := Open(Config{Backend: BackendFile, FileDir: dir, FilePassword: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Get serves from memory, Delete forgets, and getFresh (the refresher's
// read) sees a change another process made to the keyring.
func TestStoreCache(t *testing.T) {
	dir := t.TempDir()
	a, b := openTestFileStore(t, dir), openTestFileStore(t, dir)
	c1 := Credential{Kind: KindOAuth, AccessToken: "at-1", RefreshToken: "rt-1"}
	c2 := Credential{Kind: KindOAuth, AccessToken: "at-2", RefreshToken: "rt-2"}
	if err := a.Put("acct", c1); err != nil {
		t.Fatal(err)
	}
	if err := b.Put("acct", c2); err != nil { // "another process" rotates it
		t.Fatal(err)
	}
	if got, err := a.Get("acct"); err != nil || got != c1 {
		t.Fatalf("cached get: %v %v", got, err)
	}
	if got, err := a.getFresh("acct"); err != nil || got != c2 {
		t.Fatalf("fresh get did not see the other store's write: %v", err)
	}
	if got, _ := a.Get("acct"); got != c2 {
		t.Fatalf("fresh read did not update the cache")
	}
	if err := a.Delete("acct"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get("acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
}

// BenchmarkStoreGet is the per-request cost of handing out a credential.
func BenchmarkStoreGet(b *testing.B) {
	s := openTestFileStore(b, b.TempDir())
	if err := s.Put("acct", Credential{Kind: KindAPIKey, APIKey: "sk-ant-bench"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get("acct"); err != nil {
			b.Fatal(err)
		}
	}
}
