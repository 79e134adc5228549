package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// listener is a running proxy: its server and where it listens.
type listener struct {
	srv  *http.Server
	addr string
	done chan struct{} // closed when every Serve has returned
}

// ErrPortInUse reports that another program holds the configured port.
var ErrPortInUse = errors.New("port already in use")

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
		return err
	}
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
	s.events.publish(Event{Kind: EventProxyState, Time: s.now()})
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
	s.events.publish(Event{Kind: EventProxyState, Time: s.now()})
	if err != nil {
		return fmt.Errorf("stop proxy: %w", err)
	}
	return nil
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
