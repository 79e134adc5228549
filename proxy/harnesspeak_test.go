package proxy_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// The peak profiles: the allocs profile (-harness.memprofile) is written
// after the slow streams closed, so it says what was allocated, not what
// a stream holds while it is open. With -harness.peakprofile PREFIX the
// harness asks the engine child, over its stdin, for an in-use heap
// profile, a goroutine profile and the runtime's numbers twice: just
// before the slow streams (PREFIX.base.*) and while all of them are open
// (PREFIX.*), so the difference is what the open streams hold.
var harnessPeakProf = flag.String("harness.peakprofile", "",
	"write the engine's in-use heap and goroutine profiles and runtime/metrics as PREFIX.{heap,goroutine,metrics} while every slow stream is open (and PREFIX.base.* just before)")

// peakMetrics are the runtime/metrics samples written with each snapshot.
var peakMetrics = []string{
	"/memory/classes/heap/objects:bytes", // live and not yet swept objects
	"/memory/classes/heap/unused:bytes",  // spans in use, slots free
	"/memory/classes/heap/stacks:bytes",  // goroutine stacks
	"/memory/classes/total:bytes",
	"/gc/heap/live:bytes",
	"/sched/goroutines:goroutines",
}

// harnessEngineControl reads the harness's requests from stdin until it
// closes: each line is a path prefix to write a snapshot to.
func harnessEngineControl(in io.Reader) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" {
			if err := writePeakSnapshot(p); err != nil {
				fmt.Fprintln(os.Stderr, "peak profile:", err)
			}
		}
	}
}

// writePeakSnapshot writes PREFIX.heap (in use after a GC, so it counts
// what is live), PREFIX.goroutine and, last and by rename so the harness
// can wait for it, PREFIX.metrics.
func writePeakSnapshot(prefix string) error {
	runtime.GC()
	for _, name := range []string{"heap", "goroutine"} {
		f, err := os.Create(prefix + "." + name)
		if err != nil {
			return fmt.Errorf("peak %s profile: %w", name, err)
		}
		err = pprof.Lookup(name).WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("peak %s profile: %w", name, err)
		}
	}
	samples := make([]metrics.Sample, len(peakMetrics))
	for i, n := range peakMetrics {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var b strings.Builder
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(&b, "%s %d\n", s.Name, s.Value.Uint64())
		}
	}
	if err := os.WriteFile(prefix+".metrics.tmp", []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("peak metrics: %w", err)
	}
	return os.Rename(prefix+".metrics.tmp", prefix+".metrics")
}

// peakSnapshot asks the engine child for a snapshot at prefix; the
// harness reads it with readPeakMetrics once the child wrote it.
func peakSnapshot(w io.Writer, prefix string) error {
	_ = os.Remove(prefix + ".metrics")
	_, err := fmt.Fprintln(w, prefix)
	return err
}

// readPeakMetrics waits up to a minute for the child's PREFIX.metrics.
func readPeakMetrics(prefix string) (map[string]uint64, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		data, err := os.ReadFile(prefix + ".metrics")
		if err == nil {
			m := map[string]uint64{}
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if name, v, ok := strings.Cut(line, " "); ok {
					m[name], _ = strconv.ParseUint(v, 10, 64)
				}
			}
			return m, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("engine child wrote no %s.metrics: %w", prefix, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// peakReport is the line the slow streams add: what the open streams
// hold by the runtime's count, per stream.
func peakReport(base, peak map[string]uint64, n int) string {
	per := func(name string) float64 { return (float64(peak[name]) - float64(base[name])) / float64(n) }
	return fmt.Sprintf("runtime/metrics at the peak, minus before, per stream: heap objects %.1f KiB, "+
		"heap spans unused %.1f KiB, goroutine stacks %.1f KiB, Go total %.1f KiB, goroutines %.2f "+
		"(at the peak: %d goroutines, stacks %.1f MiB, heap objects %.1f MiB)\n",
		per("/memory/classes/heap/objects:bytes")/1024, per("/memory/classes/heap/unused:bytes")/1024,
		per("/memory/classes/heap/stacks:bytes")/1024, per("/memory/classes/total:bytes")/1024,
		per("/sched/goroutines:goroutines"), peak["/sched/goroutines:goroutines"],
		float64(peak["/memory/classes/heap/stacks:bytes"])/(1<<20),
		float64(peak["/memory/classes/heap/objects:bytes"])/(1<<20))
}
