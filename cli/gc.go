package cli

import (
	"os"
	"runtime/debug"
)

// serveGCPercent is the GC target of `sluice serve`. The engine's live
// heap is small (a few MiB plus ~60 KiB per open stream), so the default
// GOGC=100 lets the heap double it before each cycle: 32 streams held
// 18 MiB of anonymous memory in the load harness, over the 16 MiB target.
// At 50 they hold ~15.5 MiB, for ~10% more CPU per request (harness,
// docs/BENCHMARKS.md). A GOGC set in the environment wins.
const serveGCPercent = 50

// tuneGC applies serveGCPercent unless the user set GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
}
