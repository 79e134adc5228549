package cli_test

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pkg/browser"

	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

var refresh = regexp.MustCompile(`content="0;url=([^"]+)"`)

// followPage plays the browser opening the sign-in page: it reads the file
// (which only the user may read) and returns the link it sends on to.
func followPage(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme != "file" {
		return "", errors.New("not a file URL: " + u)
	}
	fi, err := os.Stat(pu.Path)
	if err != nil {
		return "", err
	}
	if fi.Mode().Perm() != 0o600 {
		return "", errors.New("sign-in page is " + fi.Mode().String() + ", want 0600")
	}
	b, err := os.ReadFile(pu.Path)
	if err != nil {
		return "", err
	}
	m := refresh.FindSubmatch(b)
	if m == nil {
		return "", errors.New("no redirect in the sign-in page")
	}
	return strings.ReplaceAll(string(m[1]), "&amp;", "&"), nil
}

// The attack: another local user polls /proc/*/cmdline for xdg-open's
// arguments and fetches the one-shot start link before the browser does.
// The real opener (pkg/browser, as main uses) runs a fake xdg-open that
// records its argv: neither the start link nor the authorize URL's
// secrets (state, code challenge) may be there, and the page is gone once
// the login ends.
func TestSignInLinkNeverOnACommandLine(t *testing.T) {
	bin := t.TempDir()
	argv := filepath.Join(bin, "argv")
	script := "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\" >> '" + argv + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if p, err := exec.LookPath("xdg-open"); err != nil || p != filepath.Join(bin, "xdg-open") {
		t.Fatalf("fake xdg-open not first on PATH: %s %v", p, err)
	}
	auth := oauthtest.New(t)
	env := oauthEnv(t, auth)
	var page string
	open := func(u string) error {
		page = u
		if err := browser.OpenURL(u); err != nil {
			t.Errorf("open %s: %v", u, err)
			return err
		}
		if err := approve(t, new([]string))(u); err != nil {
			t.Errorf("follow the sign-in page: %v", err)
			return err
		}
		return nil
	}
	r := runLogin(t, env, strings.NewReader(""), open, "accounts", "login", "personal")
	if r.code != 0 {
		t.Fatalf("login: %d %s", r.code, r.err)
	}
	got, err := os.ReadFile(argv)
	if err != nil {
		t.Fatalf("xdg-open never ran: %v", err)
	}
	for _, secret := range []string{"state=", "code_challenge", "/start", "http://"} {
		if strings.Contains(string(got), secret) {
			t.Errorf("xdg-open's command line holds %q: %s", secret, got)
		}
	}
	pu, _ := url.Parse(page)
	if _, err := os.Stat(pu.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sign-in page %s outlived the login: %v", pu.Path, err)
	}
}

// browse plays the browser: it opens the sign-in page and follows it.
func browse(u string) (*http.Response, error) {
	link, err := followPage(u)
	if err != nil {
		return nil, err
	}
	return http.Get(link)
}
