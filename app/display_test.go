package app

import (
	"os"
	"regexp"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/control"
)

// TestIDMatchesFyneApp keeps the ID the binary uses in step with the one
// packaging uses: preferences are keyed on it.
func TestIDMatchesFyneApp(t *testing.T) {
	data, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*ID\s*=\s*"([^"]+)"`).FindSubmatch(data)
	if m == nil || string(m[1]) != ID {
		t.Errorf("FyneApp.toml ID %q, app.ID %q", m, ID)
	}
}

// The engine the app is written against.
var _ Engine = control.Local{}
