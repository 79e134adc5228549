package app

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// A port change moves everything that names the port at once: the
// Address row, the export lines, the outcome next to the field, and,
// after asking, Claude Code's settings file.
func TestRealEnginePortChangeMovesAddressLinesAndClaudeCode(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	e := newRealEngine(t)
	old := e.svc.Addr()
	cc := filepath.Join(home, ".claude", "settings.json")
	if err := os.MkdirAll(filepath.Dir(cc), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cc, []byte(`{"env":{"ANTHROPIC_BASE_URL":"http://`+old+`"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	v, w, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "the export lines", func() bool { return strings.Contains(v.shellLines.Text, old) && v.token != "" })
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.port.Text != "" })
	p := freeTCPPort(t)
	moved := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	v.settings.port.SetText(strconv.Itoa(p))
	test.Tap(button(t, w, "Change port"))
	ui.waitFor(t, "the port change", func() bool { return v.settings.portMsg.Visible() })
	// All in the same UI turn as the message: not on some later re-read.
	if !strings.HasPrefix(v.settings.portMsg.Text, "The proxy now uses port "+strconv.Itoa(p)) {
		t.Fatalf("outcome %q", v.settings.portMsg.Text)
	}
	if !slices.Contains(texts(w), moved) {
		t.Errorf("the Address row does not show %s: %q", moved, texts(w))
	}
	if !slices.Contains(texts(w), "Proxy on at "+moved) {
		t.Errorf("the status line does not say %s", moved)
	}
	if !strings.Contains(v.shellLines.Text, moved) {
		t.Errorf("export lines still %q", v.shellLines.Text)
	}
	d := fyne.CurrentApp().Driver()
	if dy := d.AbsolutePositionForObject(v.settings.portMsg).Y - d.AbsolutePositionForObject(v.settings.port).Y; dy > 80 {
		t.Errorf("the outcome is %v px below the Port field", dy)
	}
	ui.waitFor(t, "the offer to update Claude Code", hasButton(w, "Update Claude Code"))
	test.Tap(button(t, w, "Update Claude Code"))
	ui.waitFor(t, "Claude Code set up", showing(w, "Claude Code set up"))
	if got := claudeCodeBaseURL(home); got != "http://"+moved {
		t.Fatalf("Claude Code's base URL %q, want http://%s", got, moved)
	}
}

// "Port in use" is said as something a window user can do, never as an
// environment variable to set.
func TestRealEnginePortInUseSaysWhatToDo(t *testing.T) {
	e := newRealEngine(t)
	v, w, ui := shown(t, control.NewLocal(e.svc))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.port.Text != "" })
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	v.settings.port.SetText(strconv.Itoa(held.Addr().(*net.TCPAddr).Port))
	test.Tap(button(t, w, "Change port"))
	ui.waitFor(t, "the refusal", func() bool { return v.settings.portMsg.Visible() })
	msg := v.settings.portMsg.Text
	if !strings.Contains(msg, "used by another program") || !strings.Contains(msg, "Pick another port") || strings.Contains(msg, "SLUICE_PORT") {
		t.Fatalf("port in use said as %q", msg)
	}
}

// A failed start is explained in the window, and no export lines offer the
// port that is not served.
func TestFailedStartExplainedWithoutExportLines(t *testing.T) {
	eng := newFakeEngine(false)
	eng.Snap.StartError = "cannot listen on 127.0.0.1:8788: " + api.ErrPortInUse.Error() + " (is another Sluice running? set SLUICE_PORT to choose another port)"
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "the failed start", showing(w, "Proxy off: it could not start"))
	if !v.problem.Visible() || !strings.Contains(v.problem.Text, "port 8788 is used by another program") || strings.Contains(v.problem.Text, "SLUICE_PORT") {
		t.Fatalf("reason shown as %q (visible %v)", v.problem.Text, v.problem.Visible())
	}
	if slices.ContainsFunc(texts(w), func(s string) bool { return strings.Contains(s, "ANTHROPIC_BASE_URL=http://127.0.0.1:8788") }) {
		t.Fatal("export lines offered for a port that is not served")
	}
	eng.change(func(f *fakeEngine) { f.Snap.StartError, f.Running = "", true })
	eng.Publish(api.EventProxyState)
	ui.waitFor(t, "the export lines once it runs", func() bool {
		return slices.ContainsFunc(texts(w), func(s string) bool { return strings.Contains(s, "ANTHROPIC_BASE_URL=http://127.0.0.1:8788") })
	})
	if v.problem.Visible() {
		t.Fatalf("the old reason stays: %q", v.problem.Text)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
