package proxy

import (
	"testing"
	"time"
)

// Failures from one peer are free up to freeFails per window, then each
// waits longer, up to maxFailDelay; another peer and a new window start over.
func TestPeerThrottleSlowsRepeatedFailures(t *testing.T) {
	var p peerThrottle
	p.fails = map[string]*peerFails{}
	t0 := time.Unix(1_700_000_000, 0)
	for i := 0; i < freeFails; i++ {
		if d := p.fail("127.0.0.1", t0); d != 0 {
			t.Fatalf("failure %d delayed %v", i+1, d)
		}
	}
	if d := p.fail("127.0.0.1", t0); d != failStep {
		t.Fatalf("failure %d delayed %v, want %v", freeFails+1, d, failStep)
	}
	var last time.Duration
	for i := 0; i < 100; i++ {
		last = p.fail("127.0.0.1", t0.Add(time.Second))
	}
	if last != maxFailDelay {
		t.Fatalf("delay grew to %v, want the cap %v", last, maxFailDelay)
	}
	if d := p.fail("::1", t0); d != 0 {
		t.Fatalf("another peer delayed %v", d)
	}
	if d := p.fail("127.0.0.1", t0.Add(failWindow+2*time.Second)); d != 0 {
		t.Fatalf("a new window delayed %v", d)
	}
}

func TestSanitizeStripsControls(t *testing.T) {
	got := sanitize("/v1/\x1b[2J\u202eevil\r\nline")
	if got != "/v1/[2Jevilline" {
		t.Fatalf("sanitize = %q", got)
	}
}
