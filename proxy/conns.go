package proxy

import (
	"container/list"
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// connLimit bounds the proxy's client connections. A connection is
// unauthenticated until one of its requests carries a good client key
// (admit). Unauthenticated ones are capped per peer and in total, far below
// the file limit: when a cap is reached the oldest of them is closed to
// make room, so silent or slow connections opened by anyone cannot lock
// out a keyed client, which only needs its connection to live long enough
// to send its headers.
type connLimit struct {
	Total      int // every client connection (keyed ones included)
	Unauth     int // unauthenticated connections
	UnauthPeer int // unauthenticated connections from one address
}

// connLimits derives the caps from the process's file limit. Go raises the
// soft RLIMIT_NOFILE to the hard one at start (Go 1.19+, on Linux and the
// BSDs), so this reads the raised value; half is kept for the upstream
// side, the journal and the rest of the process.
func connLimits() connLimit {
	nofile := uint64(1024)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 0 {
		nofile = rl.Cur
	}
	total := int(min(max(nofile/2, 64), 16384))
	unauth := min(512, total/4)
	return connLimit{Total: total, Unauth: unauth, UnauthPeer: max(unauth/2, 1)}
}

// cappedListener accepts connections within the caps and reports running
// out of file descriptors at warn.
type cappedListener struct {
	net.Listener
	*connCaps
}

// connCaps is the connection count shared by the listeners of one proxy.
type connCaps struct {
	lim  connLimit
	log  *slog.Logger
	warn *rate.Limiter

	mu     sync.Mutex
	total  int
	unauth list.List      // *cappedConn not yet keyed, oldest first
	peers  map[string]int // unauthenticated connections per peer
}

func newConnCaps(lim connLimit, log *slog.Logger) *connCaps {
	return &connCaps{lim: lim, log: log, warn: rate.NewLimiter(rate.Every(time.Minute), 1), peers: map[string]int{}}
}

// Accept returns the next connection, making room for it by closing the
// oldest unauthenticated one when a cap is reached.
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
		if cc := l.admitConn(c); cc != nil {
			return cc, nil
		}
		_ = c.Close()
		if l.warn.Allow() {
			l.log.Warn("connection cap reached: refusing connections", "total", l.lim.Total)
		}
	}
}

// admitConn counts c in, evicting an unauthenticated connection if a cap
// requires; nil when every slot is held by keyed clients.
func (l *connCaps) admitConn(c net.Conn) *cappedConn {
	peer, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	cc := &cappedConn{Conn: c, caps: l, peer: peer}
	l.mu.Lock()
	var victim *cappedConn
	switch {
	case l.peers[peer] >= l.lim.UnauthPeer:
		for e := l.unauth.Front(); e != nil; e = e.Next() {
			if v := e.Value.(*cappedConn); v.peer == peer {
				victim = v
				break
			}
		}
	case l.unauth.Len() >= l.lim.Unauth || l.total >= l.lim.Total:
		if e := l.unauth.Front(); e != nil {
			victim = e.Value.(*cappedConn)
		}
	}
	if victim != nil {
		l.releaseLocked(victim)
	}
	if l.total >= l.lim.Total {
		l.mu.Unlock()
		return nil
	}
	l.total++
	l.peers[peer]++
	cc.elem = l.unauth.PushBack(cc)
	l.mu.Unlock()
	if victim != nil {
		// The server sees its read fail and closes it; the slot is free now.
		_ = victim.Conn.Close()
		if l.warn.Allow() {
			l.log.Warn("too many connections without a client key: closing the oldest", "peer", victim.peer,
				"unauthenticated", l.lim.Unauth, "per_peer", l.lim.UnauthPeer)
		}
	}
	return cc
}

// keyed moves c out of the unauthenticated pool: a request on it carried a
// good key.
func (l *connCaps) keyed(c *cappedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.elem == nil {
		return
	}
	l.unauth.Remove(c.elem)
	c.elem = nil
	if l.peers[c.peer]--; l.peers[c.peer] <= 0 {
		delete(l.peers, c.peer)
	}
}

// releaseLocked gives c's slot back, once; l.mu is held.
func (l *connCaps) releaseLocked(c *cappedConn) {
	if c.gone {
		return
	}
	c.gone = true
	l.total--
	if c.elem != nil {
		l.unauth.Remove(c.elem)
		c.elem = nil
		if l.peers[c.peer]--; l.peers[c.peer] <= 0 {
			delete(l.peers, c.peer)
		}
	}
}

// cappedConn gives its slot back when closed. Its fields past Conn are
// guarded by caps.mu.
type cappedConn struct {
	net.Conn
	caps *connCaps
	peer string
	elem *list.Element // in caps.unauth while unauthenticated
	gone bool          // slot released (closed or evicted)
}

func (c *cappedConn) Close() error {
	c.caps.mu.Lock()
	c.caps.releaseLocked(c)
	c.caps.mu.Unlock()
	return c.Conn.Close()
}

// throttlePeer is the address the brute-force delay counts failures under:
// every loopback address is one peer, since any local program can dial
// from 127.0.0.2, 127.0.0.3, ... and so start afresh at each.
func throttlePeer(peer string) string {
	if ip := net.ParseIP(peer); ip != nil && ip.IsLoopback() {
		return "loopback"
	}
	return peer
}
