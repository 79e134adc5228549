package journal

import (
	"crypto/rand"
	"time"
)

// idAlphabet is rand.Text's alphabet (RFC 4648 base32) in ASCII order, so
// that ids compare as their times do.
const idAlphabet = "234567ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewID returns a record id for a request that started at t: 26 characters
// of rand.Text's alphabet, as before, but the first 10 encode t in Unix
// milliseconds (50 bits, enough until the year 37,000) and only the last 16
// are random (80 bits). Ids in time order land at the end of the records'
// unique id index, as its other indexes do, instead of at a random page:
// with random ids, splitting and rebalancing that index's pages was most of
// the journal's cost per row under load (CPU profile of the load harness).
func NewID(t time.Time) string {
	var b [26]byte
	ms := uint64(max(millis(t), 0))
	for i := 9; i >= 0; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	rand.Read(b[10:]) // never fails (crypto/rand's documented contract)
	for i := 10; i < len(b); i++ {
		b[i] = idAlphabet[b[i]&31]
	}
	return string(b[:])
}
