package main

import (
	"context"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The real tray, started as at login (tray only), in front of the fake
// API whose 5-hour window rises 2 % per request: the account's tray line
// follows the window with its reset countdown, and crossing 75 % and
// 90 % each makes one bubble through the notification daemon, never twice.
func TestTrayFollowsTheWindowAndWarns(t *testing.T) {
	port := strconv.Itoa(testkit.FreePort(t))
	env, registered, _ := trayEnv(t, port)
	var bus string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "DBUS_SESSION_BUS_ADDRESS="); ok {
			bus = v
		}
	}
	daemon := testkit.Notifications(t, bus)
	fake := fakeapi.New(t)
	reset := time.Now().Add(3 * time.Hour)
	fake.Script("sk-ant-w", fakeapi.Behavior{Unified: true, Utilization: 0.70, UtilizationStep: 0.02, ResetAt: reset})
	env = append(env, "SLUICE_UPSTREAM="+fake.URL) // the last one counts
	bin := buildSluice(t)
	owner := exec.Command(bin, "--background")
	owner.Env = env
	owner.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &testkit.Buffer{}
	owner.Stdout, owner.Stderr = out, out
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = owner.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-owner.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("owner output:\n%s", out.String())
		}
	})
	item := trayRegistered(t, registered)
	var data string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "SLUICE_DATA_DIR="); ok {
			data = v
		}
	}
	c, err := control.Dial(data)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.AddAPIKey(ctx, "personal", "sk-ant-w"); err != nil {
		t.Fatal(err)
	}
	_, key, ok, err := c.FirstKey(ctx)
	if err != nil || !ok {
		t.Fatalf("the first client key: %v, %v", ok, err)
	}

	var labels []string
	line := func(prefix string) bool {
		labels, _ = menuLabels(item)
		return slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, prefix) })
	}
	if s := send("127.0.0.1:"+port, key); s != http.StatusOK {
		t.Fatalf("request: %d", s)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last menu %q", labels)
		}
	})
	testkit.WaitFor(t, "the account's line at 72 %", func() bool {
		return line("personal · 5h 72 % · resets 3 h 0 m") || line("personal · 5h 72 % · resets 2 h 59 m")
	})
	// One request at a time until the 90 % warning is told: the engine
	// checks an account's windows at most every two seconds.
	said := func(pct string) bool {
		return slices.ContainsFunc(daemon.Sent(), func(b testkit.Bubble) bool { return strings.Contains(b.Body, "5h window at "+pct) })
	}
	deadline := time.Now().Add(45 * time.Second)
	for !said("9") {
		if time.Now().After(deadline) {
			t.Fatalf("no 90 %% warning; bubbles %q, menu %q", daemon.Sent(), labels)
		}
		if s := send("127.0.0.1:"+port, key); s != http.StatusOK {
			t.Fatalf("request: %d", s)
		}
		time.Sleep(300 * time.Millisecond) // one request per poll, not a burst
	}
	testkit.WaitFor(t, "the account's line past 90 %", func() bool { return line("personal · 5h 9") || line("personal · 5h 1") })
	// Both thresholds told, each once, in bubbles of their own or shared.
	var lines []string
	for _, b := range daemon.Sent() {
		for _, l := range strings.Split(b.Body, "\n") {
			if strings.Contains(l, "5h window at") {
				lines = append(lines, l)
			}
		}
	}
	// The engine checks at most every two seconds: a threshold is told
	// at the figure of that check, past it.
	pct := func(l string) int {
		_, after, _ := strings.Cut(l, "5h window at ")
		n, _ := strconv.Atoi(strings.Fields(after)[0])
		return n
	}
	if len(lines) != 2 || pct(lines[0]) < 75 || pct(lines[0]) >= 90 || pct(lines[1]) < 90 {
		t.Errorf("threshold lines told %q; want one past 75 %% and one past 90 %%", lines)
	}
	t.Logf("bubbles %q; menu %q", daemon.Sent(), labels)
}
