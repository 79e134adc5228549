//go:build loadharness

package proxy_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestLoadRatios is the full harness run (`make bench-load`), as the
// -harness.* flags say: every case over each upstream mode, nginx in the
// same rounds when installed, the slow streams at the end. It fails as
// TestLoadHarnessShort does; figures go in docs/BENCHMARKS.md.
func TestLoadRatios(t *testing.T) {
	if dir := os.Getenv(harnessChildEnv); dir != "" {
		harnessEngine(t, dir)
		return
	}
	var cases []string
	for _, c := range strings.Split(*harnessCases, ",") {
		if c != "" {
			cases = append(cases, c)
		}
	}
	for _, mode := range strings.Split(*harnessUpstream, ",") {
		if mode != "plain" && mode != "tls" {
			t.Fatalf("-harness.upstream: %q is neither plain nor tls", mode)
		}
		o := harnessOpts{test: "TestLoadRatios", cases: cases, round: *harnessRound, rounds: *harnessRounds,
			warm: 500 * time.Millisecond, slow: *harnessSlow, tls: mode == "tls", nginx: true, modelFirst: *harnessOrder == "model-first",
			peak: *harnessPeakProf, bare: *harnessBareFlag, bareSlow: true}
		report, problems := runHarness(t, o)
		fmt.Print(report)
		for _, p := range problems {
			t.Errorf("%s: %s", mode, p)
		}
	}
}
