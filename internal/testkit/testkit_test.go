package testkit

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB // nil: a method the helpers should not call panics
	ended      string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.ended = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.ended = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls f with a recorder on a goroutine of its own, as the testing
// package runs a test, and returns how it ended ("" when it returned).
func run(f func(t testing.TB)) string {
	r := &recorder{}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r.ended
}

func TestWaitForFailsOnItsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		got := run(func(r testing.TB) { WaitFor(r, "the moon", func() bool { return false }) })
		if want := "fatal: timed out after 30s waiting for the moon"; got != want {
			t.Errorf("WaitFor ended the test with %q, want %q", got, want)
		}
		if waited := time.Since(start); waited < WaitTimeout || waited > WaitTimeout+time.Second {
			t.Errorf("WaitFor gave up after %s, want %s", waited, WaitTimeout)
		}
	})
}

func TestWaitForReturnsOnceTheConditionHolds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var fired atomic.Bool
		time.AfterFunc(time.Second, func() { fired.Store(true) })
		got := run(func(r testing.TB) { WaitWithin(r, time.Minute, "the timer", fired.Load) })
		if got != "" {
			t.Errorf("WaitWithin ended the test: %q", got)
		}
		if waited := time.Since(start); waited < time.Second || waited > time.Second+pollMax {
			t.Errorf("WaitWithin returned after %s, want 1s", waited)
		}
	})
}

func TestPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if Poll(time.Second, func() bool { return false }) {
			t.Error("Poll reported a condition that never held")
		}
		n := 0
		if !Poll(time.Second, func() bool { n++; return n == 3 }) {
			t.Error("Poll missed a condition that held on the third look")
		}
	})
}

func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d", i)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if n := len(b.String()); n != 800 {
		t.Errorf("%d bytes written, want 800", n)
	}
}

func TestClock(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	c := NewClock(t0)
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), t0.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("after Advance: %v, want %v", got, want)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: %v, want %v", got, t0)
	}
}
