package cli

import (
	"fmt"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// signInPage writes a page that sends the browser on to link, in a 0600
// file in the 0700 data dir, and returns the file's URL for the opener. A
// browser's command line (xdg-open's, the browser's own) is readable by
// every local user through /proc; with the link itself there, another user
// polling /proc fetched the one-shot start link first and delivered their
// own code. The file's path tells them nothing, and only the user can read
// it. The caller removes the file once the login ends.
func signInPage(dir, link string) (string, func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("sign-in page: %w", err)
	}
	f, err := os.CreateTemp(dir, "signin-*.html")
	if err != nil {
		return "", nil, fmt.Errorf("sign-in page: %w", err)
	}
	remove := func() { _ = os.Remove(f.Name()) }
	q := html.EscapeString(link)
	js := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\x3c`).Replace(link)
	page := `<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
		`<meta http-equiv="refresh" content="0;url=` + q + `"><title>Sluice sign-in</title>` +
		`<script>location.replace("` + js + `")</script><a href="` + q + `">Continue to sign in</a>`
	// CreateTemp makes the file 0600 already; Chmod in case a umask or ACL did not.
	if err = f.Chmod(0o600); err == nil {
		_, err = f.WriteString(page)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("sign-in page: %w", err)
	}
	abs, _ := filepath.Abs(f.Name())
	return (&url.URL{Scheme: "file", Path: abs}).String(), remove, nil
}
