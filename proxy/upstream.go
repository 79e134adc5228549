package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync/atomic"
	"time"
)

// idlePolicy is how the transport keeps upstream connections between
// requests. The real upstream is TLS 1.3 over HTTP/2 and keeps idle
// connections open: a client that closes its own after 90 s (the
// transport's old setting) pays a new TCP and TLS handshake on the first
// request after every coffee break, on the first byte users wait for.
type idlePolicy struct {
	// idleConn closes a connection unused this long.
	idleConn time.Duration
	// pingAfter sends an HTTP/2 PING on a connection that received no
	// frame this long, and pingTimeout drops it when no answer came in
	// that time: a connection a NAT or a sleeping laptop silently broke is
	// found and dropped while idle, instead of swallowing the next request
	// until ResponseHeaderTimeout (10 minutes).
	pingAfter, pingTimeout time.Duration
}

// upstreamIdle is the engine's policy: idle connections kept an hour
// (well past a 10-minute pause), checked by a PING after 45 s of silence.
// A PING is 17 bytes each way, one wake-up per idle connection a cycle.
func upstreamIdle() idlePolicy {
	return idlePolicy{idleConn: time.Hour, pingAfter: 45 * time.Second, pingTimeout: 15 * time.Second}
}

// newTransport is tuned for one upstream host with many concurrent,
// long-lived streams, over HTTP/2 where the upstream offers it. caFile,
// when set, names a PEM bundle of CAs trusted besides the system's; idle
// is upstreamIdle() but in tests.
func newTransport(caFile string, idle idlePolicy) (*http.Transport, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.ResponseHeaderTimeout = 10 * time.Minute // long thinking before the first byte is normal
	t.ForceAttemptHTTP2 = true
	idle.apply(t)
	// The write buffer stays at its 4 KiB default although a ~20 KB request
	// then costs a short-lived copy buffer of its size (the transport wraps
	// the body in a LimitReader): a 32 KiB buffer avoided that but is held
	// by every upstream connection, idle or streaming, and took a thousand
	// slow streams from ~86 to ~114 KiB each in the load harness. Over
	// plain HTTP the copy buffer now comes from a pool (copyConn).
	t.DialContext = pooledCopyDialer(t.DialContext)
	if caFile != "" {
		roots, err := rootsWith(caFile)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return t, nil
}

// apply sets p on t.
func (p idlePolicy) apply(t *http.Transport) {
	t.IdleConnTimeout = p.idleConn
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: p.pingAfter, PingTimeout: p.pingTimeout}
}

// rootsWith is the system's root CAs plus those of the PEM file at path.
func rootsWith(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream CA file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool() // no system pool on this platform: the file's CAs alone
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("proxy: upstream CA file %s holds no PEM certificate", path)
	}
	return roots, nil
}

// RoundTripError is a failed upstream round trip, classified by the one
// thing that decides whether it may be replayed: whether the request was
// fully written to the upstream. Like caddy's DialError, the decision is
// carried by the type, not guessed from the error's text.
type RoundTripError struct {
	// Err is the transport's error.
	Err error
	// Sent reports that the whole request reached the upstream before the
	// failure: it may be generating (and billing) an answer, so the request
	// must not be sent again.
	Sent bool
}

func (e *RoundTripError) Error() string {
	if e.Sent {
		return "upstream failed after the request was sent: " + e.Err.Error()
	}
	return "upstream failed before the request was sent: " + e.Err.Error()
}

func (e *RoundTripError) Unwrap() error { return e.Err }

// Timeout reports whether the failure was a timeout (a dial timeout, or no
// response headers within the transport's ResponseHeaderTimeout).
func (e *RoundTripError) Timeout() bool {
	var te interface{ Timeout() bool }
	return errors.As(e.Err, &te) && te.Timeout()
}

// Replayable reports whether the request can be sent again without risk of
// the upstream processing it twice: only when it never fully left.
func (e *RoundTripError) Replayable() bool { return !e.Sent }

// roundTrip sends req and, on failure, returns a *RoundTripError that says
// whether the request was written. The transport reports the end of the
// write through httptrace (from its write goroutine, hence the atomic).
func (s *Service) roundTrip(req *http.Request) (*http.Response, error) {
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				sent.Store(true)
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		return nil, &RoundTripError{Err: err, Sent: sent.Load()}
	}
	return resp, nil
}
