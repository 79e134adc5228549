package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// listener is a running proxy: its server and where it listens.
type listener struct {
	srv  *http.Server
	addr string
	done chan struct{} // closed when every Serve has returned
}

// StartProxy starts listening on the configured loopback address. Starting
// a running proxy does nothing.
func (s *Service) StartProxy(_ context.Context) error {
	s.switching.Lock()
	defer s.switching.Unlock()
	return s.start()
}

// start is StartProxy with s.switching held.
func (s *Service) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	lns, err := s.listen()
	if err != nil {
		// Kept for the Snapshot: the tray and the window show why the
		// proxy is off, not just that it is.
		s.startErr = err.Error()
		s.events.publish(api.Event{Kind: api.EventProxyState, Time: s.now(),
			Proxy: &api.ProxyState{Addr: net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.port)), StartError: s.startErr}})
		return err
	}
	s.startErr = ""
	l := &listener{srv: s.newServer(), addr: lns[0].Addr().String(), done: make(chan struct{})}
	caps := newConnCaps(maxConnsTotal, maxConnsPerPeer, s.log)
	var serving sync.WaitGroup
	for _, ln := range lns {
		serving.Go(func() {
			if err := l.srv.Serve(&cappedListener{Listener: ln, connCaps: caps}); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("proxy stopped serving", "err", err)
			}
		})
	}
	go func() {
		serving.Wait()
		close(l.done)
	}()
	s.srv = l
	s.startPoller()
	s.log.Info("proxy listening", "addr", l.addr, "upstream", s.cfg.Upstream)
	s.events.publish(api.Event{Kind: api.EventProxyState, Time: s.now(), Proxy: &api.ProxyState{Running: true, Addr: l.addr}})
	return nil
}

// StopProxy stops accepting requests and waits for those in flight, streams
// included, up to the shutdown timeout (or ctx), then closes what is left.
// Stopping a stopped proxy does nothing.
func (s *Service) StopProxy(ctx context.Context) error {
	// Held until the old listener is closed, so a StartProxy racing this
	// stop (tray and window both have a toggle) cannot find the port busy.
	s.switching.Lock()
	defer s.switching.Unlock()
	return s.stop(ctx)
}

// stop is StopProxy with s.switching held.
func (s *Service) stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopPoller()
	l := s.srv
	s.srv = nil
	s.startErr = "" // off on purpose: no longer a failed start
	s.mu.Unlock()
	if l == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	err := l.srv.Shutdown(ctx)
	if err != nil {
		s.log.Warn("in-flight requests did not finish before shutdown timeout; closing them", "err", err)
		err = errors.Join(err, l.srv.Close())
	}
	<-l.done
	s.log.Info("proxy stopped")
	s.events.publish(api.Event{Kind: api.EventProxyState, Time: s.now(), Proxy: &api.ProxyState{Addr: s.Addr()}})
	if err != nil {
		return fmt.Errorf("stop proxy: %w", err)
	}
	return nil
}

// StartError says why the last start failed; "" after a start or a stop.
func (s *Service) StartError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startErr
}

// ProxyRunning reports whether the proxy is listening.
func (s *Service) ProxyRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
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

// newTransport is tuned for one upstream host with many concurrent,
// long-lived streams.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.IdleConnTimeout = 90 * time.Second
	t.ResponseHeaderTimeout = 10 * time.Minute // long thinking before the first byte is normal
	t.ForceAttemptHTTP2 = true
	// The write buffer stays at its 4 KiB default although a ~20 KB request
	// then costs a short-lived copy buffer of its size (the transport wraps
	// the body in a LimitReader): a 32 KiB buffer avoided that but is held
	// by every upstream connection, idle or streaming, and took a thousand
	// slow streams from ~86 to ~114 KiB each in the load harness. Over
	// plain HTTP the copy buffer now comes from a pool (copyConn).
	t.DialContext = pooledCopyDialer(t.DialContext)
	return t
}
