package proxy

import (
	"crypto/tls"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
)

// oneDial keeps at most one connection dial in flight per HTTP/2 upstream
// host, as nginx's pooling would. net/http's Transport starts a dial for
// every request that finds no connection free (Transport.dialConnFor),
// and HTTP/2 connections are shared only once dialled: a burst of 1,000
// streams opened ~250 TLS connections to the fake (handshakes paid, most
// closed at once as not needed), and their buffers were the largest part
// of a stream's memory at the peak. Here the requests to one HTTP/2 host
// take turns to get a connection: a turn lasts from the request's start
// to the connection it got (microseconds when one is free in the pool),
// so a request that must dial holds the others until its new connection
// is in the pool, where they find it.
//
// A host that answers HTTP/1.1 over TLS (a corporate proxy) takes no
// turns: each of its connections carries one request, so its requests
// dial in parallel as before. Until the first handshake tells, a host is
// taken for HTTP/2 (the first burst waits for one dial). Nor does a host
// whose last dial failed, until a request gets a connection again: a
// blackholed upstream must not make each waiting request time out its
// own dial in turn. Plain-HTTP upstreams pass straight through.
type oneDial struct {
	next http.RoundTripper

	mu    sync.Mutex
	hosts map[string]*hostDial
}

// hostDial is one upstream host's turn to get a connection.
type hostDial struct {
	http1 atomic.Bool   // its TLS handshake chose HTTP/1.1: no turns
	turn  chan struct{} // holds a token while a request has the turn

	mu   sync.Mutex
	down chan struct{} // closed while its last dial failed: no turns
}

// downCh is the channel closed while h's last dial failed.
func (h *hostDial) downCh() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down
}

// dialed records how h's last dial went: a failure lets every request
// waiting for a turn go at once, a connection brings the turns back.
func (h *hostDial) dialed(ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.down:
		if ok {
			h.down = make(chan struct{})
		}
	default:
		if !ok {
			close(h.down)
		}
	}
}

// RoundTrip sends req once it has its host's turn, given back as soon as
// req has a connection, its dial failed or chose HTTP/1.1, or req ended.
func (o *oneDial) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		return o.next.RoundTrip(req)
	}
	h := o.host(req.URL.Host)
	down := h.downCh()
	select {
	case <-down:
		return o.next.RoundTrip(req)
	default:
	}
	if h.http1.Load() {
		return o.next.RoundTrip(req)
	}
	select {
	case h.turn <- struct{}{}:
	case <-down:
		return o.next.RoundTrip(req)
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	var once sync.Once
	done := func() { once.Do(func() { <-h.turn }) }
	defer done()
	failed := func() { h.dialed(false); done() }
	var got atomic.Bool
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { got.Store(true); h.dialed(true); done() },
		ConnectDone: func(_, _ string, err error) {
			if err != nil {
				failed()
			}
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			if err == nil && cs.NegotiatedProtocol != "h2" {
				h.http1.Store(true)
			}
			switch {
			case err != nil:
				failed()
			case cs.NegotiatedProtocol != "h2":
				done()
			}
		},
	}
	resp, err := o.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil && !got.Load() && req.Context().Err() == nil {
		failed() // no connection to be had, whatever dialer failed how
	}
	return resp, err
}

// host is the dial state of host, made on first use.
func (o *oneDial) host(host string) *hostDial {
	o.mu.Lock()
	defer o.mu.Unlock()
	h := o.hosts[host]
	if h == nil {
		if o.hosts == nil {
			o.hosts = make(map[string]*hostDial)
		}
		h = &hostDial{turn: make(chan struct{}, 1), down: make(chan struct{})}
		o.hosts[host] = h
	}
	return h
}
