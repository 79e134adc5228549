package clientkey

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// keyedMAC is an HMAC-SHA-256 keyed with the install's secret, kept
// between requests: hmac.New per request cost two hash states, the key's
// padding and two extra compressions (the padded key blocks), 1-2% of the
// engine's CPU in the load harness. After its first Reset an HMAC restores
// its keyed state from a saved copy, so a verify costs the two
// compressions the key itself needs.
//
// What it holds between uses is derived from the secret alone (the hash
// states after the padded secret, which the Set holds anyway): each use
// copies the presented key into buf, and digest clears buf and resets the
// HMAC (which restores its saved keyed state, buffered input included,
// saved before any key went in) before putting it back, so no client key,
// right or wrong, outlives its Verify here. The pool's entries are
// unbounded only as sync.Pool is: one per P in use at once, dropped by GC.
type keyedMAC struct {
	secret *byte // &secret[0]: the secret this MAC is keyed with
	h      hash.Hash
	buf    [Len]byte
	sum    [sha256.Size]byte
}

// macPool holds keyedMACs for one Set. A secret read again (it is read
// once per Set, but tests make several Sets) never reuses another's MAC.
type macPool struct{ p sync.Pool }

// digest is Digest(secret, token) for a token of Len bytes (Verify checks
// the length first), written to out without allocating.
func (m *macPool) digest(secret []byte, token string, out *[sha256.Size]byte) {
	e, _ := m.p.Get().(*keyedMAC)
	if e == nil || e.secret != &secret[0] {
		e = &keyedMAC{secret: &secret[0], h: hmac.New(sha256.New, secret)}
		// The first Reset saves the keyed state, input buffer included:
		// taken now, before any key went in, so the saved copy holds none.
		e.h.Reset()
	}
	n := copy(e.buf[:], token)
	e.h.Write(e.buf[:n])
	copy(out[:], e.h.Sum(e.sum[:0]))
	clear(e.buf[:])
	clear(e.sum[:])
	e.h.Reset()
	m.p.Put(e)
}
