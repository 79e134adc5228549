package proxy

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Connection caps. Every local program reaches Sluice from a loopback
// address, so the per-peer cap mostly protects against one address (a
// runaway client, a slow-loris) starving the rest; the total cap keeps file
// descriptors for the upstream side and the journal.
const (
	maxConnsTotal   = 2048
	maxConnsPerPeer = 1024
	maxHeaderBytes  = 64 << 10
)

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
func (s *Service) newServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		// Connection-level noise (clients hanging up) is not worth a
		// warning in the user's log.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// cappedListener refuses connections over the total and per-peer caps (by
// closing them at once, so the kernel's queue keeps draining) and reports
// running out of file descriptors at warn.
type cappedListener struct {
	net.Listener
	*connCaps
}

// connCaps is the connection count shared by the listeners of one proxy.
type connCaps struct {
	maxTotal, maxPeer int
	log               *slog.Logger
	warn              *rate.Limiter

	mu    sync.Mutex
	total int
	peers map[string]int
}

func newConnCaps(maxTotal, maxPeer int, log *slog.Logger) *connCaps {
	return &connCaps{maxTotal: maxTotal, maxPeer: maxPeer, log: log,
		warn: rate.NewLimiter(rate.Every(time.Minute), 1), peers: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				if l.warn.Allow() {
					l.log.Warn("out of file descriptors: refusing new connections until some close", "err", err)
				}
			}
			return nil, err
		}
		peer, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		l.mu.Lock()
		if l.total >= l.maxTotal || l.peers[peer] >= l.maxPeer {
			l.mu.Unlock()
			_ = c.Close()
			if l.warn.Allow() {
				l.log.Warn("connection cap reached: refusing connections", "peer", peer, "total", l.maxTotal, "per_peer", l.maxPeer)
			}
			continue
		}
		l.total++
		l.peers[peer]++
		l.mu.Unlock()
		return &cappedConn{Conn: c, caps: l.connCaps, peer: peer}, nil
	}
}

func (l *connCaps) release(peer string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.peers[peer]--; l.peers[peer] <= 0 {
		delete(l.peers, peer)
	}
}

// cappedConn gives its slot back when closed (once).
type cappedConn struct {
	net.Conn
	caps *connCaps
	peer string
	once sync.Once
}

func (c *cappedConn) Close() error {
	c.once.Do(func() { c.caps.release(c.peer) })
	return c.Conn.Close()
}
