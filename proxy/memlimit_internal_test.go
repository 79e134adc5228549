package proxy

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// noLimitYet skips a test when this process already runs under a limit
// (GOMEMLIMIT in the test's environment): GovernMemory would leave it.
func noLimitYet(t *testing.T) {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Skipf("this process already has a memory limit (%d)", l)
	}
}

func env(kv ...string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1], true
			}
		}
		return "", false
	}
}

// TestGovernMemorySetsItsLimitUnlessTheUserDid: the engine sets its
// limit unless GOMEMLIMIT or GOGC is in the environment, and stop
// restores the runtime's.
func TestGovernMemorySetsItsLimitUnlessTheUserDid(t *testing.T) {
	noLimitYet(t)
	stop := GovernMemory(env(), 1<<40)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("limit with no GOMEMLIMIT/GOGC: %d, want %d", got, int64(1<<40))
	}
	stop()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit after stop: %d, want none", got)
	}
	for _, e := range [][]string{{"GOMEMLIMIT", "64MiB"}, {"GOMEMLIMIT", "off"}, {"GOGC", "50"}, {"GOGC", "off"}} {
		stop := GovernMemory(env(e...), 1<<40)
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Errorf("%s=%s: the engine set a limit (%d)", e[0], e[1], got)
		}
		stop()
	}
	// An empty value is unset, to the runtime as here.
	stop = GovernMemory(env("GOGC", ""), 1<<40)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOGC empty: limit %d, want %d", got, int64(1<<40))
	}
	stop()
}

// TestGovernMemoryLiftsTheLimitForABigHeap: a live heap the limit has
// no room for lifts it after a GC, so the GC is not driven back to back;
// once that heap is gone, it comes back.
func TestGovernMemoryLiftsTheLimitForABigHeap(t *testing.T) {
	noLimitYet(t)
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	runtime.GC()
	debug.FreeOSMemory()
	metrics.Read(s)
	limit := int64(s[0].Value.Uint64()-s[1].Value.Uint64()) + 64<<20 // room for what the process holds now, plus 64 MiB
	stop := GovernMemory(env(), limit)
	defer stop()
	limited := func() bool { return debug.SetMemoryLimit(-1) == limit }
	if !limited() {
		t.Fatal("limit not set")
	}
	big := make([][]byte, 0, 96)
	for range 96 { // 96 MiB live: more than the limit
		big = append(big, make([]byte, 1<<20))
	}
	testkit.WaitFor(t, "the limit lifted after a GC", func() bool { runtime.GC(); return !limited() })
	runtime.KeepAlive(big)
	big = nil
	testkit.WaitFor(t, "the limit back once the heap is gone", func() bool {
		runtime.GC()
		debug.FreeOSMemory()
		return limited()
	})
}

func TestLimitOn(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		on                 bool
		limit, live, other int64
		want               bool
	}{
		{true, 15 * mib, 3 * mib, 9 * mib, true},   // 32 streams: 3 MiB headroom for 3 live
		{true, 15 * mib, 4 * mib, 9 * mib, true},   // 2 for 4: as GOGC 50, still on
		{true, 15 * mib, 4 * mib, 10 * mib, false}, // 1 for 4: off
		{true, 15 * mib, 50 * mib, 30 * mib, false},
		{false, 15 * mib, 4 * mib, 9 * mib, false}, // 2 for 4: not enough to come back
		{false, 15 * mib, 3 * mib, 9 * mib, true},  // 3 for 3
	} {
		if got := limitOn(c.on, c.limit, c.live, c.other); got != c.want {
			t.Errorf("limitOn(%v, %d, %d, %d MiB) = %v, want %v", c.on, c.limit/mib, c.live/mib, c.other/mib, got, c.want)
		}
	}
}
