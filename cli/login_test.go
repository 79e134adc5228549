package cli_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/sluice-proxy/sluice/cli"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

func oauthEnv(t *testing.T, auth *oauthtest.Server) map[string]string {
	env := baseEnv(t)
	ep := auth.Endpoints()
	env["SLUICE_OAUTH_AUTHORIZE_URL"] = ep.MaxAuthorizeURL
	env["SLUICE_OAUTH_CONSOLE_AUTHORIZE_URL"] = ep.ConsoleAuthorizeURL
	env["SLUICE_OAUTH_TOKEN_URL"] = ep.TokenURL
	env["SLUICE_OAUTH_API_KEY_URL"] = ep.APIKeyURL
	env["SLUICE_OAUTH_MANUAL_REDIRECT_URL"] = ep.ManualRedirectURL
	return env
}

// approve plays the user's browser: it follows the authorize URL, which
// the fake server answers by redirecting to the callback.
func approve(t *testing.T, opened *[]string) func(string) error {
	return func(u string) error {
		*opened = append(*opened, u)
		link, err := followPage(u)
		if err != nil {
			return err
		}
		resp, err := http.Get(link)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

func runLogin(t *testing.T, env map[string]string, in io.Reader, open func(string) error, args ...string) run {
	t.Helper()
	var out, errb testkit.Buffer
	code := cli.Run(context.Background(), args, cli.IO{
		In: in, Out: &out, Err: &errb, Env: func(k string) string { return env[k] }, OpenBrowser: open,
	}, "test")
	return run{code, out.String(), errb.String()}
}

func TestLoginThroughBrowserThenForwardWithBearer(t *testing.T) {
	auth := oauthtest.New(t)
	fake := fakeapi.New(t)
	env := oauthEnv(t, auth)
	env["SLUICE_UPSTREAM"] = fake.URL
	var opened []string
	r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "personal")
	if r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.err)
	}
	// The browser gets a one-shot loopback link that redirects to the
	// authorize URL: the state never reaches its command line, which every
	// local user can read.
	if len(opened) != 1 || !strings.HasPrefix(opened[0], "file:///") || strings.Contains(opened[0], "state") {
		t.Fatalf("browser opened %v, want a local page without the state", opened)
	}
	if !strings.Contains(r.err, "Anthropic's terms") {
		t.Errorf("first subscription login did not show the terms notice")
	}
	// The notice is shown once only.
	r = runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "second")
	if r.code != 0 || strings.Contains(r.err, "Anthropic's terms") {
		t.Fatalf("second login: %d notice again=%v %s", r.code, strings.Contains(r.err, "Anthropic's terms"), r.err)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	var views []api.AccountView
	if err := json.Unmarshal([]byte(r.out), &views); err != nil || len(views) != 2 || views[0].Kind != "oauth" {
		t.Fatalf("accounts after login: %v %s", err, r.out)
	}
	// A re-login keeps the account; a plain login of an existing name is refused.
	if r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "personal"); r.code == 0 {
		t.Fatalf("login over an existing account accepted")
	}
	if r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "--reauth", "personal"); r.code != 0 {
		t.Fatalf("reauth: %s", r.err)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	var after []api.AccountView
	_ = json.Unmarshal([]byte(r.out), &after)
	if len(after) != 2 || after[0].ID != views[0].ID {
		t.Fatalf("reauth changed the account: %+v vs %+v", after, views)
	}

	// A request through Sluice carries the login's bearer token and the
	// OAuth beta flag, and nothing of the client's.
	key := createKey(t, env, "cli-test")
	set, err := cli.LoadSettings(func(k string) string { return env[k] }, "test")
	if err != nil {
		t.Fatal(err)
	}
	set.Proxy.Strategy = "priority"
	eng, err := cli.Open(context.Background(), set, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if got := eng.Service.Config().Keyring; got != "file" {
		t.Errorf("the engine reports keyring %q, want the backend in use, file", got)
	}
	defer eng.Close(context.Background())
	srv := httptest.NewServer(eng.Service.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/messages", strings.NewReader(`{"model":"m"}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("anthropic-beta", "tools-2024-04-04")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := fake.Received()
	if resp.StatusCode != 200 || len(got) != 1 {
		t.Fatalf("forward: %d, %d upstream requests", resp.StatusCode, len(got))
	}
	h := got[0].Header
	if !auth.ValidAccessToken(got[0].Credential) || !strings.HasPrefix(h.Get("Authorization"), "Bearer ") || h.Get("X-Api-Key") != "" {
		t.Errorf("upstream did not get the login's bearer token alone")
	}
	if h.Get("Anthropic-Beta") != "tools-2024-04-04,oauth-2025-04-20" {
		t.Errorf("anthropic-beta = %q", h.Get("Anthropic-Beta"))
	}
}

func TestLoginPasteFlowAndWrongState(t *testing.T) {
	auth := oauthtest.New(t)
	env := oauthEnv(t, auth)
	pr, pw := io.Pipe()
	// The "browser" shows code#state on the manual callback page; the user
	// pastes it.
	open := func(u string) error {
		go func() {
			resp, err := browse(u)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := regexp.MustCompile(`[A-Za-z0-9_\-]+#[A-Za-z0-9_\-]+`).Find(body)
			pw.Write(append(m, '\n'))
		}()
		return nil
	}
	r := runLogin(t, env, pr, open, "accounts", "login", "--paste", "pasted")
	if r.code != 0 {
		t.Fatalf("paste login: %d %s", r.code, r.err)
	}
	r = runLogin(t, env, strings.NewReader("somecode#wrongstate\n"), func(string) error { return nil }, "accounts", "login", "--paste", "forged")
	if r.code == 0 || !strings.Contains(strings.ToLower(r.err), "state") {
		t.Fatalf("forged state accepted: %d %s", r.code, r.err)
	}
	if auth.ExchangeCalls() != 1 {
		t.Errorf("a forged state reached the token endpoint (%d exchanges)", auth.ExchangeCalls())
	}
}

func TestConsoleLoginStoresAnAPIKey(t *testing.T) {
	auth := oauthtest.New(t)
	env := oauthEnv(t, auth)
	var opened []string
	r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "--mode", "console", "team")
	if r.code != 0 || strings.Contains(r.err, "Anthropic's terms") {
		t.Fatalf("console login: %d %s", r.code, r.err)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	if !strings.Contains(r.out, `"kind": "api-key"`) || auth.APIKeyCalls() != 1 {
		t.Fatalf("console login did not create an API key: %s", r.out)
	}
}

func TestImportCCFlare(t *testing.T) {
	env := baseEnv(t)
	path := filepath.Join(t.TempDir(), "better-ccflare.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE accounts (id TEXT PRIMARY KEY, name TEXT NOT NULL, provider TEXT,
		api_key TEXT, refresh_token TEXT, access_token TEXT, expires_at INTEGER, priority INTEGER DEFAULT 0, paused INTEGER DEFAULT 0);
	INSERT INTO accounts VALUES ('1','max-one','anthropic',NULL,'rt-CCSECRET-1','at-CCSECRET-1',4102444800000,2,0),
		('2','console','anthropic','sk-ant-CCSECRET-2','','',NULL,0,1),
		('3','other','zai','k','r','a',NULL,0,0);`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := sluice(t, env, "", "import-ccflare", path)
	if r.code != 0 || !strings.Contains(r.out, "Imported max-one") || !strings.Contains(r.out, "shred") {
		t.Fatalf("import: %d %s %s", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "import-ccflare", path)
	if r.code != 0 || !strings.Contains(r.out, "Skipped max-one") || strings.Contains(r.out, "Imported") {
		t.Fatalf("second import not idempotent: %d %s", r.code, r.out)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	var views []api.AccountView
	_ = json.Unmarshal([]byte(r.out), &views)
	got := map[string]api.AccountView{}
	for _, v := range views {
		got[v.Name] = v
	}
	if len(views) != 2 || got["max-one"].Kind != "oauth" || got["max-one"].Priority != 2 || !got["console"].Paused || got["console"].Kind != "api-key" {
		t.Fatalf("imported accounts: %+v", views)
	}
	grepTree(t, env["SLUICE_DATA_DIR"], "CCSECRET")

	bad := filepath.Join(t.TempDir(), "junk.db")
	if err := writeFile(bad, "not a database"); err != nil {
		t.Fatal(err)
	}
	if r := sluice(t, env, "", "import-ccflare", bad); r.code != 1 || r.err == "" {
		t.Fatalf("malformed file: %d %q", r.code, r.err)
	}
}

// With an owner running, the owner runs the PKCE flow (its loopback
// callback, or the pasted code the CLI sends) and the account it adds
// serves its next request at once.
func TestLoginThroughRunningOwner(t *testing.T) {
	auth := oauthtest.New(t)
	fake := fakeapi.New(t)
	env := oauthEnv(t, auth)
	env["SLUICE_UPSTREAM"] = fake.URL
	env["SLUICE_STRATEGY"] = "priority"
	addr := owner(t, env)
	key := createKey(t, env, "cli-test")
	var opened []string
	r := runLogin(t, env, strings.NewReader(""), approve(t, &opened), "accounts", "login", "work")
	if r.code != 0 || len(opened) != 1 {
		t.Fatalf("login through the owner: %d %s", r.code, r.err)
	}
	if send(t, addr, key, "") != 200 {
		t.Fatal("request after login failed")
	}
	got := fake.Received()
	if len(got) != 1 || !auth.ValidAccessToken(got[0].Credential) {
		t.Fatalf("the new login did not serve the next request")
	}
	// The paste flow: the CLI reads code#state and hands it to the owner.
	pr, pw := io.Pipe()
	open := func(u string) error {
		go func() {
			resp, err := browse(u)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pw.Write(append(regexp.MustCompile(`[A-Za-z0-9_\-]+#[A-Za-z0-9_\-]+`).Find(body), '\n'))
		}()
		return nil
	}
	if r := runLogin(t, env, pr, open, "accounts", "login", "pasted", "--paste"); r.code != 0 {
		t.Fatalf("paste login through the owner: %d %s", r.code, r.err)
	}
	r = sluice(t, env, "", "accounts", "list")
	if !strings.Contains(r.out, "work") || !strings.Contains(r.out, "pasted") {
		t.Fatalf("accounts after logins: %s", r.out)
	}
}
