package clientkey_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// newSet opens a Set over a real journal and the real keyring file
// backend in dir, as the engine does.
func newSet(t *testing.T, dir string) *clientkey.Set {
	t.Helper()
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kr, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	s := clientkey.New(db, kr)
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func create(t *testing.T, s *clientkey.Set, rec journal.ClientKey) (*clientkey.Key, string) {
	t.Helper()
	if rec.ID == "" {
		rec.ID = rec.Name + "-id"
	}
	rec.CreatedAt = time.Now()
	rec, key, err := s.Create(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	return s.Named(rec.Name), key
}

func TestMintShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		k, err := clientkey.Mint()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != clientkey.Len || !strings.HasPrefix(k, clientkey.Marker) ||
			strings.ContainsAny(k[len(clientkey.Marker):], "-_+/=") {
			t.Fatalf("minted %d chars of the wrong shape", len(k))
		}
		if seen[k] {
			t.Fatal("the same key minted twice")
		}
		seen[k] = true
	}
}

// A key verifies after a restart (a new Set on the same journal and
// keyring); a revoked one, a near miss and an Anthropic credential do not.
func TestVerifyAcrossRestartAndRevocation(t *testing.T) {
	dir := t.TempDir()
	s := newSet(t, dir)
	k, key := create(t, s, journal.ClientKey{Name: "laptop"})
	if got, f, err := s.Verify(key); err != nil || f != clientkey.OK || got != k {
		t.Fatalf("Verify(new key) = %v, %v", f, err)
	}
	last := "a"
	if strings.HasSuffix(key, "a") {
		last = "b"
	}
	near := key[:len(key)-1] + last
	if _, f, _ := s.Verify(near); f != clientkey.Wrong {
		t.Fatalf("Verify(one character off) = %v, want wrong key", f)
	}
	if _, f, _ := s.Verify("sk-ant-api03-xyz"); f != clientkey.Anthropic {
		t.Fatalf("Verify(sk-ant) = %v", f)
	}
	if _, f, _ := s.Verify(""); f != clientkey.Missing {
		t.Fatalf("Verify(\"\") = %v", f)
	}

	s2 := newSet(t, dir)
	k2 := s2.Named("laptop")
	if k2 == nil {
		t.Fatal("key lost across restart")
	}
	if _, f, _ := s2.Verify(key); f != clientkey.OK {
		t.Fatalf("after restart Verify = %v", f)
	}
	rec := s2.Record(k2)
	rec.RevokedAt = time.Now()
	if err := s2.Update(context.Background(), k2, rec, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, f, _ := s2.Verify(key); f != clientkey.Revoked {
		t.Fatalf("revoked key: Verify = %v", f)
	}
	if s2.Named("laptop") != nil {
		t.Fatal("a revoked key is still found by name")
	}
}

func TestCreateRefusesADuplicateName(t *testing.T) {
	s := newSet(t, t.TempDir())
	create(t, s, journal.ClientKey{Name: "ci"})
	_, _, err := s.Create(context.Background(), journal.ClientKey{ID: "other", Name: "ci"})
	if !errors.Is(err, clientkey.ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
}

func TestTokenPrefersASluiceKey(t *testing.T) {
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("X-Api-Key", "sk-ant-api03-x")
	r.Header.Set("Authorization", "Bearer sk-sluice-abc")
	if got := clientkey.Token(r); got != "sk-sluice-abc" {
		t.Fatalf("Token = %q", got)
	}
}

func TestAdmitConcurrencyAndRPM(t *testing.T) {
	s := newSet(t, t.TempDir())
	ctx := context.Background()
	now := time.Now()
	k, _ := create(t, s, journal.ClientKey{Name: "one", MaxConcurrent: 1})
	done, refused, err := s.Admit(ctx, k, now)
	if err != nil || refused != nil {
		t.Fatalf("first request refused: %+v %v", refused, err)
	}
	if _, refused, _ := s.Admit(ctx, k, now); refused == nil || refused.Limit != clientkey.LimitConcurrent {
		t.Fatalf("second in flight: %+v", refused)
	}
	done()
	if done, refused, _ := s.Admit(ctx, k, now); refused != nil {
		t.Fatalf("after the first ended: %+v", refused)
	} else {
		done()
	}

	r, _ := create(t, s, journal.ClientKey{Name: "slow", RPM: 2})
	for i := range 2 {
		if _, refused, _ := s.Admit(ctx, r, now); refused != nil {
			t.Fatalf("request %d refused: %+v", i+1, refused)
		}
	}
	_, refused, _ = s.Admit(ctx, r, now)
	if refused == nil || refused.Limit != clientkey.LimitRPM || refused.Wait <= 0 {
		t.Fatalf("third request in a minute: %+v", refused)
	}
}

// The attack of issue 20: a $0.01/day key sends four requests at once,
// each of which may cost far more than the cap. At most one may go ahead;
// after it settles at its real cost the day's spending is what it cost.
func TestReserveParallelSpendersOvershootByOneRequestAtMost(t *testing.T) {
	s := newSet(t, t.TempDir())
	ctx := context.Background()
	now := time.Now()
	k, _ := create(t, s, journal.ClientKey{Name: "capped", DailyCostMicros: 10_000})
	worst := func() int64 { return 60_000 } // 4,000 output tokens at $15 per million
	var (
		mu      sync.Mutex
		through []*clientkey.Reservation
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, refused, err := s.Reserve(ctx, k, now, worst)
			if err != nil {
				t.Error(err)
				return
			}
			if refused == nil {
				mu.Lock()
				through = append(through, r)
				mu.Unlock()
			} else if refused.Limit != clientkey.LimitDailyCost {
				t.Errorf("refused for %q", refused.Limit)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(through) != 1 {
		t.Fatalf("%d of 4 parallel requests went ahead, want 1", len(through))
	}
	// Settled cheaper than the cap: the next request may go.
	through[0].Settle(4_000)
	r, refused, _ := s.Reserve(ctx, k, now, worst)
	if refused != nil {
		t.Fatalf("refused with $0.004 of $0.01 spent: %+v", refused)
	}
	r.Settle(7_000)
	if _, refused, _ := s.Reserve(ctx, k, now, worst); refused == nil {
		t.Fatal("a request went ahead with $0.011 of $0.01 spent")
	}
	if _, refused, _ := s.Admit(ctx, k, now); refused == nil || refused.Limit != clientkey.LimitDailyCost {
		t.Fatalf("Admit over the cap: %+v", refused)
	}
	// A new day starts over.
	if _, refused, _ := s.Reserve(ctx, k, now.Add(24*time.Hour), worst); refused != nil {
		t.Fatalf("refused on a new day: %+v", refused)
	}
}
