//go:build unix

package testkit

import (
	"os"
	"os/exec"
	"testing"
)

// RequireDesktopEnv is the variable CI sets to 1 so that a desktop test
// whose tools are missing fails instead of skipping: a skip there would
// hide a gap in what was tested.
const RequireDesktopEnv = "SLUICE_REQUIRE_DESKTOP"

// NeedTools skips the test when one of the programs is not on PATH, or
// fails it when SLUICE_REQUIRE_DESKTOP=1.
func NeedTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv(RequireDesktopEnv) == "1" {
				t.Fatalf("%s not installed and %s=1: %v", tool, RequireDesktopEnv, err)
			}
			t.Skipf("%s not installed: %v (set %s=1 to fail instead)", tool, err, RequireDesktopEnv)
		}
	}
}
