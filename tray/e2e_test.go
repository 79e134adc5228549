package tray

import (
	"bytes"
	"fmt"
	"image/png"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// TestTrayEndToEnd drives the real tray over D-Bus as a desktop shell would:
// it reads the menu, clicks the toggle, left-clicks the icon, opens the
// window and quits, checking each time what the engine really did.
func TestTrayEndToEnd(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "dbus-daemon")
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	regs := testkit.Watch(t, bus)
	out, exited, exitErr := startChild(t, display, bus)

	var reg testkit.TrayItem
	select {
	case reg = <-regs:
	case <-exited:
		t.Fatalf("tray app exited before registering: %v", *exitErr)
	case <-time.After(30 * time.Second):
		t.Fatal("no StatusNotifierItem registered within 30s")
	}
	item := reg.Object()

	// A shell sends left clicks as Activate only if the item says it is not
	// just a menu.
	if v, err := item.GetProperty("org.kde.StatusNotifierItem.ItemIsMenu"); err != nil || v.Value() != false {
		t.Errorf("ItemIsMenu = %v, %v; want false (left click toggles)", v, err)
	}
	v, err := item.GetProperty("org.kde.StatusNotifierItem.Menu")
	if err != nil {
		t.Fatalf("read Menu property: %v", err)
	}
	menuPath, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		t.Fatalf("Menu property %v is not an object path", v)
	}
	menu := reg.Conn.Object(string(reg.Sender), menuPath)

	// systray rebuilds the menu item by item, asynchronously: wait until a
	// whole menu with the expected status and toggle is there. The child
	// started its proxy after installing the tray, as the app does: the
	// menu must say so from the start, not the state at install time.
	// The toggle is a check item, checked when on and unchecked when off,
	// where a plain "Proxy on" above "Proxy: off" read as a contradiction.
	var items []menuItem
	waitMenu := func(status string, checked bool) {
		t.Helper()
		var err error
		if !testkit.Poll(10*time.Second, func() bool {
			items, err = layout(menu)
			got := labels(items)
			return err == nil && len(got) == 7 && strings.HasPrefix(got[1], status) &&
				items[0].label == LabelProxy && items[0].checked == checked && items[0].checkItem &&
				reflect.DeepEqual(got[2:], []string{"---", "No accounts yet", "---", LabelOpen, LabelQuit})
		}) {
			t.Fatalf("menu never showed %q (checked %v): items %q, err %v", status, checked, labels(items), err)
		}
	}
	waitMenu("Proxy: on at ", true)
	addr := strings.TrimPrefix(items[1].label, "Proxy: on at ")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatalf("status line %q does not end in an address: %v", items[1].label, err)
	}
	if items[1].enabled {
		t.Error("status line is enabled")
	}
	if !listening(addr) {
		t.Fatalf("menu says on at %s but nothing listens there", addr)
	}
	// The icon is set apart from the menu (and systray may export it
	// later than the menu under load): wait for each state's own icon
	// rather than compare one read with another.
	waitIcon(t, item, LevelOn)

	// Left click (Activate) turns it off: the port stops answering, and the
	// menu and icon follow.
	activate := func() {
		t.Helper()
		if err := item.Call("org.kde.StatusNotifierItem.Activate", 0, int32(0), int32(0)).Err; err != nil {
			t.Fatalf("Activate: %v", err)
		}
	}
	activate()
	if !testkit.Poll(10*time.Second, func() bool { return !listening(addr) }) {
		t.Fatal("left click did not turn the proxy off")
	}
	waitMenu("Proxy: off", false)
	waitIcon(t, item, LevelOff)
	// A second left click brings it back.
	activate()
	if !testkit.Poll(10*time.Second, func() bool { return listening(addr) }) {
		t.Fatal("second left click did not turn the proxy on")
	}
	waitMenu("Proxy: on at "+addr, true)
	waitIcon(t, item, LevelOn)

	// The menu's toggle does the same.
	clickUntil(t, menu, items[0].id, func() bool { return !listening(addr) })
	waitMenu("Proxy: off", false)
	waitIcon(t, item, LevelOff)
	clickUntil(t, menu, items[0].id, func() bool { return listening(addr) })
	waitMenu("Proxy: on at "+addr, true)
	waitIcon(t, item, LevelOn)

	open := mustFind(t, items, LabelOpen)
	clickUntil(t, menu, open.id, func() bool { return strings.Contains(out.String(), "WINDOW shown") })

	// Quit stops the proxy first, then the app exits cleanly.
	quit := mustFind(t, items, LabelQuit)
	clickUntil(t, menu, quit.id, func() bool {
		select {
		case <-exited:
			return true
		default:
			return false
		}
	})
	if *exitErr != nil {
		t.Fatalf("tray app exit: %v", *exitErr)
	}
	log := out.String()
	checkRaces(t, log)
	if i, j := strings.LastIndex(log, "ENGINE on"), strings.LastIndex(log, "ENGINE off"); j < i {
		t.Errorf("quit did not stop the proxy first:\n%s", log)
	}
}

// clickUntil sends a dbusmenu click on id until done holds. systray drops a
// click that arrives while the item's previous click is still being handled,
// so one resend after a pause is what a user would do too; every item here
// is safe to click twice.
func clickUntil(t *testing.T, menu dbus.BusObject, id int32, done func() bool) {
	t.Helper()
	for range 3 {
		call := menu.Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
		if call.Err != nil {
			// Quit may end the app before its reply leaves: the bus then
			// reports the recipient gone. That is the click working.
			if testkit.Poll(5*time.Second, done) {
				return
			}
			t.Fatalf("click item %d: %v", id, call.Err)
		}
		if testkit.Poll(5*time.Second, done) {
			return
		}
	}
	t.Fatalf("click on item %d had no effect in 15s", id)
}

// waitIcon waits for the item's icon, as the shell would draw it, to be
// level's icon, and fails the test naming the level it shows instead.
func waitIcon(t *testing.T, item dbus.BusObject, want Level) {
	t.Helper()
	var got []byte
	var err error
	if testkit.Poll(testkit.WaitTimeout, func() bool {
		got, err = pixmap(item)
		return err == nil && bytes.Equal(got, iconPixels(t, want))
	}) {
		return
	}
	shown := "no known icon"
	for l := LevelOff; l <= LevelError; l++ {
		if err == nil && bytes.Equal(got, iconPixels(t, l)) {
			shown = "the " + l.String() + " icon"
		}
	}
	t.Fatalf("timed out after %s waiting for the tray icon to be the %s icon: it shows %s (read error: %v)",
		testkit.WaitTimeout, want, shown, err)
}

// iconPixels is level's icon as systray exports it: ARGB32, row by row
// (fyne.io/systray's convertToPixels of the PNG the tray sets).
func iconPixels(t *testing.T, l Level) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(l.Icon().Content()))
	if err != nil {
		t.Fatalf("decode the %s icon: %v", l, err)
	}
	b := img.Bounds()
	out := make([]byte, 0, 4*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			out = append(out, byte(a), byte(r), byte(g), byte(bl))
		}
	}
	return out
}

// pixmap reads the item's icon as the shell would draw it.
func pixmap(item dbus.BusObject) ([]byte, error) {
	v, err := item.GetProperty("org.kde.StatusNotifierItem.IconPixmap")
	if err != nil {
		return nil, fmt.Errorf("read IconPixmap: %w", err)
	}
	var px []struct {
		W, H int32
		Pix  []byte
	}
	if err := v.Store(&px); err != nil || len(px) == 0 || len(px[0].Pix) == 0 {
		return nil, fmt.Errorf("IconPixmap %v: %v", v.Signature(), err)
	}
	return px[0].Pix, nil
}
