package vault

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// LoginOptions configure OAuth.Login.
type LoginOptions struct {
	// Mode is the kind of login: ModeMax (subscription, OAuth tokens) or
	// ModeConsole (Console, a new API key).
	Mode Mode
	// OpenBrowser opens the authorize URL, e.g. pkg/browser's OpenURL. It
	// runs in the background, so it may block while the browser runs; it
	// may still be running, or not yet started, when Login returns.
	OpenBrowser func(url string) error
	// Out receives instructions and the URL, for the user to open it when
	// the browser does not. Nil discards them; then OpenBrowser must be set.
	// Nothing is written to Out after Login returns.
	Out io.Writer
	// Paste selects the manual flow: the browser ends on Anthropic's page
	// showing "code#state", which the user pastes into In. Otherwise a
	// loopback server on 127.0.0.1 receives the redirect.
	Paste bool
	// In is read for the pasted "code#state" line (Paste only).
	In io.Reader
	// Timeout bounds the whole login; 0 means 10 minutes.
	Timeout time.Duration
	// StartLink hands OpenBrowser a one-shot loopback link that redirects
	// to the authorize URL, instead of the authorize URL itself (loopback
	// flow only). A browser's command line is readable by every local
	// user; the authorize URL's state on it lets another user abort the
	// sign-in or plant their own code. Opened a second time, the link ends
	// the sign-in with ErrStartReused. Out still shows the authorize URL.
	StartLink bool
}

// Login runs a whole PKCE login and returns the new credential; the caller
// stores it. Cancelling ctx or reaching the timeout ends it and frees the
// loopback port.
func (o *OAuth) Login(ctx context.Context, opts LoginOptions) (Credential, error) {
	if opts.OpenBrowser == nil && opts.Out == nil {
		return Credential{}, errors.New("vault: login: need OpenBrowser or Out to show the sign-in URL")
	}
	if opts.Paste && opts.In == nil {
		return Credential{}, errors.New("vault: login: paste mode needs In to read the code from")
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	if opts.Paste {
		return o.loginPaste(ctx, opts)
	}
	cb, err := listenCallback()
	if err != nil {
		return Credential{}, err
	}
	defer cb.Close()
	s, err := o.Begin(opts.Mode, cb.RedirectURI)
	if err != nil {
		return Credential{}, err
	}
	open := s.AuthorizeURL
	if opts.StartLink {
		// Made before serving: the handler reads it unlocked.
		if open, err = cb.startURL(); err != nil {
			return Credential{}, err
		}
	}
	cb.serve(s.State, s.AuthorizeURL)
	show(opts, s.AuthorizeURL, open, "Waiting for the sign-in to finish in the browser...")
	code, state, err := cb.wait(ctx)
	if err != nil {
		return Credential{}, err
	}
	cb.Close() // free the port before the token requests
	return o.Exchange(ctx, s, code, state)
}

// loginPaste runs the manual flow, redirect_uri = ManualRedirectURL.
func (o *OAuth) loginPaste(ctx context.Context, opts LoginOptions) (Credential, error) {
	s, err := o.Begin(opts.Mode, o.Endpoints.withDefaults().ManualRedirectURL)
	if err != nil {
		return Credential{}, err
	}
	show(opts, s.AuthorizeURL, s.AuthorizeURL, "After approving, paste the code shown (code#state) here:")
	line, err := readLine(ctx, opts.In)
	if err != nil {
		return Credential{}, err
	}
	code, state, ok := strings.Cut(strings.TrimSpace(line), "#")
	if !ok || code == "" || state == "" {
		return Credential{}, errors.New("vault: login: the pasted value is not of the form code#state; copy the whole code from the page")
	}
	return o.Exchange(ctx, s, code, state)
}

// show prints the URL and starts opening it in the browser. OpenBrowser
// runs in the background: pkg/browser's OpenURL waits for the browser
// command, which may not exit while the browser runs (xdg-open starting
// Firefox in the foreground), and the sign-in must not wait for it. The URL
// is printed first, so a failing OpenBrowser needs no word of its own, and
// nothing reaches Out once Login has returned. An OpenBrowser that never
// returns keeps its goroutine.
func show(opts LoginOptions, url, open, next string) {
	if opts.OpenBrowser == nil {
		_, _ = fmt.Fprintf(opts.Out, "Open this URL in a browser to sign in:\n\n  %s\n\n", url)
	} else {
		_, _ = fmt.Fprintf(opts.Out, "Opening a browser window to sign in. If it does not appear, open:\n\n  %s\n\n", url)
		go func() { _ = opts.OpenBrowser(open) }()
	}
	_, _ = fmt.Fprintln(opts.Out, next)
}

// readLine reads one line from r, giving up when ctx ends. A reader that
// never returns keeps its goroutine; that is the price of an io.Reader
// without deadlines.
func readLine(ctx context.Context, r io.Reader) (string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err == io.EOF && line != "" {
			err = nil
		}
		ch <- result{line, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return "", fmt.Errorf("vault: login: read pasted code: %w", res.err)
		}
		return res.line, nil
	case <-ctx.Done():
		return "", fmt.Errorf("vault: login: waiting for the pasted code: %w", ctx.Err())
	}
}
