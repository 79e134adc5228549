package proxy_test

import (
	"flag"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

var harnessMemWatch = flag.Bool("harness.memwatch", false,
	"the engine child reads its RssAnon every 20 ms and reports where its Go memory was (runtime/metrics /memory/classes) at the highest reading")

// memWatch is the engine child's watcher for -harness.memwatch: the
// runtime's memory classes at the moment RssAnon was highest, so a peak
// can be split into heap, stacks, free pages and what is not Go's
// (SQLite's C heap, the rest of RssAnon).
type memWatch struct {
	stop chan struct{}
	done chan string
}

// startMemWatch starts the watcher; its report is one line.
func startMemWatch() *memWatch {
	w := &memWatch{stop: make(chan struct{}), done: make(chan string, 1)}
	var names []string
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/gc/heap/goal:bytes" || d.Name == "/gc/gomemlimit:bytes" || d.Name == "/gc/gogc:percent" {
			names = append(names, d.Name)
		}
	}
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		var best int64
		var at string
		for {
			select {
			case <-w.stop:
				cpu := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/cycles/total:gc-cycles"}}
				metrics.Read(cpu)
				proc := selfCPU().Seconds()
				w.done <- fmt.Sprintf("MEMPEAK RssAnon %.1f MiB:%s; over the run: GC %.2f s of the process's %.2f CPU-s (%.1f%%, the runtime's estimate), %d GC cycles",
					float64(best)/1024, at, cpu[0].Value.Float64(), proc, 100*cpu[0].Value.Float64()/proc, cpu[1].Value.Uint64())
				return
			case <-tk.C:
			}
			rss := selfRssAnon()
			if rss <= best {
				continue
			}
			best = rss
			metrics.Read(samples)
			var b strings.Builder
			for _, s := range samples {
				v := s.Value.Uint64()
				if strings.HasSuffix(s.Name, ":bytes") {
					fmt.Fprintf(&b, " %s=%.2fMiB", strings.TrimPrefix(strings.TrimSuffix(s.Name, ":bytes"), "/memory/classes/"), float64(v)/(1<<20))
				} else {
					fmt.Fprintf(&b, " %s=%d", s.Name, v)
				}
			}
			at = b.String()
		}
	}()
	return w
}

// report stops the watcher and returns its line.
func (w *memWatch) report() string {
	close(w.stop)
	return <-w.done
}

// selfRssAnon is this process's RssAnon in KiB (0 if unreadable).
func selfRssAnon() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// selfCPU is this process's CPU time (user+sys) from /proc (0 if
// unreadable).
func selfCPU() time.Duration {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}
