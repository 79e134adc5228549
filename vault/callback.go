package vault

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

	// The one-shot start link (see startURL): a random path that redirects
	// to the authorize URL the first time and ends the sign-in the second.
	startPath string
	authorize string
	starts    atomic.Int32
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
	mux.HandleFunc("GET /start/{nonce}", c.handleStart)
	c.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return c, nil
}

// serve starts answering; state is what the authorization response must
// carry. The port is bound from listenCallback on, so the redirect URI is
// known before the flow (and its state) exists.
func (c *callbackServer) serve(state, authorize string) {
	c.state, c.authorize = state, authorize
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

// ErrStartReused reports that the one-shot sign-in link was opened twice:
// someone else (another local user reading the browser's command line)
// may have read the sign-in's state, so the sign-in is abandoned.
var ErrStartReused = errors.New("vault: login: the sign-in link was opened twice (by another program?); start the sign-in again")

// startURL returns the one-shot loopback link that redirects to the
// authorize URL. It is what goes on the browser's command line, which every
// local user can read: the state itself never does.
func (c *callbackServer) startURL() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("vault: login: %w", err)
	}
	c.startPath = hex.EncodeToString(b[:])
	return strings.TrimSuffix(c.RedirectURI, "/callback") + "/start/" + c.startPath, nil
}

// handleStart redirects the first visit of the start link to the authorize
// URL. A second visit means the link was read by someone else too: the
// sign-in ends, so a state they learnt cannot be used to plant a code.
func (c *callbackServer) handleStart(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if c.startPath == "" || !equalConstantTime(r.PathValue("nonce"), c.startPath) {
		http.NotFound(w, r)
		return
	}
	if c.starts.Add(1) == 1 {
		http.Redirect(w, r, c.authorize, http.StatusFound)
		return
	}
	c.once.Do(func() { c.results <- callbackResult{err: ErrStartReused} })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusGone)
	_, _ = fmt.Fprint(w, page("This sign-in link was already opened.", "The sign-in was stopped in case another program read the link. Start it again from Sluice."))
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
