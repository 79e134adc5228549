package main

import (
	"bytes"
	"fmt"
	"image"
	_ "image/png"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/assets"
	"github.com/sluice-proxy/sluice/internal/testkit"
)

// trayEnv starts a private desktop (Xvfb, a session bus, a watcher) and
// returns the environment of a `sluice` on it with port, and the
// watcher's registrations. The watcher's connection also hears every
// dbusmenu LayoutUpdated signal, from before the tray exists.
func trayEnv(t *testing.T, port string) ([]string, <-chan testkit.TrayItem, <-chan *dbus.Signal) {
	t.Helper()
	testkit.NeedTools(t, "Xvfb", "dbus-daemon")
	dir := t.TempDir()
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("com.canonical.dbusmenu"), dbus.WithMatchMember("LayoutUpdated")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 256)
	conn.Signal(signals)
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + filepath.Join(dir, "data"),
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=" + port, "SLUICE_UPSTREAM=http://127.0.0.1:9"}
	return env, registered, signals
}

// trayEntry is one top-level item of the tray's menu as a host reads it.
type trayEntry struct {
	label                              string
	separator, check, checked, enabled bool
}

// menuEntries reads the tray's menu over com.canonical.dbusmenu as a tray
// host does.
func menuEntries(item testkit.TrayItem) ([]trayEntry, error) {
	obj := item.Object()
	v, err := obj.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		return nil, err
	}
	path, _ := v.Value().(dbus.ObjectPath)
	var revision uint32
	var root struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := item.Conn.Object(string(item.Sender), path).Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &root); err != nil {
		return nil, err
	}
	var out []trayEntry
	for _, c := range root.Children {
		f, ok := c.Value().([]any)
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("child %v is not (ia{sv}av)", c)
		}
		props, _ := f[1].(map[string]dbus.Variant)
		if v, ok := props["visible"]; ok && v.Value() == false {
			continue
		}
		e := trayEntry{enabled: true}
		e.label, _ = props["label"].Value().(string)
		e.separator = props["type"].Value() == "separator"
		e.check = props["toggle-type"].Value() == "checkmark"
		st, _ := props["toggle-state"].Value().(int32)
		e.checked = st == 1
		if v, ok := props["enabled"]; ok {
			e.enabled, _ = v.Value().(bool)
		}
		out = append(out, e)
	}
	return out, nil
}

// menuLabels is menuEntries as text: "---" for a separator, a check item
// marked "[x] " or "[ ] ".
func menuLabels(item testkit.TrayItem) ([]string, error) {
	entries, err := menuEntries(item)
	var out []string
	for _, e := range entries {
		switch {
		case e.separator:
			out = append(out, "---")
		case e.check:
			out = append(out, map[bool]string{true: "[x] ", false: "[ ] "}[e.checked]+e.label)
		default:
			out = append(out, e.label)
		}
	}
	return out, err
}

// The tray tells the truth from its first exported frame: no menu it
// ever exports says "off" while `sluice` starts its proxy, and the
// toggle is a check item, checked.
func TestTrayTellsTheTruthFromItsFirstFrame(t *testing.T) {
	env, registered, signals := trayEnv(t, "0")
	bin := buildSluice(t)
	startOwner(t, bin, env)
	item := trayRegistered(t, registered)
	var frames [][]string
	read := func() {
		if l, err := menuLabels(item); err == nil && len(l) > 0 {
			frames = append(frames, l)
		}
	}
	read()
	deadline := time.After(30 * time.Second)
	for len(frames) == 0 || !strings.HasPrefix(strings.Join(frames[len(frames)-1], "|"), "[x] Proxy on|Proxy: on at ") {
		select {
		case <-signals:
			read()
		case <-time.After(100 * time.Millisecond):
			read()
		case <-deadline:
			t.Fatalf("the menu never showed the proxy on; frames %q", frames)
		}
	}
	for _, f := range frames {
		if len(f) > 1 && f[1] == "Proxy: off" || f[0] != "[x] Proxy on" {
			t.Errorf("an exported frame said the proxy was off while it started: %q", f)
		}
	}
}

// A proxy that could not start (its port taken) shows the error icon, the
// reason in the tooltip, and the unchecked check item; not plain "off".
func TestTrayShowsAFailedStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	env, registered, _ := trayEnv(t, port)
	bin := buildSluice(t)
	startOwner(t, bin, env)
	item := trayRegistered(t, registered)
	obj := item.Object()

	want := pixmap(t, assets.TrayError.Content())
	var tip struct {
		Name  string
		Icons []struct {
			W, H int32
			Pix  []byte
		}
		Title, Text string
	}
	var got []byte
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last tooltip %q; icon is the error icon: %v", tip.Title, bytes.Equal(got, want))
		}
	})
	testkit.WaitFor(t, "the error icon and the reason", func() bool {
		v, err := obj.GetProperty("org.kde.StatusNotifierItem.ToolTip")
		if err != nil || v.Store(&tip) != nil {
			return false
		}
		px, err := obj.GetProperty("org.kde.StatusNotifierItem.IconPixmap")
		var icons []struct {
			W, H int32
			Pix  []byte
		}
		if err != nil || px.Store(&icons) != nil || len(icons) == 0 {
			return false
		}
		got = icons[0].Pix
		return strings.Contains(tip.Title, "could not start") && bytes.Equal(got, want)
	})
	if !strings.Contains(tip.Title, port) || !strings.Contains(tip.Title, "in use") {
		t.Errorf("tooltip %q does not say the port %s is in use", tip.Title, port)
	}
	labels, err := menuLabels(item)
	if err != nil || len(labels) < 2 || labels[0] != "[ ] Proxy on" || labels[1] != "Proxy: off" {
		t.Errorf("menu %q, %v; want an unchecked Proxy on above Proxy: off", labels, err)
	}
}

// pixmap converts a PNG as fyne.io/systray does for IconPixmap (its ARGB
// bytes are the low bytes of the 16-bit channels).
func pixmap(t *testing.T, png []byte) []byte {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := make([]byte, 0, b.Dx()*b.Dy()*4)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return out
}
