package owner

import (
	"errors"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/control"
)

func TestCheckDisplay(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("display variables only matter on Linux and the BSDs")
	}
	for _, tc := range []struct {
		display, wayland string
		ok               bool
	}{
		{"", "", false},
		{":0", "", true},
		{"", "wayland-0", true},
		{":1", "wayland-0", true},
	} {
		t.Setenv("DISPLAY", tc.display)
		t.Setenv("WAYLAND_DISPLAY", tc.wayland)
		err := CheckDisplay()
		if tc.ok && err != nil {
			t.Errorf("DISPLAY=%q WAYLAND_DISPLAY=%q: %v", tc.display, tc.wayland, err)
		}
		if !tc.ok && (!errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), "sluice serve")) {
			t.Errorf("DISPLAY and WAYLAND_DISPLAY unset: %v, want ErrNoDisplay naming sluice serve", err)
		}
	}
}

func TestCheckDisplayElsewhere(t *testing.T) {
	none := func(string) string { return "" }
	for _, goos := range []string{"darwin", "windows"} {
		if err := checkDisplay(goos, none); err != nil {
			t.Errorf("%s: %v", goos, err)
		}
	}
	if err := checkDisplay("freebsd", none); err == nil {
		t.Error("freebsd without a display: no error")
	}
}

// TestAppIDMatchesFyneApp keeps the ID notifications and the installed
// icon use in step with the one packaging and the window use.
func TestAppIDMatchesFyneApp(t *testing.T) {
	data, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*ID\s*=\s*"([^"]+)"`).FindSubmatch(data)
	if m == nil || string(m[1]) != AppID {
		t.Errorf("FyneApp.toml ID %q, owner.AppID %q", m, AppID)
	}
}

// The engine the owner is written against.
var _ Engine = control.Local{}
