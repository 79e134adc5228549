//go:build unix

package testkit

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// StartXvfb starts a private X server with a 1024x768 screen and returns
// its DISPLAY; the server ends with the test. It skips or fails as
// NeedTools does when Xvfb is not installed.
func StartXvfb(t testing.TB) string {
	t.Helper()
	return StartXvfbScreen(t, "1024x768x24")
}

// StartXvfbScreen is StartXvfb with screen 0 of the given geometry
// (WIDTHxHEIGHTxDEPTH). Xvfb picks a free display number itself
// (-displayfd) and writes it once it accepts connections, so parallel
// test processes cannot race for one.
//
// -noreset keeps the server up as it is when its last client leaves. By
// default Xvfb resets then, and a client connecting during the reset
// fails to open the display: a window process started just after the
// test closed the only other one (or after an xclip or xdotool run)
// failed so under load. Three loops of xdpyinfo against one Xvfb failed
// 62 of 900 connections without it and none with it.
func StartXvfbScreen(t testing.TB, screen string) string {
	t.Helper()
	NeedTools(t, "Xvfb")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", screen, "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w} // fd 3 in the child
	stderr := &Buffer{}
	cmd.Stderr = stderr
	StartGroup(t, cmd)
	w.Close()
	return ":" + firstLine(t, r, 10*time.Second, "Xvfb", stderr)
}
