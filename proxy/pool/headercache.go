package pool

import (
	"hash/maphash"
	"net/http"
	"strings"
	"time"
)

// headerCacheLife bounds how long one parse of an account's limit headers
// is reused. Within it only a reset that lay more than maxResetAhead away
// at the parse (and so was dropped) could have become believable; a second
// late is harmless for a bound of 8 days.
const headerCacheLife = time.Second

// parsedHeaders is the last parse of one account's limit headers: while
// the same raw values come back (most answers in a row carry the same
// utilization and resets), Observe reuses it rather than parsing again,
// which was ~5% of the engine's CPU under load (load harness profile).
type parsedHeaders struct {
	sum   uint64    // limitHeadersSum of the headers parsed
	at    time.Time // when
	until time.Time // reusable before: the earliest reset parsed, at most headerCacheLife after at
	l     Limits
	mask  int
}

// limitPair is one limit header, hashed whole by limitHeadersSum.
type limitPair struct{ name, value string }

// limitHeadersSum is an order-independent hash of the limit headers' names
// and first values (what parseHeaders reads); ok is false when h carries a
// Retry-After, whose meaning may depend on the time of the answer.
func limitHeadersSum(seed maphash.Seed, h http.Header) (sum uint64, ok bool) {
	for key, vals := range h {
		if len(vals) == 0 {
			continue
		}
		if strings.EqualFold(key, "retry-after") {
			return 0, false
		}
		if len(key) <= len(ratelimitPrefix) || !strings.EqualFold(key[:len(ratelimitPrefix)], ratelimitPrefix) {
			continue
		}
		// One hash of the pair (the runtime's hash of the two strings,
		// chained; a maphash.Hash written per header cost twice as
		// much), not a hash of each: a sum of separate ones would not
		// see two values trade places.
		sum += maphash.Comparable(seed, limitPair{key, vals[0]}) // a sum does not depend on the map's order
	}
	return sum, true
}

// parseHeadersCached is parseHeaders(h, now), reusing accountID's previous
// parse when its limit headers are unchanged and none of the resets it
// read has passed since (a passed reset parses as none). sum identifies
// the parse reused or made (0: h was not cacheable), and reused says which.
func (p *Pool) parseHeadersCached(accountID string, h http.Header, now time.Time) (l Limits, mask int, sum uint64, reused bool) {
	sum, ok := limitHeadersSum(p.hdrSeed, h)
	if !ok {
		l, mask = parseHeaders(h, now)
		return l, mask, 0, false
	}
	if v, _ := p.parsed.Load(accountID); v != nil {
		c := v.(*parsedHeaders)
		if c.sum == sum && !now.Before(c.at) && now.Before(c.until) {
			l := c.l
			if c.mask != 0 {
				l.UpdatedAt = now
			}
			return l, c.mask, sum, true
		}
	}
	l, mask = parseHeaders(h, now)
	p.parsed.Store(accountID, &parsedHeaders{sum: sum, at: now, until: earliestReset(&l, now.Add(headerCacheLife)), l: l, mask: mask})
	return l, mask, sum, false
}

// earliestReset is the earliest reset in l before limit, else limit.
func earliestReset(l *Limits, limit time.Time) time.Time {
	early := func(t time.Time) {
		if !t.IsZero() && t.Before(limit) {
			limit = t
		}
	}
	early(l.ResetsAt)
	for _, w := range l.Windows {
		early(w.ResetsAt)
	}
	for _, w := range []Window{l.FiveHour, l.SevenDay, l.SevenDayOpus, l.SevenDaySonnet} {
		early(w.ResetsAt)
	}
	for _, t := range []Tier{l.Requests, l.Tokens, l.InputTokens, l.OutputTokens} {
		early(t.ResetsAt)
	}
	return limit
}

// lowerASCII appends s lowered to dst, as strings.ToLower would, when s is
// ASCII and fits dst's capacity; ok is false (and the result unusable)
// otherwise.
func lowerASCII(dst []byte, s string) (lower []byte, ok bool) {
	if len(s) > cap(dst) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80:
			return nil, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}
