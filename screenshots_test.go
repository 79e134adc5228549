//go:build screenshots

package main

// The README's screenshots, taken of the real program as a user runs it:
// Xvfb, a private D-Bus session with a stand-in StatusNotifierWatcher, the
// tray owner (`sluice`) in front of proxy/fakeapi with three accounts and a
// week of requests, and the real `sluice window` process, captured with
// ImageMagick's `import` and driven with xdotool. scripts/screenshots.sh
// runs it; look at every picture after.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

var shotsDir = flag.String("shots", "", "directory to write the screenshots to")

// keyringPassword locks the screenshots' file keyring.
const keyringPassword = "screenshots"

func TestScreenshots(t *testing.T) {
	if *shotsDir == "" {
		t.Fatal("-shots DIR is required")
	}
	for _, tool := range []string{"Xvfb", "dbus-daemon", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install xvfb dbus xdotool imagemagick)", tool)
		}
	}
	dir := t.TempDir()
	bin := buildSluice(t)

	fake := fakeapi.New(t)
	fake.RefuseUnknown = true
	fake.Script("sk-ant-ci", fakeapi.Behavior{})
	data := filepath.Join(dir, "data")
	client := history(t, data, fake)
	reset := time.Now().Add(2*time.Hour + 14*time.Minute)
	fake.Script("sk-ant-ci", fakeapi.Behavior{ResetAt: reset})
	// personal's 5-hour window rises with each request, fast enough that
	// at this pace it runs out before its reset: its card shows the pace.
	fake.Script("tok-personal", fakeapi.Behavior{Utilization: 0.42, UtilizationStep: 0.003, ResetAt: reset})
	fake.Script("tok-team", fakeapi.Behavior{Utilization: 0.71, ResetAt: reset.Add(time.Hour)})

	display := testkit.StartXvfbScreen(t, "1280x800x24")
	bus := testkit.StartBus(t)
	registered := testkit.Watch(t, bus)
	port := strconv.Itoa(testkit.FreePort(t))
	env := []string{"PATH=" + os.Getenv("PATH"), "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + bus,
		"LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"), "SLUICE_DATA_DIR=" + data,
		"SLUICE_KEYRING=file", "SLUICE_KEYRING_PASSWORD=" + keyringPassword, "SLUICE_PORT=" + port,
		"SLUICE_UPSTREAM=" + fake.URL, "SLUICE_USAGE_URL=" + fake.URL + "/api/oauth/usage"}
	x := &xsession{t: t, env: env}

	owner := startOwner(t, bin, env)
	item := trayRegistered(t, registered)
	addr := "127.0.0.1:" + port
	// Every request comes from a Claude Code session, so the Usage tab's
	// share by session has no "(no session)" row taking today's jump
	// from the history's windows to the figures scripted above.
	testkit.WaitFor(t, "the proxy", func() bool { return sendIn(addr, client, sessions[1]) == http.StatusOK })

	// Today's traffic through the owner's proxy, and the team account
	// benched by a 429 it gets while it is the only one in service.
	c, err := control.Dial(data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	only := func(name string, requests int) {
		for _, other := range []string{"personal", "team", "ci"} {
			if other != name {
				if err := c.PauseAccount(ctx, other); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := c.ResumeAccount(ctx, name); err != nil {
			t.Fatal(err)
		}
		for range requests {
			sendIn(addr, client, sessions[0])
		}
	}
	// personal alone, paced: its 5-hour window rises with each request
	// until the tray's line says when, at this pace, it runs out.
	only("personal", 0)
	trayPaceShot(t, item, func() { sendIn(addr, client, sessions[0]) }, func() {
		for _, name := range []string{"team", "ci"} {
			if err := c.ResumeAccount(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	})
	only("team", 3)
	served := fake.Served()["tok-team"]
	fake.Script("tok-team", fakeapi.Behavior{Utilization: 1, LimitAfter: served, ResetAt: reset.Add(time.Hour)})
	only("team", 1)
	for _, name := range []string{"personal", "ci"} {
		if err := c.ResumeAccount(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	testkit.WaitFor(t, "team benched", func() bool {
		accts, err := c.Accounts(ctx)
		if err != nil {
			return false
		}
		for _, a := range accts {
			if a.Name == "team" {
				return a.State == "limited"
			}
		}
		return false
	})
	for range 4 {
		sendIn(addr, client, sessions[2])
	}
	trayMenuShot(t, item)

	// The owner opened its window at start: the Accounts tab.
	wid := x.window()
	x.shot(wid, "accounts")
	x.scroll(wid, cardList, 5, 40) // down to the API-key account
	x.shot(wid, "accounts-key")
	x.scroll(wid, cardList, 4, 40)
	x.click(wid, addAccountButton)
	x.shot(wid, "add-account")
	x.typeText(wid, "work")
	x.key(wid, "Return") // Sign in… with the subscription choice
	x.click(wid, termsContinue)
	x.click(wid, pasteInstead)
	x.shot(wid, "sign-in")
	x.key(wid, "Escape")
	x.end(wid)

	for _, tab := range []string{"logs", "usage", "settings"} {
		w := x.open(bin, "--tab", tab)
		if tab == "logs" { // with a request open in the detail pane
			x.click(w, firstLogRow)
		}
		x.shot(w, tab)
		if tab == "settings" {
			x.scroll(w, settingsScroll, 5, 200)
			x.shot(w, "keys")
			x.click(w, keyName)
			x.typeText(w, "laptop-2")
			x.click(w, createKey)
			x.shot(w, "key-reveal")
		}
		x.end(w)
	}

	// The light theme, as a desktop set to light gets it.
	light := &xsession{t: t, env: append(x.env[:len(x.env):len(x.env)], "FYNE_THEME=light")}
	w0 := light.open(bin)
	light.shot(w0, "accounts-light")
	light.end(w0)

	// A failed start, as a user meets it: another program holds the
	// proxy's port when the tray app starts. The owner is ended (its
	// port is freed with it), the port taken, and the app started again
	// at login (--background: no window of its own). The window says
	// why the proxy is off, and offers no export lines for it.
	c.Close()
	if err := syscall.Kill(owner.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-owner.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the tray app did not end on SIGTERM")
	}
	var squatter net.Listener
	testkit.WaitFor(t, "the port free", func() bool {
		squatter, err = net.Listen("tcp", addr)
		return err == nil
	})
	defer squatter.Close()
	startOwner(t, bin, env, "--background")
	testkit.WaitFor(t, "the owner's failed start", func() bool {
		c2, err := control.Dial(data)
		if err != nil {
			return false
		}
		defer c2.Close()
		st, err := c2.Snapshot(ctx)
		return err == nil && st.StartError != ""
	})
	w1 := x.open(bin)
	x.shot(w1, "start-failed")
	x.end(w1)

	// What a new user sees first: `sluice serve` on a fresh data dir, its
	// first client key not yet dismissed, and the window onto it.
	fresh := filepath.Join(dir, "fresh")
	serve := exec.Command(bin, "serve")
	serve.Env = append(x.env[:len(x.env):len(x.env)], "SLUICE_DATA_DIR="+fresh, "SLUICE_PORT="+strconv.Itoa(testkit.FreePort(t)))
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = serve.Process.Kill(); _ = serve.Wait() })
	testkit.WaitFor(t, "serve's control socket", func() bool {
		_, err := os.Stat(filepath.Join(fresh, "sluice.sock"))
		return err == nil
	})
	w := x.open(bin, "--data-dir", fresh)
	x.shot(w, "empty")
	x.end(w)
}

// Where the screenshots click, in window coordinates at the default window
// size (app.WindowSize): read off the pictures.
var (
	addAccountButton = [2]int{715, 21}
	cardList         = [2]int{450, 300}
	termsContinue    = [2]int{503, 433}
	pasteInstead     = [2]int{630, 376}
	firstLogRow      = [2]int{45, 180}
	settingsScroll   = [2]int{6, 400} // the margin: an entry under the pointer takes the wheel
	keyName          = [2]int{390, 695}
	createKey        = [2]int{830, 695}
)

// history fills the data dir as a week of use would: three accounts, a
// client key, and requests on each day, made by an engine on a clock the
// test moves, in front of the fake. It returns the client key's secret.
func history(t *testing.T, data string, fake *fakeapi.Server) string {
	t.Helper()
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := journal.Open(filepath.Join(data, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(data, "keyring"), FilePassword: keyringPassword})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := time.Now().Add(-6 * 24 * time.Hour)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	ctx := context.Background()
	// The engine's usage poller calls a port where nothing listens, not
	// Anthropic's endpoint with the fake tokens. Not the fake's: its polls,
	// on this clock days behind the fake's, left team's 5-hour window at
	// 12 % with no reset, so today's first team request took the jump to
	// 71 % as one session's share (Usage: 5h 112 %) and the tray showed
	// the stale 12 %. Failed polls leave the windows to the headers.
	usageURL := "http://127.0.0.1:" + strconv.Itoa(testkit.FreePort(t)) + "/api/oauth/usage"
	svc, err := proxy.New(ctx, proxy.Config{Upstream: fake.URL, UsageURL: usageURL, Port: 0, RetryDelay: time.Millisecond, Version: "screenshots", Keyring: store.Backend()},
		proxy.Deps{Journal: db, Keyring: store, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = svc.Close(ctx)
		_ = db.Close()
	}()
	if err := svc.StartProxy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct{ name, token string }{{"personal", "tok-personal"}, {"team", "tok-team"}} {
		c := vault.Credential{Kind: vault.KindOAuth, AccessToken: a.token, RefreshToken: "r-" + a.token, ExpiresAt: time.Now().Add(8 * time.Hour).UnixMilli()}
		if _, err := svc.AddCredential(ctx, a.name, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.AddAPIKey(ctx, "ci", "sk-ant-ci"); err != nil {
		t.Fatal(err)
	}
	_, secret, err := svc.CreateKey(ctx, api.KeyOptions{Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	// A user past the first start: the key banner was dismissed.
	svc.DismissFirstKey()
	// Each day, a few requests on each account: the others are paused
	// while one serves. The fake's 5-hour windows end two hours after the
	// test clock's day starts, so each day's requests fall in that day's
	// window, not in today's.
	names := []string{"personal", "team", "ci"}
	for day := range 6 {
		// The subscriptions' windows rise 1 % a request: the quota ledger
		// gives each session its share (the Usage tab's breakdown).
		fake.Script("tok-personal", fakeapi.Behavior{UtilizationStep: 0.01, ResetAt: now().Add(2 * time.Hour)})
		fake.Script("tok-team", fakeapi.Behavior{UtilizationStep: 0.015, ResetAt: now().Add(2 * time.Hour)})
		fake.Script("sk-ant-ci", fakeapi.Behavior{ResetAt: now().Add(2 * time.Hour)})
		for i, name := range names {
			for _, other := range names {
				if other != name {
					_ = svc.PauseAccount(ctx, other)
				}
			}
			_ = svc.ResumeAccount(ctx, name)
			for j := range 2 + (day*3+i*5)%7 {
				if status := sendIn(svc.Addr(), secret, sessions[(day+i+j/3)%len(sessions)]); status != http.StatusOK {
					t.Fatalf("history request on %s: %d", name, status)
				}
			}
		}
		mu.Lock()
		clock = clock.Add(24 * time.Hour)
		mu.Unlock()
	}
	for _, name := range names {
		_ = svc.ResumeAccount(ctx, name)
	}
	return secret
}

// sessions are the Claude Code sessions the screenshots' requests come
// from (Claude Code sends a UUID per session).
var sessions = []string{
	"6f0c1d2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
	"a3e9b7c1-52d4-4f8e-9a61-7c2b0d8e1f34",
	"1d4b8e2a-9c7f-4a36-b5e0-3f6a2c9d8b17",
}

// sendIn is send from a Claude Code session.
func sendIn(addr, key, session string) int {
	body := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	req.Header.Set("X-Claude-Code-Session-Id", session)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// xsession drives windows on the test's display with xdotool and captures
// them with import.
type xsession struct {
	t     *testing.T
	env   []string
	procs map[string]*exec.Cmd // window processes this session started, by window id
}

// run runs an X tool on the display and returns its output.
func (x *xsession) run(name string, args ...string) string {
	x.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = x.env
	out, err := cmd.Output()
	if err != nil {
		x.t.Fatalf("%s %v: %v", name, args, err)
	}
	return strings.TrimSpace(string(out))
}

// window waits for the one Sluice window on the display and returns its id.
func (x *xsession) window() string {
	x.t.Helper()
	var id string
	var seen []string
	defer func() {
		if x.t.Failed() {
			x.t.Logf("Sluice windows seen: %v", seen)
		}
	}()
	testkit.WaitFor(x.t, "the Sluice window", func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Sluice$")
		cmd.Env = x.env
		out, err := cmd.Output()
		ids := strings.Fields(string(out))
		if err != nil || len(ids) != 1 {
			seen = ids
			return false
		}
		id = ids[0]
		return true
	})
	return id
}

// open starts `sluice window ARGS` and returns its window's id.
func (x *xsession) open(bin string, args ...string) string {
	x.t.Helper()
	cmd := exec.Command(bin, append([]string{"window"}, args...)...)
	cmd.Env = x.env
	var out testkit.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		x.t.Fatal(err)
	}
	x.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if x.t.Failed() {
			x.t.Logf("sluice window %v output:\n%s", args, out.String())
		}
	})
	id := x.window()
	x.settle(id) // what it read is drawn: the rows are there to click
	if x.procs == nil {
		x.procs = map[string]*exec.Cmd{}
	}
	x.procs[id] = cmd
	return id
}

// end closes the window wid and waits until it is gone and its process
// has ended: a window process still quitting is still subscribed to the
// owner, which would hand the next start to it ("already open") instead
// of letting it open a window.
func (x *xsession) end(wid string) {
	x.t.Helper()
	pid, _ := strconv.Atoi(x.run("xdotool", "getwindowpid", wid))
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	testkit.WaitFor(x.t, "the window closed", func() bool {
		cmd := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Sluice$")
		cmd.Env = x.env
		out, _ := cmd.Output()
		return len(strings.Fields(string(out))) == 0
	})
	if pid > 0 {
		testkit.WaitFor(x.t, "the window process ended", func() bool { return ended(pid) })
	}
}

// ended reports whether process pid is gone or a zombie (ended, not yet
// reaped by its parent).
func ended(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, after, ok := bytes.Cut(b, []byte(") "))
	return !ok || len(after) == 0 || after[0] == 'Z'
}

// capture returns the window's picture as PNG.
func (x *xsession) capture(wid string) []byte {
	x.t.Helper()
	cmd := exec.Command("import", "-window", wid, "png:-")
	cmd.Env = x.env
	out, err := cmd.Output()
	if err != nil {
		x.t.Fatalf("import: %v", err)
	}
	return out
}

// settle waits until two captures a short while apart are the same (the
// window has drawn what it read), for at most a few seconds: a blinking
// text cursor never settles, and that picture is as good as any.
func (x *xsession) settle(wid string) []byte {
	x.t.Helper()
	last := x.capture(wid)
	for range 12 {
		time.Sleep(400 * time.Millisecond)
		next := x.capture(wid)
		if bytes.Equal(next, last) {
			return next
		}
		last = next
	}
	return last
}

// shot writes the settled window to the screenshots directory as name.png.
func (x *xsession) shot(wid, name string) {
	x.t.Helper()
	path := filepath.Join(*shotsDir, name+".png")
	if err := os.WriteFile(path, x.settle(wid), 0o644); err != nil {
		x.t.Fatal(err)
	}
	fmt.Println("wrote", path)
}

// click clicks at p in the window and lets it redraw.
func (x *xsession) click(wid string, p [2]int) {
	x.t.Helper()
	x.run("xdotool", "mousemove", "--window", wid, strconv.Itoa(p[0]), strconv.Itoa(p[1]), "click", "1")
	x.settle(wid)
}

// scroll turns the mouse wheel n notches over p: X button 5 down, 4 up.
func (x *xsession) scroll(wid string, p [2]int, button, n int) {
	x.t.Helper()
	x.run("xdotool", "mousemove", "--window", wid, strconv.Itoa(p[0]), strconv.Itoa(p[1]), "click", "--repeat", strconv.Itoa(n), "--delay", "5", strconv.Itoa(button))
	x.settle(wid)
}

// typeText types s into the window's focused field.
func (x *xsession) typeText(wid, s string) {
	x.t.Helper()
	x.run("xdotool", "windowfocus", "--sync", wid)
	x.run("xdotool", "type", "--delay", "30", s)
	x.settle(wid)
}

// key presses one key (xdotool's name for it) in the window.
func (x *xsession) key(wid, name string) {
	x.t.Helper()
	x.run("xdotool", "windowfocus", "--sync", wid)
	x.run("xdotool", "key", name)
	x.settle(wid)
}
