package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// callbackServer is the one-shot loopback server that receives the browser's
// redirect after the user approves a login. It listens on 127.0.0.1 on an
// ephemeral port (and on ::1, see listenCallback), accepts exactly one authorization response carrying the
// flow's state on /callback and is closed by its owner afterwards.
type callbackServer struct {
	RedirectURI string // http://localhost:PORT/callback

	srv     *http.Server
	lns     []net.Listener // 127.0.0.1:PORT, and [::1]:PORT where there is IPv6
	state   string         // the state the response must carry; set before serving
	results chan callbackResult
	once    sync.Once
}

// callbackResult is what the browser delivered: a code and state, or an error.
type callbackResult struct {
	code, state string
	err         error
}

// listenCallback starts the loopback server. The redirect URI names
// localhost, which browsers may resolve to ::1 first: the port is bound on
// both loopback addresses where the machine has IPv6, so no other local
// user can take [::1]:PORT and receive the redirect. A port whose ::1 side
// is already taken is given up for another.
func listenCallback() (*callbackServer, error) {
	var lns []net.Listener
	for try := 0; try < 8 && lns == nil; try++ {
		v4, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("vault: start login callback listener: %w", err)
		}
		port := v4.Addr().(*net.TCPAddr).Port
		v6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port)))
		switch {
		case err == nil:
			lns = []net.Listener{v4, v6}
		case errors.Is(err, syscall.EADDRINUSE):
			_ = v4.Close() // someone holds [::1]:port: pick another port
		default:
			lns = []net.Listener{v4} // no IPv6 loopback here
		}
	}
	if lns == nil {
		return nil, errors.New("vault: start login callback listener: no free loopback port")
	}
	port := lns[0].Addr().(*net.TCPAddr).Port
	c := &callbackServer{
		RedirectURI: "http://localhost:" + strconv.Itoa(port) + "/callback",
		lns:         lns,
		results:     make(chan callbackResult, 1),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", c.handle)
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return c, nil
}

// serve starts answering; state is what the authorization response must
// carry. The port is bound from listenCallback on, so the redirect URI is
// known before the flow (and its state) exists.
func (c *callbackServer) serve(state string) {
	c.state = state
	for _, ln := range c.lns {
		go func() { _ = c.srv.Serve(ln) }()
	}
}

// handle answers the browser and hands the first response carrying the
// flow's state to wait. A request without that state, an error response
// included, is refused and does not end the flow: otherwise any local
// process or web page could abort the sign-in, or plant text in its error.
func (c *callbackServer) handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !equalConstantTime(q.Get("state"), c.state) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprint(w, page("This is not the sign-in Sluice is waiting for.", "Finish the sign-in in the browser tab Sluice opened, or start it again from Sluice."))
		return
	}
	var res callbackResult
	switch {
	case q.Get("error") != "":
		res.err = &OAuthError{Op: "authorize", Code: shorten(q.Get("error"), 64),
			Description: shorten(q.Get("error_description"), 200)}
	case q.Get("code") == "":
		res.err = errors.New("vault: login callback without a code")
	default:
		res.code, res.state = q.Get("code"), q.Get("state")
	}
	delivered := false
	c.once.Do(func() {
		c.results <- res
		delivered = true
	})
	switch {
	case !delivered:
		w.WriteHeader(http.StatusGone)
		_, _ = fmt.Fprint(w, page("This sign-in link was already used.", "Start the sign-in again from Sluice if needed."))
	case res.err != nil:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprint(w, page("Sign-in failed.", "Return to Sluice for details and try again."))
	default:
		_, _ = fmt.Fprint(w, page("Signed in to Sluice.", "You can close this tab."))
	}
}

// page is the small HTML answer shown in the browser tab.
func page(title, text string) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>Sluice</title></head>` +
		`<body style="font-family:sans-serif;margin:4em auto;max-width:30em"><h1>` + title +
		`</h1><p>` + text + `</p></body></html>`
}

// wait returns the authorization response, or an error once ctx ends.
func (c *callbackServer) wait(ctx context.Context) (code, state string, err error) {
	select {
	case res := <-c.results:
		return res.code, res.state, res.err
	case <-ctx.Done():
		return "", "", fmt.Errorf("vault: waiting for the browser sign-in: %w", ctx.Err())
	}
}

// Close stops the server and frees the port, giving the answer page a moment
// to reach the browser.
func (c *callbackServer) Close() {
	// Closing the listeners directly covers a server that never served.
	for _, ln := range c.lns {
		_ = ln.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c.srv.Shutdown(ctx) != nil {
		_ = c.srv.Close()
	}
}
