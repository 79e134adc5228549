package owner

import (
	"errors"
	"os"
	"runtime"
)

// ErrNoDisplay is returned by CheckDisplay when there is no display to open
// a window on.
var ErrNoDisplay = errors.New("no display: DISPLAY and WAYLAND_DISPLAY are unset; " +
	"to run Sluice without a desktop, use `sluice serve`")

// CheckDisplay reports whether the desktop app can start. On Linux and the
// BSDs GLFW aborts the process when there is no X11 or Wayland display, so
// main checks first and prints ErrNoDisplay instead of crashing. Elsewhere
// there is always a display.
func CheckDisplay() error {
	return checkDisplay(runtime.GOOS, os.Getenv)
}

func checkDisplay(goos string, getenv func(string) string) error {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
			return ErrNoDisplay
		}
	}
	return nil
}
