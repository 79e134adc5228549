package vault_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newOAuth(srv *oauthtest.Server) *vault.OAuth {
	return &vault.OAuth{Endpoints: srv.Endpoints(), HTTP: srv.Client(), Now: func() time.Time { return testNow }}
}

// browser is a test OpenBrowser: it GETs the authorize URL (optionally
// rewritten) and follows the redirect to wherever it leads, as a browser
// would after the user approves.
type browser struct {
	client  *http.Client
	rewrite func(q url.Values)

	mu     sync.Mutex
	done   chan struct{} // closed when open returns; see wait
	opened string        // the authorize URL as given
	status int           // status of the final page
	body   string
}

// finished is closed when open has returned.
func (b *browser) finished() chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done == nil {
		b.done = make(chan struct{})
	}
	return b.done
}

// wait waits for open to return: Login calls OpenBrowser in the background
// and may return before the browser has read the callback page.
func (b *browser) wait(t *testing.T) {
	t.Helper()
	select {
	case <-b.finished():
	case <-time.After(10 * time.Second):
		t.Fatal("the browser did not finish")
	}
}

func (b *browser) open(raw string) error {
	defer close(b.finished())
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if b.rewrite != nil {
		q := u.Query()
		b.rewrite(q)
		u.RawQuery = q.Encode()
	}
	resp, err := b.client.Get(u.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.mu.Lock()
	b.opened, b.status, b.body = raw, resp.StatusCode, string(body)
	b.mu.Unlock()
	return nil
}

// redirectURI returns the redirect_uri of the opened authorize URL.
func (b *browser) redirectURI(t *testing.T) *url.URL {
	t.Helper()
	b.wait(t)
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := url.Parse(b.opened)
	if err != nil {
		t.Fatal(err)
	}
	r, err := url.Parse(u.Query().Get("redirect_uri"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// assertPortClosed fails unless nothing listens on the callback's port.
func assertPortClosed(t *testing.T, redirect *url.URL) {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+redirect.Port())
	if err == nil {
		conn.Close()
		t.Errorf("callback port %s still accepts connections after Login returned", redirect.Port())
	}
}

func TestBeginAuthorizeURL(t *testing.T) {
	srv := oauthtest.New(t)
	o := newOAuth(srv)
	for mode, base := range map[vault.Mode]string{vault.ModeMax: srv.Endpoints().MaxAuthorizeURL, vault.ModeConsole: srv.Endpoints().ConsoleAuthorizeURL} {
		s, err := o.Begin(mode, "http://localhost:5555/callback")
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(s.AuthorizeURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Scheme + "://" + u.Host + u.Path; got != base {
			t.Errorf("%s: authorize base = %s, want %s", mode, got, base)
		}
		q := u.Query()
		want := map[string]string{
			"code": "true", "client_id": "9d1c250a-e61b-44d9-88ed-5944d1962f5e", "response_type": "code",
			"redirect_uri": "http://localhost:5555/callback", "code_challenge_method": "S256", "state": s.State,
			"scope": "org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload",
		}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", mode, k, q.Get(k), v)
			}
		}
		b64url := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
		if !b64url.MatchString(q.Get("code_challenge")) || !b64url.MatchString(s.State) {
			t.Errorf("%s: challenge %q or state %q is not 32 bytes of unpadded base64url", mode, q.Get("code_challenge"), s.State)
		}
		if len(q) != len(want)+1 {
			t.Errorf("%s: unexpected parameters in %v", mode, q)
		}
		other, _ := o.Begin(mode, "http://localhost:5555/callback")
		if other.State == s.State || strings.Contains(other.AuthorizeURL, q.Get("code_challenge")) {
			t.Errorf("%s: two flows share state or challenge", mode)
		}
	}
	if _, err := o.Begin("team", "http://localhost:1/callback"); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestLoginLoopback(t *testing.T) {
	srv := oauthtest.New(t)
	srv.SetExpiresIn(8 * time.Hour)
	b := &browser{client: srv.Client()}
	c, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: b.open, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if c.Kind != vault.KindOAuth || !srv.ValidAccessToken(c.AccessToken) || c.RefreshToken == "" {
		t.Fatalf("Login returned %v with an access token the server did not issue", c)
	}
	if want := testNow.Add(8 * time.Hour).UnixMilli(); c.ExpiresAt != want {
		t.Errorf("ExpiresAt = %d, want %d (now + expires_in)", c.ExpiresAt, want)
	}
	redirect := b.redirectURI(t) // waits for the browser
	if redirect.Hostname() != "localhost" || redirect.Path != "/callback" || redirect.Port() == "" {
		t.Errorf("redirect_uri = %s, want http://localhost:PORT/callback", redirect)
	}
	if b.status != http.StatusOK || !strings.Contains(b.body, "close this tab") {
		t.Errorf("callback page: %d %q", b.status, b.body)
	}
	assertPortClosed(t, redirect)
}

// A callback request without the flow's state, an error response or not,
// is refused and does not end the sign-in (a local process or a web page
// must not be able to abort it or plant text in its error); the response
// carrying the state still finishes it.
func TestLoginLoopbackIgnoresWrongState(t *testing.T) {
	srv := oauthtest.New(t)
	b := &browser{client: srv.Client()}
	done := make(chan struct{})
	var forged []int
	open := func(raw string) error {
		defer close(done)
		u, err := url.Parse(raw)
		if err != nil {
			return err
		}
		callback := u.Query().Get("redirect_uri")
		for _, q := range []string{
			"error=access_denied&error_description=planted&state=forged", "error=access_denied",
			"code=stolen&state=forged", "code=stolen",
		} {
			resp, err := srv.Client().Get(callback + "?" + q)
			if err != nil {
				return err
			}
			resp.Body.Close()
			forged = append(forged, resp.StatusCode)
		}
		return b.open(raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := newOAuth(srv).Login(ctx, vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open})
	if err != nil {
		t.Fatalf("Login after forged callbacks: %v", err)
	}
	<-done
	if !srv.ValidAccessToken(c.AccessToken) {
		t.Error("Login returned a token the server did not issue")
	}
	for i, status := range forged {
		if status != http.StatusBadRequest {
			t.Errorf("forged callback %d answered %d, want 400", i, status)
		}
	}
	if n := srv.ExchangeCalls(); n != 1 {
		t.Errorf("%d code exchanges, want 1 (the real code only)", n)
	}
	if b.status != http.StatusOK {
		t.Errorf("the real callback answered %d, want 200", b.status)
	}
	assertPortClosed(t, b.redirectURI(t))
}

func TestLoginAuthorizeError(t *testing.T) {
	srv := oauthtest.New(t)
	srv.DenyAuthorize("access_denied")
	b := &browser{client: srv.Client()}
	_, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: b.open})
	var oe *vault.OAuthError
	if !errors.As(err, &oe) || oe.Code != "access_denied" || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("err = %v, want an OAuthError access_denied", err)
	}
	assertPortClosed(t, b.redirectURI(t))
}

func TestLoginCancelFreesPort(t *testing.T) {
	srv := oauthtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	var opened string
	_, err := newOAuth(srv).Login(ctx, vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: func(u string) error {
		opened = u // the user never comes back
		cancel()
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	u, _ := url.Parse(opened)
	r, _ := url.Parse(u.Query().Get("redirect_uri"))
	assertPortClosed(t, r)
}

func TestLoginConsoleCreatesAPIKey(t *testing.T) {
	srv := oauthtest.New(t)
	b := &browser{client: srv.Client()}
	c, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeConsole, OpenBrowser: b.open})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if c.Kind != vault.KindAPIKey || !srv.ValidAPIKey(c.APIKey) || c.AccessToken != "" || c.RefreshToken != "" {
		t.Fatalf("console login returned %v; want only an API key the server created", c)
	}
	if n := srv.APIKeyCalls(); n != 1 {
		t.Errorf("create_api_key called %d times, want 1", n)
	}
	b.wait(t)
	if !strings.HasPrefix(b.opened, srv.Endpoints().ConsoleAuthorizeURL+"?") {
		t.Errorf("console login opened %s", b.opened)
	}
}

// authorizeCode approves a session at the fake server without following the
// redirect and returns the code it carries.
func authorizeCode(t *testing.T, srv *oauthtest.Server, s *vault.Session) string {
	t.Helper()
	client := *srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(s.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d without a code (Location %q)", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

func TestExchangeWrongVerifierRejected(t *testing.T) {
	srv := oauthtest.New(t)
	o := newOAuth(srv)
	ctx := context.Background()
	const redirect = "http://localhost:1/callback"
	a, _ := o.Begin(vault.ModeMax, redirect)
	b, _ := o.Begin(vault.ModeMax, redirect)
	// b's verifier with a's code: the server must refuse.
	_, err := o.Exchange(ctx, b, authorizeCode(t, srv, a), b.State)
	var oe *vault.OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" || oe.Status != http.StatusBadRequest {
		t.Fatalf("exchange with the wrong verifier: err = %v, want invalid_grant", err)
	}
	if errors.Is(err, vault.ErrNeedsLogin) {
		t.Error("a failed code exchange must not read as ErrNeedsLogin")
	}
	// Control: the right verifier works.
	if _, err := o.Exchange(ctx, a, authorizeCode(t, srv, a), a.State); err != nil {
		t.Fatalf("exchange with the right verifier: %v", err)
	}
	// A wrong state is refused before anything is sent.
	before := srv.ExchangeCalls()
	if _, err := o.Exchange(ctx, a, authorizeCode(t, srv, a), b.State); !errors.Is(err, vault.ErrStateMismatch) {
		t.Errorf("exchange with the wrong state: %v", err)
	}
	if srv.ExchangeCalls() != before {
		t.Error("a wrong state still reached the token endpoint")
	}
}

// pasteBrowser approves in the browser, reads "code#state" from the page the
// manual flow ends on and "pastes" it (rewritten by edit) into w.
func pasteBrowser(t *testing.T, srv *oauthtest.Server, w *io.PipeWriter, edit func(string) string) func(string) error {
	return func(raw string) error {
		b := &browser{client: srv.Client()}
		if err := b.open(raw); err != nil {
			return err
		}
		m := regexp.MustCompile(`<code>([^<]+)</code>`).FindStringSubmatch(b.body)
		if m == nil {
			t.Errorf("manual callback page shows no code: %q", b.body)
			return nil
		}
		go func() { _, _ = io.WriteString(w, edit(m[1])+"\n") }()
		return nil
	}
}

func TestLoginPaste(t *testing.T) {
	srv := oauthtest.New(t)
	r, w := io.Pipe()
	defer w.Close()
	var opened string
	open := pasteBrowser(t, srv, w, func(s string) string { return "  " + s + "  " })
	c, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, Paste: true, In: r,
		OpenBrowser: func(u string) error { opened = u; return open(u) }})
	if err != nil {
		t.Fatalf("paste Login: %v", err)
	}
	if !srv.ValidAccessToken(c.AccessToken) {
		t.Error("paste login returned a token the server did not issue")
	}
	u, _ := url.Parse(opened)
	if got := u.Query().Get("redirect_uri"); got != srv.Endpoints().ManualRedirectURL {
		t.Errorf("paste flow redirect_uri = %s, want the manual callback", got)
	}
}

func TestLoginPasteRejectsWrongState(t *testing.T) {
	for name, edit := range map[string]func(string) string{
		"wrong state": func(s string) string { code, _, _ := strings.Cut(s, "#"); return code + "#not-the-state" },
		"no state":    func(s string) string { code, _, _ := strings.Cut(s, "#"); return code },
	} {
		t.Run(name, func(t *testing.T) {
			srv := oauthtest.New(t)
			r, w := io.Pipe()
			defer w.Close()
			var out strings.Builder
			_, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, Paste: true, In: r,
				Out: &out, OpenBrowser: pasteBrowser(t, srv, w, edit)})
			if err == nil {
				t.Fatal("Login accepted it")
			}
			if name == "wrong state" && !errors.Is(err, vault.ErrStateMismatch) {
				t.Errorf("err = %v, want ErrStateMismatch", err)
			}
			if srv.ExchangeCalls() != 0 {
				t.Error("the code reached the token endpoint")
			}
		})
	}
}

func TestLoginPrintsURLWithoutBrowser(t *testing.T) {
	srv := oauthtest.New(t)
	r, w := io.Pipe()
	w.Close() // the user gives up: EOF
	var out strings.Builder
	_, err := newOAuth(srv).Login(context.Background(), vault.LoginOptions{Mode: vault.ModeMax, Paste: true, In: r, Out: &out})
	if err == nil {
		t.Fatal("Login succeeded without a code")
	}
	if !strings.Contains(out.String(), srv.Endpoints().MaxAuthorizeURL+"?") {
		t.Errorf("the authorize URL was not printed: %q", out.String())
	}
}

func TestRefreshInvalidGrantNeedsLogin(t *testing.T) {
	srv := oauthtest.New(t)
	o := newOAuth(srv)
	c := srv.Issue()
	fresh, err := o.Refresh(context.Background(), c.RefreshToken)
	if err != nil || fresh.RefreshToken == c.RefreshToken || !srv.ValidAccessToken(fresh.AccessToken) {
		t.Fatalf("Refresh: %v (rotated: %v)", err, fresh.RefreshToken != c.RefreshToken)
	}
	// The old refresh token was rotated away.
	_, err = o.Refresh(context.Background(), c.RefreshToken)
	if !errors.Is(err, vault.ErrNeedsLogin) {
		t.Fatalf("reused refresh token: err = %v, want ErrNeedsLogin", err)
	}
	assertNoSecrets(t, err, c.RefreshToken, c.AccessToken, fresh.AccessToken, fresh.RefreshToken)
}
