package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"
)

// upstreamDown is the upstream's state while it cannot be reached: why,
// and since when. The Service holds a nil pointer while it can.
type upstreamDown struct {
	cause string
	since time.Time
}

// upstreamState is whether the upstream is reachable, read on every
// request with one atomic load.
type upstreamState struct{ down atomic.Pointer[upstreamDown] }

// unreachableError is a request that could not reach the upstream at all
// (refused, unresolvable, a TLS failure): nothing was sent, no account is
// at fault, and a backoff loop would only make the client wait.
type unreachableError struct {
	host  string
	cause string
}

func (e *unreachableError) Error() string { return "cannot reach " + e.host + ": " + e.cause }

// unreachableCause says why a round trip that never sent its request
// could not reach the upstream, if that is what happened: the connection
// refused, the name unresolvable, the TLS handshake failed. Other
// failures (a timeout, a reset) keep their retry with backoff.
func unreachableCause(rte *RoundTripError) (string, bool) {
	if rte.Sent {
		return "", false
	}
	var (
		dns     *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		op      *net.OpError
	)
	switch {
	case errors.As(rte.Err, &dns):
		return "the name " + dns.Name + " does not resolve (DNS failure)", true
	case errors.Is(rte.Err, syscall.ECONNREFUSED):
		return "the connection was refused", true
	case errors.As(rte.Err, &certErr), errors.As(rte.Err, &unknown), errors.As(rte.Err, &hostErr):
		return "its TLS certificate was not accepted", true
	case errors.As(rte.Err, &recErr), errors.As(rte.Err, &alert):
		return "the TLS handshake failed", true
	case errors.Is(rte.Err, syscall.ENETUNREACH), errors.Is(rte.Err, syscall.EHOSTUNREACH):
		return "the network is unreachable", true
	case errors.As(rte.Err, &op) && op.Op == "dial" && !op.Timeout():
		return "the connection failed", true
	}
	return "", false
}

// upstreamHost is the upstream's host, for messages.
func (s *Service) upstreamHost() string {
	if u, err := url.Parse(s.cfg.Upstream); err == nil && u.Host != "" {
		return u.Host
	}
	return "the Anthropic API"
}

// upstreamFailed records that the upstream cannot be reached, and tells
// subscribers when that is news (the tray shows its error state).
func (s *Service) upstreamFailed(cause string) {
	cur := s.upstream.down.Load()
	if cur != nil && cur.cause == cause {
		return
	}
	next := &upstreamDown{cause: cause, since: s.now()}
	if cur != nil {
		next.since = cur.since // still down, for another reason
	}
	if s.upstream.down.CompareAndSwap(cur, next) {
		s.log.Warn("the upstream cannot be reached", "host", s.upstreamHost(), "cause", cause)
		s.publishUpstream()
	}
}

// upstreamReached clears the unreachable state once an answer came back:
// one atomic load per request while all is well.
func (s *Service) upstreamReached() {
	if cur := s.upstream.down.Load(); cur != nil && s.upstream.down.CompareAndSwap(cur, nil) {
		s.log.Info("the upstream can be reached again", "host", s.upstreamHost())
		s.publishUpstream()
	}
}

// UpstreamError says why the upstream cannot be reached and since when;
// "" while it can.
func (s *Service) UpstreamError() (string, time.Time) {
	if cur := s.upstream.down.Load(); cur != nil {
		return "cannot reach " + s.upstreamHost() + ": " + cur.cause, cur.since
	}
	return "", time.Time{}
}
