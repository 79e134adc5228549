package tray

// The end-to-end tray test: this package's tray on bare systray, as the
// owner process runs it, in a child process, on a private Xvfb display and
// D-Bus session bus, driven the way a desktop shell drives it
// (StatusNotifierItem + com.canonical.dbusmenu). The child is this test
// binary re-executed: systray is one per process and wants the main
// thread, which only TestMain runs on.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// childEnv marks the re-executed test binary as the tray app.
const childEnv = "SLUICE_TRAY_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild hosts the tray on bare systray, as the owner process of
// `sluice` does (RunBare): a fake engine that really listens when on, and
// no window ("Open Sluice" is where the owner starts the window process).
// It reports on stdout what the parent cannot see over D-Bus.
func runChild() int {
	out := &syncWriter{w: os.Stdout}
	eng := newFakeEngine("127.0.0.1:0", false)
	eng.listenAndLog(out)
	RunBare(eng, Options{
		OpenWindow: func() { fmt.Fprintln(out, "WINDOW shown") },
		Quit: func() {
			go func() { // as the owner does: stop the proxy first, then quit
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := eng.StopProxy(ctx); err != nil {
					fmt.Fprintln(out, "CHILD", err)
				}
				QuitBare()
			}()
		},
	}, func(tr *Tray) {
		// The owner's order: the tray first, then the proxy.
		if err := eng.StartProxy(context.Background()); err != nil {
			fmt.Fprintln(out, "CHILD", err)
		}
	})
	fmt.Fprintln(out, "CHILD exiting")
	return 0
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// startChild runs the tray app and returns its output, a channel closed when
// it exits and its exit error.
func startChild(t *testing.T, display, bus string) (*testkit.Buffer, <-chan struct{}, *error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	env := []string{
		childEnv + "=1",
		"DISPLAY=" + display,
		"DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", // C.UTF-8 still makes Fyne log "Error parsing user locale C"
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
	}
	gorace := "exitcode=0" // races are judged by checkRaces
	for _, kv := range os.Environ() {
		switch k, v, _ := strings.Cut(kv, "="); k {
		case "PATH", "TMPDIR":
			env = append(env, kv)
		case "GORACE":
			gorace = v + " " + gorace
		}
	}
	env = append(env, "GORACE="+gorace)
	cmd.Env = env
	out := &testkit.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	exited, exitErr := testkit.StartGroup(t, cmd)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("child output:\n%s", out.String())
		}
	})
	return out, exited, exitErr
}

// menuItem is one top-level entry of a dbusmenu layout.
type menuItem struct {
	id        int32
	label     string
	separator bool
	enabled   bool
	checked   bool // a checkmark item whose toggle-state is on
	checkItem bool // toggle-type is "checkmark", checked or not
}

// layout reads the item's menu with com.canonical.dbusmenu.GetLayout.
func layout(obj dbus.BusObject) ([]menuItem, error) {
	var revision uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := obj.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return nil, fmt.Errorf("GetLayout: %w", err)
	}
	var items []menuItem
	for _, child := range root.Children {
		// A child is a (ia{sv}av) struct, which godbus hands over as []any.
		fields, ok := child.Value().([]any)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("GetLayout: child %v is not (ia{sv}av)", child)
		}
		id, _ := fields[0].(int32)
		props, _ := fields[1].(map[string]dbus.Variant)
		it := menuItem{id: id, enabled: true}
		if v, ok := props["label"]; ok {
			it.label, _ = v.Value().(string)
		}
		if v, ok := props["type"]; ok {
			it.separator = v.Value() == "separator"
		}
		if v, ok := props["enabled"]; ok {
			it.enabled, _ = v.Value().(bool)
		}
		if v, ok := props["toggle-type"]; ok {
			it.checkItem = v.Value() == "checkmark"
		}
		if v, ok := props["toggle-state"]; ok {
			st, _ := v.Value().(int32)
			it.checked = st == 1
		}
		if v, ok := props["visible"]; ok && v.Value() == false {
			continue
		}
		items = append(items, it)
	}
	return items, nil
}

func labels(items []menuItem) []string {
	var out []string
	for _, it := range items {
		if it.separator {
			out = append(out, "---")
		} else {
			out = append(out, it.label)
		}
	}
	return out
}

func mustFind(t *testing.T, items []menuItem, label string) menuItem {
	t.Helper()
	for _, it := range items {
		if it.label == label && !it.separator {
			return it
		}
	}
	t.Fatalf("no menu item %q in %q", label, labels(items))
	return menuItem{}
}

// knownRaces are in systray v1.12.2 and godbus v5.2.4 themselves, each
// told by frames its report holds:
//   - the first GetLayout starts a goroutine that bumps menuVersion under
//     instance.lock while GetLayout reads it under menuLock. Any host that
//     reads the menu triggers it.
//   - SetIcon stores the new pixmap into the exported property's value
//     in place (prop.SetMust, dbus.Store), while the reply to a
//     GetProperty of IconPixmap read a moment before is still being
//     encoded from it. Any host that reads the icon as it changes (the
//     end-to-end test polls it) triggers it.
var knownRaces = []struct {
	what   string
	frames []string
}{
	{"between GetLayout and refresh", []string{"fyne.io/systray.refresh()", "fyne.io/systray.(*tray).GetLayout()"}},
	{"between SetIcon and a reply's encoding", []string{"fyne.io/systray.SetIcon()", "github.com/godbus/dbus/v5.(*encoder).encode()"}},
}

// checkRaces fails the test for each race the child reported, except the
// known ones in systray. The child runs with GORACE=exitcode=0 so those
// cannot fail it on their own; without this check, ours would go unseen.
func checkRaces(t *testing.T, output string) {
	t.Helper()
	const sep = "=================="
	blocks := strings.Split(output, sep)
next:
	for _, b := range blocks {
		if !strings.Contains(b, "WARNING: DATA RACE") {
			continue
		}
		for _, k := range knownRaces {
			known := true
			for _, frame := range k.frames {
				known = known && strings.Contains(b, frame)
			}
			if known {
				t.Logf("ignoring systray's known race %s", k.what)
				continue next
			}
		}
		t.Errorf("data race in the tray app:%s", b)
	}
}

// listening reports whether the fake engine's proxy accepts connections.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
