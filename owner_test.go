package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
)

// TestOwnerRunsTheWindowAsItsOwnProcess runs the real binary as a user's
// desktop would: `sluice` registers its tray with the StatusNotifierWatcher
// and starts the window program (sluice-window) as a child; a second `sluice` start exits at
// once and leaves one window process; closing the window (its process
// ending) leaves the tray running.
func TestOwnerRunsTheWindowAsItsOwnProcess(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "dbus-daemon")
	dir := t.TempDir()
	bin := buildSluice(t)
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)

	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + filepath.Join(dir, "data"),
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=0", "SLUICE_UPSTREAM=http://127.0.0.1:9"}
	owner := startOwner(t, bin, env)
	trayRegistered(t, registered)
	windows := func() []int { return children(owner.Process.Pid, "sluice-window") }
	testkit.WaitFor(t, "one window process", func() bool { return len(windows()) == 1 })
	first := windows()[0]
	// The process that runs all day maps no GL or X11 library; the
	// window's process does (which shows the check can see them).
	if libs := glLibraries(t, owner.Process.Pid); len(libs) > 0 {
		t.Errorf("the owner maps %v", libs)
	}
	testkit.WaitFor(t, "the window process to map GL", func() bool { return len(glLibraries(t, first)) > 0 })

	second := exec.Command(bin)
	second.Env = env
	if b, err := second.CombinedOutput(); err != nil {
		t.Fatalf("second start: %v\n%s", err, b)
	}
	// The second start has returned: its request reached the owner, which
	// found its window running and started none.
	if w := windows(); len(w) != 1 || w[0] != first {
		t.Errorf("window processes after a second start: %v, want [%d]", w, first)
	}

	if err := syscall.Kill(first, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the window process gone", func() bool { return len(windows()) == 0 })
	select {
	case <-owner.exited:
		t.Fatal("closing the window ended the tray app")
	default:
	}
}

// children lists the PIDs of pid's children that run the program name.
func children(pid int, name string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if argv0, _, _ := strings.Cut(string(cmdline), "\x00"); filepath.Base(argv0) == name {
			out = append(out, n)
		}
	}
	return out
}

// glLibraries lists the GL and X11 libraries pid has mapped.
func glLibraries(t *testing.T, pid int) []string {
	t.Helper()
	maps, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/maps")
	if err != nil {
		t.Fatal(err)
	}
	var libs []string
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		name := filepath.Base(f[5])
		if (strings.HasPrefix(name, "libGL") || strings.HasPrefix(name, "libX11")) && !slices.Contains(libs, name) {
			libs = append(libs, name)
		}
	}
	return libs
}

// TestSecondStartsLeaveOneWindow runs what users run beside a tray app
// that is up: `sluice --background` (the login entry, run again) shows no
// window and asks for none; a window opened by hand (`sluice window`) is
// the one window, so a plain second `sluice` brings it forward and the
// owner starts no window process beside it.
func TestSecondStartsLeaveOneWindow(t *testing.T) {
	testkit.NeedTools(t, "Xvfb", "dbus-daemon")
	dir := t.TempDir()
	bin := buildSluice(t)
	display := testkit.StartXvfb(t)
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)
	data := filepath.Join(dir, "data")
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + data,
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=test", "SLUICE_PORT=0", "SLUICE_UPSTREAM=http://127.0.0.1:9"}
	owner := startOwner(t, bin, env)
	trayRegistered(t, registered)
	windows := func() []int { return children(owner.Process.Pid, "sluice-window") }
	testkit.WaitFor(t, "the owner's window", func() bool { return len(windows()) == 1 })
	if err := syscall.Kill(windows()[0], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the window closed", func() bool { return len(windows()) == 0 && !cli.WindowOpen(data) })

	c, err := control.Dial(data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events, unsubscribe, err := c.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sluice %v: %v\n%s", args, err, out)
		}
	}
	run("--background")
	// The window opened by hand, as `sluice window` in a terminal.
	hand := exec.Command(bin, "window")
	hand.Env = env
	handOut := &testkit.Buffer{}
	hand.Stdout, hand.Stderr = handOut, handOut
	if err := hand.Start(); err != nil {
		t.Fatal(err)
	}
	handDone := make(chan struct{})
	go func() { _ = hand.Wait(); close(handDone) }()
	t.Cleanup(func() { _ = hand.Process.Kill(); <-handDone })
	testkit.WaitFor(t, "the hand-started window's lock", func() bool { return cli.WindowOpen(data) })
	afterBackground := time.Now()
	run() // a plain second start: the open window comes forward

	// Close the hand-started window and start plainly once more: the owner
	// starts its window now. Its dispatch takes events in order, so it is
	// through with the first start's request by then.
	if err := hand.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-handDone
	run()
	testkit.WaitFor(t, "the owner's window after the hand-started one closed", func() bool { return len(windows()) == 1 })

	var shows []time.Time
	for len(shows) < 2 {
		select {
		case e := <-events:
			if e.Kind == api.EventShowWindow {
				shows = append(shows, e.Time)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%d show-window events, want the two plain starts'", len(shows))
		}
	}
	if shows[0].Before(afterBackground) {
		t.Error("`sluice --background` beside a running tray app asked for a window")
	}
	// A window process the owner started beside the open one finds its
	// lock taken, says so and asks again: a third request, published
	// before the marker below (a stop of the proxy) that ends the stream.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.StopProxy(ctx); err != nil {
		t.Fatal(err)
	}
	for marked := false; !marked; {
		select {
		case e := <-events:
			switch {
			case e.Kind == api.EventShowWindow:
				t.Errorf("a third show-window event at %v: the owner started a window beside the open one", e.Time)
			case e.Proxy != nil && !e.Proxy.Running:
				marked = true
			}
		case <-ctx.Done():
			t.Fatal("the proxy's stop never came through the events")
		}
	}
	if strings.Contains(owner.out.String(), "already open") {
		t.Errorf("the owner started a window process beside the open one:\n%s", owner.out.String())
	}
	if w := windows(); len(w) != 1 {
		t.Errorf("window processes %v, want one", w)
	}
}
