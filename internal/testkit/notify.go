//go:build unix

package testkit

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// Bubble is one desktop notification as the daemon received it.
type Bubble struct{ Summary, Body string }

// Notifier is a minimal org.freedesktop.Notifications daemon, the desktop
// shell's part that shows notification bubbles: it keeps every bubble.
type Notifier struct {
	mu      sync.Mutex
	bubbles []Bubble
}

// Notify is the daemon's D-Bus method.
func (n *Notifier) Notify(_ string, _ uint32, _, summary, body string, _ []string, _ map[string]dbus.Variant, _ int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.bubbles = append(n.bubbles, Bubble{Summary: summary, Body: body})
	return uint32(len(n.bubbles)), nil
}

// GetCapabilities is the daemon's D-Bus method: bodies are shown.
func (n *Notifier) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }

// Sent returns the bubbles received so far.
func (n *Notifier) Sent() []Bubble {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.bubbles)
}

// Notifications connects to the session bus at addr and serves
// org.freedesktop.Notifications there, as a desktop shell does, until the
// test ends.
func Notifications(t testing.TB, addr string) *Notifier {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the private bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	n := &Notifier{}
	if err := conn.Export(n, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.freedesktop.Notifications: reply %v, %v", reply, err)
	}
	return n
}

// String is every bubble received so far, its summary and body one line
// each.
func (n *Notifier) String() string {
	var b strings.Builder
	for _, m := range n.Sent() {
		b.WriteString(m.Summary + "\n" + m.Body + "\n")
	}
	return b.String()
}
