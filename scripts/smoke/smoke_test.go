//go:build smoke

// Package smoke runs a built Sluice the way a user runs it: `sluice serve`
// owning a data dir with the file keyring, the CLI adding an account and
// creating a client key through the control channel, and one request from
// this side over loopback to the in-repo fake API, then the journal read
// back. `make test-windows` runs sluice.exe under Wine with it, `make
// test-deb` the binary unpacked from the .deb:
//
//	go test -tags smoke -count=1 -v ./scripts/smoke -exe dist/windows/sluice.exe -wine auto
//	go test -tags smoke -count=1 -v ./scripts/smoke -exe /tmp/root/usr/bin/sluice
package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

var (
	exe    = flag.String("exe", "", "the sluice.exe to run (required)")
	wine   = flag.String("wine", "", "the Wine loader, or auto (wine64 on PATH, else /usr/lib/wine/wine64); empty: run -exe natively")
	prefix = flag.String("prefix", "", "the Wine prefix (default: a new one in a temp dir)")
	shim   = flag.String("shim", "", "a bcryptprimitives.dll to put in the prefix for Wine < 8.13")
)

// accountKey is the account's (fake) Console API key; it must reach the
// fake API and nothing else.
const accountKey = "sk-ant-api03-smoke-account-key"

func TestSmoke(t *testing.T) {
	if *exe == "" {
		t.Fatal("-exe is required")
	}
	exePath, err := filepath.Abs(*exe)
	if err != nil {
		t.Fatal(err)
	}
	w := newWine(t)

	up := fakeapi.NewUnstarted()
	up.Start()
	t.Cleanup(up.Close)

	dataDir := filepath.Join(t.TempDir(), "data")
	port := testkit.FreePort(t)
	env := []string{
		"SLUICE_DATA_DIR=" + w.path(dataDir),
		"SLUICE_KEYRING=file",
		"SLUICE_KEYRING_PASSWORD=smoke-password",
		"SLUICE_UPSTREAM=" + up.URL,
		"SLUICE_USAGE_URL=" + up.URL + "/api/oauth/usage",
		fmt.Sprintf("SLUICE_PORT=%d", port),
	}

	// The window program ships beside sluice: `sluice window` finds it and
	// hands over, and it says that nothing runs yet (it dials the engine
	// before it opens a window, so this needs no display).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	win := w.command(exePath, env, "window")
	win = exec.CommandContext(ctx, win.Path, win.Args[1:]...)
	win.Env = append(append([]string(nil), w.env...), env...)
	if out, err := win.CombinedOutput(); err == nil || !strings.Contains(string(out), "Sluice is not running for") {
		t.Errorf("sluice window with no owner: %v %q; want the window program's \"Sluice is not running\"", err, out)
	}

	// The owner, as a user starts it.
	var serveErr testkit.Buffer
	serve := w.command(exePath, env, "serve")
	t.Logf("running %s", strings.Join(serve.Args, " "))
	serve.Stdout, serve.Stderr = &serveErr, &serveErr
	if err := serve.Start(); err != nil {
		t.Fatalf("start sluice.exe serve: %v", err)
	}
	served := make(chan struct{}) // closed when serve exits
	go func() { _ = serve.Wait(); close(served) }()
	t.Cleanup(func() {
		_ = serve.Process.Kill()
		<-served
		w.stop()
		if t.Failed() {
			t.Logf("sluice.exe serve said:\n%s", serveErr.String())
		}
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, 3*time.Minute, served, func() bool {
		r, err := http.Get(base + "/v1/models")
		if err != nil {
			return false
		}
		r.Body.Close()
		return true
	})

	// The CLI, a client of the owner through the control pipe.
	out := w.run(t, exePath, env, accountKey+"\n", "accounts", "add-key", "work")
	if !strings.Contains(out, "Added work") {
		t.Fatalf("accounts add-key said %q", out)
	}
	out = w.run(t, exePath, env, "", "keys", "create", "smoke")
	clientKey := regexp.MustCompile(`sk-sluice-[A-Za-z0-9_-]+`).FindString(out)
	if clientKey == "" {
		t.Fatalf("keys create printed no key: %q", out)
	}

	// One request through it, from Linux over loopback.
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/messages",
		strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("x-api-key", clientKey)
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request through sluice.exe: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("request through sluice.exe: %s %s", resp.Status, body)
	}
	var msg struct{ Type string }
	if err := json.Unmarshal(body, &msg); err != nil || msg.Type != "message" {
		t.Fatalf("answer is not a message: %s", body)
	}
	var upstream []string
	for _, r := range up.Received() {
		if r.Path == "/v1/messages" {
			upstream = append(upstream, r.Credential)
		}
	}
	if len(upstream) != 1 || upstream[0] != accountKey {
		t.Fatalf("the fake API got /v1/messages with credentials %q, want once with the account's key", upstream)
	}

	// The journal, read back through the control pipe (the writer is
	// asynchronous: poll).
	var rec []map[string]any
	waitFor(t, time.Minute, served, func() bool {
		rec = nil
		out := w.run(t, exePath, env, "", "logs", "--json")
		// `sluice logs --json` prints the page as one JSON array.
		if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rec); err != nil {
			return false
		}
		return len(rec) > 0
	})
	if len(rec) != 1 || fmt.Sprint(rec[0]["status"]) != "200" || rec[0]["account"] != "work" {
		t.Fatalf("journal holds %v, want one 200 served by work", rec)
	}
	if strings.Contains(serveErr.String(), accountKey) || strings.Contains(serveErr.String(), clientKey) {
		t.Fatal("sluice.exe serve logged a secret")
	}
}

// wineRun runs Windows programs in one prefix, or native ones directly
// when loader is empty.
type wineRun struct {
	loader string
	env    []string
}

func newWine(t *testing.T) *wineRun {
	loader := *wine
	if loader == "" {
		return &wineRun{env: os.Environ()}
	}
	if loader == "auto" {
		if p, err := exec.LookPath("wine64"); err == nil {
			loader = p
		} else {
			loader = "/usr/lib/wine/wine64"
		}
	}
	pfx := *prefix
	if pfx == "" {
		pfx = filepath.Join(t.TempDir(), "wineprefix")
	}
	pfx, _ = filepath.Abs(pfx)
	w := &wineRun{loader: loader, env: append(os.Environ(), "WINEPREFIX="+pfx, "WINEDEBUG=-all", "DISPLAY=")}
	if _, err := os.Stat(filepath.Join(pfx, "system.reg")); err != nil {
		start := time.Now()
		boot := exec.Command(loader, "wineboot", "--init")
		boot.Env = w.env
		if out, err := boot.CombinedOutput(); err != nil {
			t.Fatalf("wineboot: %v\n%s", err, out)
		}
		t.Logf("created the Wine prefix %s in %s", pfx, time.Since(start).Round(time.Second))
	}
	if *shim != "" {
		b, err := os.ReadFile(*shim)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pfx, "drive_c", "windows", "system32", "bcryptprimitives.dll"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *wineRun) command(exe string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(exe, args...)
	if w.loader != "" {
		cmd = exec.Command(w.loader, append([]string{exe}, args...)...)
	}
	cmd.Env = append(append([]string(nil), w.env...), env...)
	return cmd
}

// run runs one CLI command to completion and returns its stdout.
func (w *wineRun) run(t *testing.T, exe string, env []string, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := w.command(exe, env, args...)
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	cmd.Env = append(append([]string(nil), w.env...), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("sluice.exe %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// stop ends the prefix's wineserver and whatever still runs in it.
func (w *wineRun) stop() {
	if w.loader == "" {
		return
	}
	k := exec.Command(filepath.Join(filepath.Dir(w.loader), "wineserver"), "-k")
	if _, err := os.Stat(k.Path); err != nil {
		k = exec.Command("wineserver", "-k")
	}
	k.Env = w.env
	_ = k.Run()
}

// path is a Linux path as the program sees it: under Wine, on drive Z:.
func (w *wineRun) path(p string) string {
	if w.loader == "" {
		return p
	}
	return `Z:` + strings.ReplaceAll(p, "/", `\`)
}

// waitFor polls cond until it holds, failing if the deadline passes or
// the owner process ends first.
func waitFor(t *testing.T, d time.Duration, exited <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		select {
		case <-exited:
			t.Fatal("sluice.exe serve exited")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after %s", d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
