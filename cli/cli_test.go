package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

const secretKey = "sk-ant-api03-CLISECRET-abcdef"

// clientKey finds a client key in a command's output.
var clientKey = regexp.MustCompile(`sk-sluice-[0-9A-Za-z]{43}`)

// createKey makes a client key the way a user does, with `sluice keys
// create`, and returns the secret it prints once.
func createKey(t *testing.T, env map[string]string, name string) string {
	t.Helper()
	r := sluice(t, env, "", "keys", "create", name)
	k := clientKey.FindString(r.out)
	if r.code != 0 || k == "" {
		t.Fatalf("keys create %s: %d %q %q", name, r.code, r.out, r.err)
	}
	return k
}

type run struct {
	code     int
	out, err string
}

// sluice runs one command against a data dir with the file keyring.
func sluice(t *testing.T, env map[string]string, stdin string, args ...string) run {
	t.Helper()
	return sluiceCtx(context.Background(), t, env, stdin, args...)
}

func sluiceCtx(ctx context.Context, t *testing.T, env map[string]string, stdin string, args ...string) run {
	var out, errb testkit.Buffer
	code := cli.Run(ctx, args, cli.IO{
		In: strings.NewReader(stdin), Out: &out, Err: &errb,
		Env: func(k string) string { return env[k] },
	}, "test")
	return run{code, out.String(), errb.String()}
}

// baseEnv gives the test its own data dir, short enough for the control
// socket's path (t.TempDir's carries the test's name).
func baseEnv(t *testing.T) map[string]string {
	dir := testkit.ShortDir(t)
	return map[string]string{
		"SLUICE_DATA_DIR":         dir,
		"SLUICE_KEYRING":          "file",
		"SLUICE_KEYRING_PASSWORD": "pw",
	}
}

func TestAccountsAddListRemove(t *testing.T) {
	env := baseEnv(t)
	r := sluice(t, env, secretKey+"\n", "accounts", "add-key", "work")
	if r.code != 0 {
		t.Fatalf("add-key: %d %s", r.code, r.err)
	}
	r = sluice(t, env, "", "accounts", "list")
	if r.code != 0 || !strings.Contains(r.out, "work") || !strings.Contains(r.out, "api-key") {
		t.Fatalf("list: %d %q %q", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	var views []api.AccountView
	if err := json.Unmarshal([]byte(r.out), &views); err != nil || len(views) != 1 || views[0].Name != "work" || views[0].State != "ok" {
		t.Fatalf("list --json: %v %q", err, r.out)
	}
	r = sluice(t, env, secretKey+"-2\n", "accounts", "add-key", "work")
	if r.code != 1 || !strings.Contains(r.err, "already exists") {
		t.Fatalf("duplicate add: %d %q", r.code, r.err)
	}
	for _, args := range [][]string{
		{"accounts", "pause", "work"},
		{"accounts", "priority", "work", "7"},
		{"accounts", "rename", "work", "main"},
	} {
		if r := sluice(t, env, "", args...); r.code != 0 {
			t.Fatalf("%v: %d %s", args, r.code, r.err)
		}
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	_ = json.Unmarshal([]byte(r.out), &views)
	if len(views) != 1 || views[0].Name != "main" || !views[0].Paused || views[0].Priority != 7 || views[0].State != "paused" {
		t.Fatalf("after controls: %+v", views)
	}
	if r := sluice(t, env, "", "accounts", "remove", "main"); r.code != 0 {
		t.Fatalf("remove: %d %s", r.code, r.err)
	}
	if r := sluice(t, env, "", "accounts", "remove", "main"); r.code != 1 || !strings.Contains(r.err, "no such account") {
		t.Fatalf("remove twice: %d %s", r.code, r.err)
	}
	grepTree(t, env["SLUICE_DATA_DIR"], "CLISECRET")
}

func TestAddKeyRejectsEmptyKeyWithoutEchoingInput(t *testing.T) {
	env := baseEnv(t)
	r := sluice(t, env, "\n", "accounts", "add-key", "work")
	if r.code == 0 || !strings.Contains(r.err, "empty") {
		t.Fatalf("empty key accepted: %d %q", r.code, r.err)
	}
	r = sluice(t, env, "sk-ant CLISECRET with spaces\n", "accounts", "add-key", "work")
	if r.code == 0 || strings.Contains(r.err, "CLISECRET") {
		t.Fatalf("bad key: %d %q", r.code, r.err)
	}
}

func TestFileKeyringWithoutPasswordRefuses(t *testing.T) {
	env := baseEnv(t)
	delete(env, "SLUICE_KEYRING_PASSWORD")
	r := sluice(t, env, secretKey+"\n", "accounts", "add-key", "work")
	if r.code == 0 || !strings.Contains(r.err, "SLUICE_KEYRING_PASSWORD") {
		t.Fatalf("file keyring without password: %d %q", r.code, r.err)
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, host := range []string{"0.0.0.0", "192.168.1.10", "::", "example.com"} {
		env := baseEnv(t)
		env["SLUICE_HOST"] = host
		r := sluice(t, env, "", "serve")
		if r.code == 0 || !strings.Contains(r.err, "loopback") {
			t.Errorf("host %s: %d %q", host, r.code, r.err)
		}
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	env := baseEnv(t)
	env["SLUICE_PORT"] = "99999"
	env["SLUICE_LOG_FORMAT"] = "xml"
	r := sluice(t, env, "", "serve")
	if r.code != 2 || !strings.Contains(r.err, "SLUICE_PORT") || !strings.Contains(r.err, "SLUICE_LOG_FORMAT") {
		t.Fatalf("bad settings: %d %q", r.code, r.err)
	}
}

func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := baseEnv(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	env["SLUICE_PORT"] = port
	r := sluice(t, env, "", "serve")
	if r.code != 1 || !strings.Contains(r.err, "already in use") {
		t.Fatalf("port in use: %d %q", r.code, r.err)
	}
}

// serve, started first on a fresh data dir, prints the first client key
// once and says keys are required; a request with that key is forwarded
// with the account's credential; serve shuts down cleanly.
func TestServeForwardsAndShutsDown(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_LOG_LEVEL"] = "debug"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var serveOut, serveErr testkit.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, []string{"serve", "--port", port}, cli.IO{
			In: strings.NewReader(""), Out: &serveOut, Err: &serveErr,
			Env: func(k string) string { return env[k] },
		}, "test")
	}()
	var first string
	testkit.WaitFor(t, "serve to print its first client key", func() bool {
		first = clientKey.FindString(serveErr.String())
		return first != "" && strings.Contains(serveErr.String(), "keys are required")
	})
	if !strings.Contains(serveErr.String(), "ANTHROPIC_AUTH_TOKEN="+first) {
		t.Errorf("serve did not say how to use the first key: %q", serveErr.String())
	}
	if r := sluice(t, env, secretKey, "accounts", "add-key", "work"); r.code != 0 {
		t.Fatalf("add-key: %s", r.err)
	}
	post := func(key string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/v1/messages", strings.NewReader(`{"model":"m","max_tokens":1}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("sk-sluice-" + strings.Repeat("x", 43)); got != 401 {
		t.Fatalf("a made-up key got %d, want 401", got)
	}
	if got := post(first); got != 200 {
		t.Fatalf("the first key got %d", got)
	}
	if got := fake.Received(); len(got) != 1 || got[0].Credential != secretKey {
		t.Fatalf("upstream did not get the account key")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exit %d: %s", code, serveErr.String())
	}
	if strings.Count(serveErr.String(), first) != 2 { // the key and the export line
		t.Errorf("serve printed the first key %d times", strings.Count(serveErr.String(), first))
	}
	if strings.Contains(serveErr.String(), "CLISECRET") || strings.Contains(serveOut.String(), "CLISECRET") {
		t.Fatalf("serve printed the account's key")
	}
	grepTree(t, env["SLUICE_DATA_DIR"], "CLISECRET")
	grepTree(t, env["SLUICE_DATA_DIR"], first)
}

func TestUnknownCommandShowsUsage(t *testing.T) {
	r := sluice(t, baseEnv(t), "", "frobnicate")
	if r.code != 2 || !strings.Contains(r.err, "sluice --help") {
		t.Fatalf("unknown command: %d %q", r.code, r.err)
	}
}

// grepTree fails if needle appears in any file under dir, the encrypted
// keyring included.
func grepTree(t *testing.T, dir, needle string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() { // the control socket
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(needle)) {
			t.Errorf("%s contains the secret", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func TestRetrySettings(t *testing.T) {
	env := map[string]string{"SLUICE_DATA_DIR": t.TempDir(), "SLUICE_RETRY_ATTEMPTS": "0", "SLUICE_RETRY_DELAY": "250ms", "SLUICE_RETRY_BACKOFF": "3"}
	set, err := cli.LoadSettings(func(k string) string { return env[k] }, "test")
	if err != nil {
		t.Fatal(err)
	}
	if set.Proxy.RetryAttempts >= 0 || set.Proxy.RetryDelay != 250*time.Millisecond || set.Proxy.RetryBackoff != 3 {
		t.Fatalf("retry settings: %+v", set.Proxy)
	}
	env["SLUICE_RETRY_ATTEMPTS"] = "-2"
	if _, err := cli.LoadSettings(func(k string) string { return env[k] }, "test"); err == nil {
		t.Fatal("negative retry attempts accepted")
	}
}

func TestRetentionSetting(t *testing.T) {
	for v, want := range map[string]time.Duration{"30d": 720 * time.Hour, "36h": 36 * time.Hour, "forever": -1} {
		set, err := cli.LoadSettings(func(k string) string {
			return map[string]string{"SLUICE_DATA_DIR": t.TempDir(), "SLUICE_RETENTION": v}[k]
		}, "test")
		if err != nil || set.Proxy.Retention != want {
			t.Errorf("SLUICE_RETENTION=%s: %v %v", v, set.Proxy.Retention, err)
		}
	}
	_, err := cli.LoadSettings(func(k string) string { return map[string]string{"SLUICE_RETENTION": "a month"}[k] }, "test")
	if err == nil {
		t.Error("bad retention accepted")
	}
}

func TestEdgeSettings(t *testing.T) {
	load := func(kv ...string) (cli.Settings, error) {
		env := map[string]string{"SLUICE_DATA_DIR": t.TempDir()}
		for i := 0; i < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return cli.LoadSettings(func(k string) string { return env[k] }, "test")
	}
	if s, err := load("SLUICE_RETENTION", "0h"); err != nil || s.Proxy.Retention >= 0 {
		t.Errorf("SLUICE_RETENTION=0h: %v %v, want keep forever", s.Proxy.Retention, err)
	}
	for _, kv := range [][2]string{{"SLUICE_RETRY_DELAY", "0s"}, {"SLUICE_SESSION_TTL", "-5h"}, {"SLUICE_ALLOWED_ORIGINS", "evil"}} {
		if _, err := load(kv[0], kv[1]); err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%s accepted: %v", kv[0], kv[1], err)
		}
	}
	s, err := load("SLUICE_ALLOWED_ORIGINS", "http://localhost:3000, https://app.example")
	if err != nil || len(s.Proxy.AllowedOrigins) != 2 || s.Proxy.AllowedOrigins[1] != "https://app.example" {
		t.Errorf("allowed origins: %v %v", s.Proxy.AllowedOrigins, err)
	}
}
