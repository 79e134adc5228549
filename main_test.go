package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/app"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/tray"
)

// The window and the tray can run against a running owner too: the
// control client is an engine to them.
var (
	_ app.Engine  = (*control.Client)(nil)
	_ tray.Engine = (*control.Client)(nil)
)

// The built binary stays quiet under the C locales servers and containers
// use: `sluice version` prints one line, with no Fyne locale error before
// it (Fyne's lang package logs from its init, which runs for every
// command; the locale package normalises the environment first).
func TestVersionIsOneLineUnderCLocales(t *testing.T) {
	bin := buildSluice(t)
	base := []string{}
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE":
		default:
			base = append(base, kv)
		}
	}
	for _, lang := range []string{"C.UTF-8", "C", "POSIX", "", "unset"} {
		env := base
		if lang != "unset" {
			env = append(append([]string(nil), base...), "LANG="+lang)
		}
		cmd := exec.Command(bin, "version")
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Count(string(out), "\n") != 1 || !strings.HasPrefix(string(out), "sluice ") {
			t.Errorf("LANG=%s sluice version: %v %q", lang, err, out)
		}
	}
}
