package proxy

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultMemoryLimit is the soft limit on the Go runtime's memory (heap,
// stacks, the runtime's own; not SQLite's C heap) that the engine's
// owner sets with GovernMemory: round 10 of docs/BENCHMARKS.md.
const DefaultMemoryLimit = 15 << 20

// GovernMemory sets a soft memory limit of limit bytes for this process
// while the heap is small, and lifts it while the heap is too big for it.
// GOGC 100 lets the heap grow to twice what is live before the GC runs:
// at 32 streams the engine's ~4 MiB of live heap would grow to ~8, and
// its RssAnon past 16 MiB. Under the limit the GC runs sooner, but only
// while it leaves at least half the live heap again as headroom (as
// GOGC 50 would); past that (1,000 open streams hold ~50 MiB) the limit
// is lifted after the next GC and GOGC alone paces the GC, so the limit
// never makes the GC run back to back (which the runtime would cap at
// half the CPU, still a thrash). It is set again once the headroom is
// back to three quarters of the live heap.
//
// A user's GOMEMLIMIT or GOGC (lookupEnv is os.LookupEnv but for
// tests) wins: then, or if something set a limit already, nothing is
// done. The returned stop restores the limit found and ends the
// governing (at the next GC).
func GovernMemory(lookupEnv func(string) (string, bool), limit int64) (stop func()) {
	for _, k := range []string{"GOMEMLIMIT", "GOGC"} {
		if v, ok := lookupEnv(k); ok && v != "" {
			return func() {}
		}
	}
	prev := debug.SetMemoryLimit(-1)
	if prev != math.MaxInt64 || limit <= 0 {
		return func() {}
	}
	g := &memGovernor{limit: limit, prev: prev, samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}}
	g.mu.Lock()
	g.set(true)
	g.mu.Unlock()
	g.arm()
	return g.stop
}

// memGovernor re-decides after every GC cycle whether its limit is set.
type memGovernor struct {
	limit, prev int64

	mu      sync.Mutex
	on      bool
	stopped bool
	samples []metrics.Sample
}

// gcSentinel is garbage the moment it is made; its cleanup runs after
// the GC cycle that finds it so. It holds a pointer so that it is never
// one of the tiny allocator's shared blocks.
type gcSentinel struct{ _ *int }

func (g *memGovernor) arm() {
	runtime.AddCleanup(&gcSentinel{}, (*memGovernor).afterGC, g)
}

func (g *memGovernor) afterGC() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	metrics.Read(g.samples)
	live := int64(g.samples[0].Value.Uint64())
	held := int64(g.samples[1].Value.Uint64() - g.samples[2].Value.Uint64())
	objects := int64(g.samples[3].Value.Uint64())
	g.set(limitOn(g.on, g.limit, live, held-objects))
	g.arm()
}

// limitOn decides whether the limit stays (or comes back) on: the heap
// the GC may grow under it, limit minus the runtime's memory that is not
// heap objects (stacks, metadata, free spans not yet returned) minus the
// live heap, must be at least half the live heap to stay on, three
// quarters to come back.
func limitOn(on bool, limit, live, other int64) bool {
	headroom := limit - other - live
	if on {
		return 2*headroom >= live
	}
	return 4*headroom >= 3*live
}

// set applies on; g.mu is held.
func (g *memGovernor) set(on bool) {
	if on == g.on {
		return
	}
	g.on = on
	if on {
		debug.SetMemoryLimit(g.limit)
	} else {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

func (g *memGovernor) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.stopped = true
		debug.SetMemoryLimit(g.prev)
	}
}
