package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault"
)

// owner runs `sluice serve` in-process on a free port until the test ends
// and returns the proxy's address, read back through `sluice status`.
func owner(t *testing.T, env map[string]string) string {
	t.Helper()
	addr, stop := startOwner(t, env)
	t.Cleanup(stop)
	return addr
}

// startOwner is owner with a stop function that waits for serve to exit
// (and fails the test unless it exits 0); calling it twice is harmless.
func startOwner(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan run, 1)
	go func() { done <- sluiceCtx(ctx, t, env, "", "serve", "--port", "0") }()
	var ended *run
	stop := func() {
		cancel()
		if ended == nil {
			r := <-done
			ended = &r
			if r.code != 0 {
				t.Errorf("serve exit %d: %s", r.code, r.err)
			}
		}
	}
	var st api.Status
	testkit.WaitFor(t, "serve to answer on its control socket", func() bool {
		select {
		case r := <-done:
			ended = &r
			t.Fatalf("serve ended: %d %s", r.code, r.err)
		default:
		}
		r := sluice(t, env, "", "status", "--json")
		return r.code == 0 && json.Unmarshal([]byte(r.out), &st) == nil && st.ProxyRunning
	})
	return st.Addr, stop
}

// sendBody is what send posts; the fake's usage follows its length.
const sendBody = `{"model":"claude-test","max_tokens":1}`

// send makes one proxied request in Claude Code's session (if any) and
// returns its status.
func send(t *testing.T, addr, key, session string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(sendBody))
	req.Header.Set("x-api-key", key)
	if session != "" {
		req.Header.Set("X-Claude-Code-Session-Id", session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// uses counts the upstream requests made with key.
func uses(fake *fakeapi.Server, key string) int {
	n := 0
	for _, r := range fake.Received() {
		if r.Credential == key {
			n++
		}
	}
	return n
}

const keyA, keyB = "sk-ant-api03-OWNERA-0001", "sk-ant-api03-OWNERB-0002"

// Every change made through the CLI while serve runs takes effect on the
// running proxy's next request.
func TestCLIChangesReachTheRunningEngine(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_STRATEGY"] = "priority"
	addr := owner(t, env)
	key := createKey(t, env, "cli-test")

	if got := send(t, addr, key, ""); got == 200 {
		t.Fatalf("a request with no account succeeded")
	}
	mustRun := func(stdin string, args ...string) run {
		t.Helper()
		r := sluice(t, env, stdin, args...)
		if r.code != 0 {
			t.Fatalf("%v: %d %s", args, r.code, r.err)
		}
		return r
	}
	mustRun(keyA+"\n", "accounts", "add-key", "a")
	if send(t, addr, key, "") != 200 || uses(fake, keyA) != 1 {
		t.Fatalf("the account added through the CLI did not serve the next request: %v", fake.Served())
	}

	mustRun(keyB+"\n", "accounts", "add-key", "b")
	mustRun("", "accounts", "priority", "b", "0")
	mustRun("", "accounts", "priority", "a", "5")
	if send(t, addr, key, ""); uses(fake, keyB) != 1 {
		t.Fatalf("priority did not take effect: b served %d", uses(fake, keyB))
	}
	mustRun("", "accounts", "pause", "b")
	if send(t, addr, key, ""); uses(fake, keyA) != 2 || uses(fake, keyB) != 1 {
		t.Fatalf("pause did not take effect: a %d b %d", uses(fake, keyA), uses(fake, keyB))
	}
	mustRun("", "accounts", "resume", "b")
	if send(t, addr, key, ""); uses(fake, keyB) != 2 {
		t.Fatalf("resume did not take effect: b %d", uses(fake, keyB))
	}

	var views []api.AccountView
	_ = json.Unmarshal([]byte(mustRun("", "accounts", "list", "--json").out), &views)
	idB := ""
	for _, v := range views {
		if v.Name == "b" {
			idB = v.ID
		}
	}
	mustRun("", "accounts", "remove", "b")
	for range 3 {
		send(t, addr, key, "")
	}
	if uses(fake, keyB) != 2 || uses(fake, keyA) != 5 {
		t.Fatalf("after remove: b %d (want 2), a %d (want 5)", uses(fake, keyB), uses(fake, keyA))
	}
	store, err := vault.Open(vault.Config{Backend: "file", FilePassword: "pw", FileDir: filepath.Join(env["SLUICE_DATA_DIR"], "keyring")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(idB); !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("the removed account's keyring item is still there: %v", err)
	}

	// Errors keep their meaning across the socket.
	if r := sluice(t, env, "", "accounts", "remove", "nosuch"); r.code != 1 || !strings.Contains(r.err, "no such account") {
		t.Fatalf("remove nosuch: %d %q", r.code, r.err)
	}
	if r := sluice(t, env, "", "proxy", "off"); r.code != 0 {
		t.Fatalf("proxy off: %s", r.err)
	}
	// The journal writes records asynchronously: the last requests may
	// reach today's count a moment after their answers.
	var st api.Status
	testkit.WaitFor(t, "status after proxy off counts the 7 requests", func() bool {
		st = api.Status{}
		r := sluice(t, env, "", "status", "--json")
		return json.Unmarshal([]byte(r.out), &st) == nil && st.RequestsToday >= 7
	})
	if st.ProxyRunning || st.Accounts != 1 {
		t.Fatalf("status after proxy off: %+v", st)
	}
	if r := sluice(t, env, "", "proxy", "on"); r.code != 0 {
		t.Fatalf("proxy on: %s", r.err)
	}
	grepTree(t, env["SLUICE_DATA_DIR"], "OWNERB")
}

func TestSessionsAndStatusline(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	if r := sluice(t, env, keyA, "accounts", "add-key", "work"); r.code != 0 {
		t.Fatal(r.err)
	}
	addr := owner(t, env)
	key := createKey(t, env, "cli-test")
	const session = "9f1c2d3e-0000-4000-8000-00000000abcd"
	for range 2 { // two requests in one session: the listing must count both
		if send(t, addr, key, session) != 200 {
			t.Fatal("request failed")
		}
	}
	var ss []api.SessionView
	testkit.WaitFor(t, "the session to be listed", func() bool {
		r := sluice(t, env, "", "sessions", "--json")
		return json.Unmarshal([]byte(r.out), &ss) == nil && len(ss) == 1 && ss[0].Requests == 2
	})
	if ss[0].ID != session || ss[0].AccountName != "work" {
		t.Fatalf("sessions: %+v", ss)
	}
	ccJSON := `{"hook_event_name":"Status","session_id":"` + session + `","transcript_path":"/tmp/t.jsonl","cwd":"/src","model":{"id":"claude-opus-4-1","display_name":"Opus"},"workspace":{"current_dir":"/src","project_dir":"/src"},"version":"2.0.0","output_style":{"name":"default"},"cost":{"total_cost_usd":0.01}}`
	r := sluice(t, env, ccJSON, "statusline")
	if r.code != 0 || !strings.HasPrefix(r.out, "work") || strings.Count(r.out, "\n") != 1 {
		t.Fatalf("statusline: %d %q %q", r.code, r.out, r.err)
	}
	for _, in := range []string{`{"session_id":"other"}`, "not json", ""} {
		if r := sluice(t, env, in, "statusline"); r.code != 0 || r.out != "" || r.err != "" {
			t.Errorf("statusline on %q: %d %q %q", in, r.code, r.out, r.err)
		}
	}
}

func TestServeBesideOwnerNamesIt(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	r := sluice(t, env, "", "serve", "--port", "0")
	if r.code != 1 || !strings.Contains(r.err, "PID "+strconv.Itoa(os.Getpid())) || !strings.Contains(r.err, "sluice status") {
		t.Fatalf("second serve: %d %q", r.code, r.err)
	}
	if r := sluice(t, baseEnv(t), "", "proxy", "on"); r.code != 1 || !strings.Contains(r.err, "sluice serve") {
		t.Fatalf("proxy on without an owner: %d %q", r.code, r.err)
	}
}

// desktop runs cli.RunDesktop with a fake window that records the events
// it is sent.
type desktop struct {
	ready  chan struct{} // closed once the window listens for events
	shown  chan struct{}
	errors chan error
}

func newDesktop() *desktop {
	return &desktop{ready: make(chan struct{}), shown: make(chan struct{}), errors: make(chan error, 1)}
}

func (d *desktop) ui() cli.Desktop {
	return cli.Desktop{
		CheckDisplay: func() error { return nil },
		ShowError:    func(err error) { d.errors <- err },
		Run: func(svc *proxy.Service, _ string) error {
			events, stop := svc.Subscribe()
			defer stop()
			close(d.ready)
			for e := range events {
				if e.Kind == api.EventShowWindow {
					close(d.shown)
					return nil
				}
			}
			return nil
		},
	}
}

func runDesktop(t *testing.T, env map[string]string, d *desktop) run {
	var out, errb testkit.Buffer
	code := cli.RunDesktop(context.Background(), cli.IO{
		In: strings.NewReader(""), Out: &out, Err: &errb, Env: func(k string) string { return env[k] },
	}, "test", d.ui())
	return run{code, out.String(), errb.String()}
}

func TestSecondDesktopStartShowsTheFirst(t *testing.T) {
	env := baseEnv(t)
	env["SLUICE_PORT"] = "0"
	first := newDesktop()
	done := make(chan run, 1)
	go func() { done <- runDesktop(t, env, first) }()
	select {
	case <-first.ready:
	case r := <-done:
		t.Fatalf("first app ended: %d %s", r.code, r.err)
	}
	second := newDesktop()
	if r := runDesktop(t, env, second); r.code != 0 {
		t.Fatalf("second start: %d %s", r.code, r.err)
	}
	select {
	case <-first.shown:
	case <-time.After(10 * time.Second):
		t.Fatal("the first app was not asked to show its window")
	}
	if r := <-done; r.code != 0 {
		t.Fatalf("first app: %d %s", r.code, r.err)
	}
}

func TestDesktopBesideServeSaysSo(t *testing.T) {
	env := baseEnv(t)
	owner(t, env)
	d := newDesktop()
	r := runDesktop(t, env, d)
	if r.code != 1 || !strings.Contains(r.err, "serve, PID "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("tray beside serve: %d %q", r.code, r.err)
	}
	if err := <-d.errors; !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) {
		t.Fatalf("window message: %v", err)
	}
}
