package testkit

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor waits: the longest any of the copies it
// replaced waited (the desktop tests', which start real processes), long
// enough for a loaded CI machine running the race detector, and only ever
// spent by a failing test.
const WaitTimeout = 30 * time.Second

// pollFirst is how soon a wait checks its condition again; the pause
// doubles up to pollMax, so a quick condition is seen at once and a slow
// one that runs a program (xdotool, a D-Bus call) does not take the CPU
// from the process it waits for (the desktop tests' own loops polled every
// 50 ms).
const (
	pollFirst = 10 * time.Millisecond
	pollMax   = 50 * time.Millisecond
)

// WaitFor polls cond until it holds, and fails the test with "timed out
// waiting for <what>" when WaitTimeout passes first. State changes reach
// the code under test through goroutines, timers and other processes, so
// there is no single moment at which to check it.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitWithin(t, WaitTimeout, what, cond)
}

// WaitWithin is WaitFor with a deadline of d, for waits that are known to
// take long (a process starting, SQLite busy timeouts).
func WaitWithin(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Poll(d, cond) {
		t.Fatalf("timed out after %s waiting for %s", d, what)
	}
}

// Poll polls cond until it holds or d passes, and reports whether it held.
// It is for tests that do something else when the condition does not come
// (click again, say); to fail the test, use WaitFor.
func Poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for pause := pollFirst; !cond(); pause = min(2*pause, pollMax) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
	}
	return true
}
