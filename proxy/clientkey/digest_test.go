package clientkey

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"
)

// The pooled MAC gives Digest's sum for every key, concurrently, with
// the pool shared, and a MAC keyed with another secret is never reused.
func TestPooledDigestIsDigest(t *testing.T) {
	var m macPool
	secrets := [][]byte{make([]byte, 32), make([]byte, 32)}
	for _, s := range secrets {
		if _, err := rand.Read(s); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				key, err := Mint()
				if err != nil {
					t.Error(err)
					return
				}
				secret := secrets[(g+i)%2]
				var got [32]byte
				m.digest(secret, key, &got)
				if want := Digest(secret, key); !bytes.Equal(got[:], want) {
					t.Errorf("pooled digest differs from Digest (secret %d)", (g+i)%2)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A MAC back in the pool holds no byte of the key it checked.
func TestPooledDigestForgetsTheKey(t *testing.T) {
	var m macPool
	secret := make([]byte, 32)
	key, _ := Mint()
	var sum [32]byte
	m.digest(secret, key, &sum)
	e, _ := m.p.Get().(*keyedMAC)
	if e == nil {
		t.Skip("the pool dropped its entry (a GC ran)")
	}
	if e.buf != [Len]byte{} || e.sum != [32]byte{} {
		t.Fatal("the pooled MAC kept the key or its sum")
	}
}

func BenchmarkDigest(b *testing.B) {
	secret := make([]byte, 32)
	key, _ := Mint()
	b.Run("hmac.New", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Digest(secret, key)
		}
	})
	b.Run("pooled", func(b *testing.B) {
		var m macPool
		var sum [32]byte
		b.ReportAllocs()
		for b.Loop() {
			m.digest(secret, key, &sum)
		}
	})
}
