package testkit

import (
	"sync"
	"time"
)

// Clock is a settable clock for code that takes its time from a Now func
// (limits, expiry, retention), safe for the goroutines of the code under
// test. Tests whose waits are all timers inside the test use
// testing/synctest instead; Clock is for code that also does real I/O,
// which a synctest bubble cannot hold.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
