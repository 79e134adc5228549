package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// maxHeaderBytes bounds a request's headers.
const maxHeaderBytes = 64 << 10

// offMessage is what a client hears while the proxy is turned off.
const offMessage = "Sluice's proxy is off; turn it on from the tray or with `sluice proxy on`"

// listener is the proxy's bound server. It stays bound while the proxy is
// turned off, answering 503, so that no other local user can take the port
// and receive the prompts and keys of clients pointed at it. Only Close
// and a port change unbind it.
type listener struct {
	srv  *http.Server
	addr string
	done chan struct{} // closed when every Serve has returned
	caps *connCaps

	mu  sync.Mutex
	gen *generation // the current "on" period; nil while off
}

// generation is one period of the proxy being on: the requests it admitted
// and a context that ends them when turning off outlasts the timeout.
type generation struct {
	ctx      context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
}

// StartProxy turns the proxy on, binding the configured loopback address
// first if it is not bound yet. Starting a running proxy does nothing.
func (s *Service) StartProxy(_ context.Context) error {
	s.switching.Lock()
	defer s.switching.Unlock()
	return s.start()
}

// start is StartProxy with s.switching held.
func (s *Service) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		l, err := s.bind()
		if err != nil {
			return err
		}
		s.srv = l
	}
	l := s.srv
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gen != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.gen = &generation{ctx: ctx, cancel: cancel}
	s.startPoller()
	s.log.Info("proxy listening", "addr", l.addr, "upstream", s.cfg.Upstream)
	s.events.publish(api.Event{Kind: api.EventProxyState, Time: s.now()})
	return nil
}

// bind listens on the configured addresses and serves them, off.
func (s *Service) bind() (*listener, error) {
	lns, err := s.listen()
	if err != nil {
		return nil, err
	}
	l := &listener{addr: lns[0].Addr().String(), done: make(chan struct{}), caps: newConnCaps(connLimits(), s.log)}
	l.srv = s.newServer(l)
	var serving sync.WaitGroup
	for _, ln := range lns {
		serving.Go(func() {
			if err := l.srv.Serve(&cappedListener{Listener: ln, connCaps: l.caps}); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("proxy stopped serving", "err", err)
			}
		})
	}
	go func() {
		serving.Wait()
		close(l.done)
	}()
	return l, nil
}

// StopProxy turns the proxy off: new requests get 503, and those in flight,
// streams included, may finish up to the shutdown timeout (or ctx), after
// which they are cancelled. The port stays bound. Stopping a stopped proxy
// does nothing.
func (s *Service) StopProxy(ctx context.Context) error {
	// Held until those in flight are done, so a StartProxy racing this
	// stop (tray and window both have a toggle) starts a new period.
	s.switching.Lock()
	defer s.switching.Unlock()
	return s.stop(ctx)
}

// stop is StopProxy with s.switching held.
func (s *Service) stop(ctx context.Context) error {
	s.mu.Lock()
	l := s.srv
	if l == nil {
		s.mu.Unlock()
		return nil
	}
	l.mu.Lock()
	g := l.gen
	l.gen = nil
	l.mu.Unlock()
	if g == nil {
		s.mu.Unlock()
		return nil
	}
	s.stopPoller()
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	finished := make(chan struct{})
	go func() {
		g.inflight.Wait()
		close(finished)
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		s.log.Warn("in-flight requests did not finish before shutdown timeout; cancelling them", "err", err)
	}
	g.cancel()
	<-finished
	s.log.Info("proxy off (the port stays bound)")
	s.events.publish(api.Event{Kind: api.EventProxyState, Time: s.now()})
	if err != nil {
		return fmt.Errorf("stop proxy: %w", err)
	}
	return nil
}

// unbind turns the proxy off and closes its listeners (Close, a port
// change); s.switching is held.
func (s *Service) unbind(ctx context.Context) error {
	err := s.stop(ctx)
	s.mu.Lock()
	l := s.srv
	s.srv = nil
	s.mu.Unlock()
	if l == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	if e := l.srv.Shutdown(ctx); e != nil {
		err = errors.Join(err, e, l.srv.Close())
	}
	<-l.done
	return err
}

// ProxyRunning reports whether the proxy is on (serving requests).
func (s *Service) ProxyRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return false
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	return s.srv.gen != nil
}

// Addr is where the proxy listens (or will listen): host:port.
func (s *Service) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return s.srv.addr
	}
	return net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.port))
}

// serveListener is the server's handler. Every request starts with a short read
// deadline (UnauthTimeout): a request Sluice refuses, or answers without a
// key (/health, telemetry), cannot hold its connection by trickling a body;
// admit lifts it once the request's key is good. While the proxy is off
// the answer is 503 in the client's dialect; while on, the request counts
// in the current period, whose end may cancel it.
func (s *Service) serveListener(l *listener, w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.UnauthTimeout))
	l.mu.Lock()
	g := l.gen
	if g != nil {
		g.inflight.Add(1)
	}
	l.mu.Unlock()
	if g == nil {
		s.offHandler.ServeHTTP(w, r)
		return
	}
	defer g.inflight.Done()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(g.ctx, cancel)()
	s.handler.ServeHTTP(w, r.WithContext(ctx))
}

// offRoutes answers every request while the proxy is off, after the same
// Host and Origin guards, in the client's dialect.
func (s *Service) offRoutes() http.Handler {
	return s.serve(s.guard(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		// 503 with a retry-after: the proxy is coming back when the user
		// turns it on; nothing is wrong with the request.
		requestOf(r).err = &httpError{status: http.StatusServiceUnavailable, kind: errAPI, msg: offMessage, retryAfter: 10 * time.Second}
	})))
}

// admit marks r's client as keyed: its connection leaves the
// unauthenticated pool (it can no longer be evicted to make room) and the
// short deadline set by serve is lifted; the body's own deadlines follow
// (bodylimit.go).
func admit(w http.ResponseWriter, r *http.Request) {
	if c, ok := r.Context().Value(connCtx{}).(*cappedConn); ok {
		c.caps.keyed(c)
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
}

// connCtx carries a request's connection in its context.
type connCtx struct{}

// listen binds the proxy's addresses. On the default loopback both 127.0.0.1
// and ::1 are bound on the same port: clients resolving "localhost" to ::1
// first (macOS, Fedora, Node's fetch) must reach Sluice, not whoever else
// grabbed [::1]:PORT. If the other loopback is held by another program,
// Sluice refuses to start; a machine without IPv6 just skips it.
func (s *Service) listen() ([]net.Listener, error) {
	ip, err := loopbackIP(s.cfg.Host)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(s.port))
	first, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("cannot listen on %s: %w (is another Sluice running? set SLUICE_PORT to choose another port)", addr, api.ErrPortInUse)
		}
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	var other net.IP
	switch {
	case ip.Equal(net.IPv4(127, 0, 0, 1)):
		other = net.IPv6loopback
	case ip.Equal(net.IPv6loopback):
		other = net.IPv4(127, 0, 0, 1)
	default:
		// 127.0.0.2 and friends: "localhost" does not resolve there, so
		// there is no twin for a client to be misled to.
		return []net.Listener{first}, nil
	}
	port := first.Addr().(*net.TCPAddr).Port
	twin := net.JoinHostPort(other.String(), strconv.Itoa(port))
	second, err := net.Listen("tcp", twin)
	switch {
	case err == nil:
		return []net.Listener{first, second}, nil
	case errors.Is(err, syscall.EADDRINUSE):
		_ = first.Close()
		return nil, fmt.Errorf("cannot listen on %s: another program holds %s, and clients that resolve localhost to it would send it their prompts and keys: %w", addr, twin, api.ErrPortInUse)
	default:
		// No IPv6 (or IPv4) loopback on this machine: nobody can hold it.
		s.log.Debug("second loopback unavailable", "addr", twin, "err", err)
		return []net.Listener{first}, nil
	}
}

// newServer is the proxy's http.Server: bounded headers, a deadline for
// headers and for idle keep-alive connections, and no write timeout, which
// would cut long streams.
func (s *Service) newServer(l *listener) *http.Server {
	return &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveListener(l, w, r) }),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connCtx{}, c)
		},
		// Connection-level noise (clients hanging up) is not worth a
		// warning in the user's log.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// rebind binds the port again after unbind, turning the proxy on if it was.
func (s *Service) rebind(on bool) error {
	if on {
		return s.start()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.bind()
	if err != nil {
		return err
	}
	s.srv = l
	return nil
}
