package proxy

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/sluice-proxy/sluice/proxy/clientkey"
)

// limitBody bounds what a request body can cost before forward reads it:
// memory, through a budget of bytes shared by every body in flight (a
// request waits for room rather than adding to RSS), and time, through a
// read deadline pushed forward by each read that makes progress (one byte
// every ten seconds no longer holds a request open for minutes).
func (s *Service) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		// Unknown length (chunked) reserves the most it may grow to.
		n := s.cfg.BodyLimit
		if r.ContentLength > 0 && r.ContentLength < n {
			n = r.ContentLength
		}
		// A key's own share first: one key holder trickling bodies waits
		// on its own share and cannot fill the budget every key draws on.
		share := s.bodyShares.of(keyOf(r), max(s.cfg.BodyMemory/4, 2*s.cfg.BodyLimit))
		if err := share.Acquire(r.Context(), n); err != nil {
			return // the client went away while waiting
		}
		if err := s.bodies.Acquire(r.Context(), n); err != nil {
			share.Release(n)
			return
		}
		held := &heldBytes{sem: s.bodies, share: share, n: n}
		defer held.release(0)
		now := time.Now()
		r.Body = &progressBody{ReadCloser: r.Body, rc: http.NewResponseController(w), idle: s.cfg.BodyReadTimeout,
			held: held, start: now, rate: s.cfg.BodyMinRate}
		next.ServeHTTP(w, r)
	})
}

// progressBody sets the connection's read deadline before each read and
// clears it when the whole body has arrived, so the response (a stream may last an
// hour) is never cut by it. Writers that cannot take deadlines (tests
// calling the handler directly) just go without.
type progressBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	held  *heldBytes
	read  int64
	start time.Time
	rate  int64 // bytes per second the body must average after idle
}

func (b *progressBody) Read(p []byte) (int, error) {
	// The sooner of: idle from now, and the time by which what has arrived
	// would meet the minimum rate (after a first idle period of grace).
	now := time.Now()
	deadline := now.Add(b.idle)
	if b.rate > 0 {
		due := b.start.Add(b.idle + time.Duration(float64(b.read)/float64(b.rate)*float64(time.Second)))
		if due.Before(deadline) {
			deadline = due // in the past when already too slow: the read fails at once
		}
	}
	_ = b.rc.SetReadDeadline(deadline)
	n, err := b.ReadCloser.Read(p)
	// Only a whole body clears the deadline. After a timeout it stays
	// expired, so the server's drain of the unread rest fails at once and
	// the connection closes instead of waiting on the stalled client.
	b.read += int64(n)
	if errors.Is(err, io.EOF) {
		_ = b.rc.SetReadDeadline(time.Time{})
		// The body's size is known now: a chunked body reserved
		// BodyLimit, and must not hold that while its response streams.
		b.held.release(b.read)
	}
	return n, err
}

// heldBytes is a request's share of the body budget.
type heldBytes struct {
	mu    sync.Mutex
	sem   *semaphore.Weighted
	share *semaphore.Weighted // the key's share, held alongside
	n     int64
}

// release gives back all but keep bytes of the share (never more than it
// holds).
func (h *heldBytes) release(keep int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if keep < h.n {
		h.sem.Release(h.n - max(keep, 0))
		h.share.Release(h.n - max(keep, 0))
		h.n = max(keep, 0)
	}
}

// bodyShares holds each client key's share of the body budget, so no key
// can hold more than a quarter of it (or two body limits, if more: a
// chunked body reserves one while it arrives).
type bodyShares struct {
	mu     sync.Mutex
	shares map[string]*semaphore.Weighted
}

// of returns the share of k; requests without a key (keys off) share one.
func (b *bodyShares) of(k *clientkey.Key, size int64) *semaphore.Weighted {
	id := ""
	if k != nil {
		id = k.ID()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shares == nil {
		b.shares = map[string]*semaphore.Weighted{}
	}
	s := b.shares[id]
	if s == nil {
		s = semaphore.NewWeighted(size)
		b.shares[id] = s
	}
	return s
}

// keyOf is the client key r was admitted with, nil when none.
func keyOf(r *http.Request) *clientkey.Key {
	if req := requestOf(r); req != nil {
		return req.key
	}
	return nil
}
