package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/tray"
)

// TestTrayCopiesThroughTheWindow runs the tray's "Copy connection
// settings" on a desktop with no wl-copy, xclip or xsel on the tray's
// PATH: the owner then has `sluice window --copy-settings` hold the X
// clipboard, and when a window is already open, that window copies. What a
// paste gets (read with xclip, as another program would) is the two export
// lines, and a client using them is served.
func TestTrayCopiesThroughTheWindow(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "dbus-daemon", "xclip")
	dir := t.TempDir()
	bin := buildSluice(t)
	fake := fakeapi.New(t)
	fake.RefuseUnknown = true
	fake.Script("sk-ant-ci", fakeapi.Behavior{})
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)

	// No clipboard program where the tray looks for one.
	noTools := filepath.Join(dir, "bin")
	if err := os.Mkdir(noTools, 0o755); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(testkit.FreePort(t))
	data := filepath.Join(dir, "data")
	env := []string{"PATH=" + noTools, "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + data,
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=" + port, "SLUICE_UPSTREAM=" + fake.URL}
	owner := startOwner(t, bin, env)
	item := trayRegistered(t, registered)
	c, err := control.Dial(data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.AddAPIKey(context.Background(), "ci", "sk-ant-ci"); err != nil {
		t.Fatal(err)
	}
	clipboard := func() string {
		cmd := exec.Command("xclip", "-selection", "clipboard", "-o")
		cmd.Env = []string{"DISPLAY=" + display, "PATH=" + os.Getenv("PATH")}
		b, _ := cmd.Output()
		return string(b)
	}
	// pasted waits for the clipboard to hold the connection settings,
	// checks their address and that their key is served, and returns them.
	pasted := func(what string) string {
		t.Helper()
		var got string
		testkit.WaitFor(t, what, func() bool {
			got = clipboard()
			return strings.Contains(got, "ANTHROPIC_AUTH_TOKEN=")
		})
		var base, token string
		for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
			if v, ok := strings.CutPrefix(line, "export ANTHROPIC_BASE_URL="); ok {
				base = v
			} else if v, ok := strings.CutPrefix(line, "export ANTHROPIC_AUTH_TOKEN="); ok {
				token = v
			} else {
				t.Errorf("%s: unexpected line %q", what, line)
			}
		}
		if base != "http://127.0.0.1:"+port {
			t.Errorf("%s: ANTHROPIC_BASE_URL=%q, want the proxy at port %s", what, base, port)
		}
		if status := send(strings.TrimPrefix(base, "http://"), token); status != http.StatusOK {
			t.Errorf("%s: a request with the pasted key got %d", what, status)
		}
		return got
	}

	// The owner opened its window at start; with it closed, Copy starts
	// one that copies.
	windows := func() []int { return children(owner.Process.Pid, "sluice-window") }
	testkit.WaitFor(t, "the window at start", func() bool { return len(windows()) == 1 })
	if err := syscall.Kill(windows()[0], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the window closed", func() bool { return len(windows()) == 0 })
	clickUntil(t, item, tray.LabelCopy, func() bool { return len(windows()) == 1 })
	pasted("the settings copied by a new window")
	if w := windows(); len(w) != 1 {
		t.Errorf("window processes after Copy: %v, want one", w)
	}

	// With that window open, Copy again: another program owns the
	// clipboard meanwhile, and the open window takes it back.
	stale := exec.Command("xclip", "-selection", "clipboard", "-i")
	stale.Env = []string{"DISPLAY=" + display}
	stale.Stdin = strings.NewReader("stale")
	if err := stale.Run(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the stale clipboard", func() bool { return clipboard() == "stale" })
	clickUntil(t, item, tray.LabelCopy, func() bool { return strings.Contains(clipboard(), "ANTHROPIC_AUTH_TOKEN=") })
	pasted("the settings copied by the open window")
	if w := windows(); len(w) != 1 {
		t.Errorf("window processes after a second Copy: %v, want one", w)
	}
}

// clickUntil clicks the tray menu's item labelled label, as a shell does
// (com.canonical.dbusmenu), until done holds. The tray rebuilds its menu
// as the engine changes, so the item's id is read again before each
// click, and a click that lands on a menu being rebuilt is sent again.
func clickUntil(t *testing.T, item testkit.TrayItem, label string, done func() bool) {
	t.Helper()
	v, err := item.Object().GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("read the Menu property: %v", err)
	}
	path, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		t.Fatalf("Menu property %v is not an object path", v)
	}
	menu := item.Conn.Object(string(item.Sender), path)
	find := func() (int32, bool) {
		var revision uint32
		var root struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		if err := menu.Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&revision, &root); err != nil {
			return 0, false
		}
		for _, child := range root.Children {
			fields, ok := child.Value().([]any)
			if !ok || len(fields) != 3 {
				continue
			}
			props, _ := fields[1].(map[string]dbus.Variant)
			if l, _ := props["label"].Value().(string); l == label {
				id, _ := fields[0].(int32)
				return id, true
			}
		}
		return 0, false
	}
	for range 5 {
		var id int32
		testkit.WaitFor(t, fmt.Sprintf("the menu item %q", label), func() bool {
			var ok bool
			id, ok = find()
			return ok
		})
		_ = menu.Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
		if testkit.Poll(5*time.Second, done) {
			return
		}
	}
	t.Fatalf("clicking %q had no effect", label)
}

// send makes one Messages request through the proxy at addr with the
// client key and returns its status (0 when it could not be sent).
func send(addr, key string) int {
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
