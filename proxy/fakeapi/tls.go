package fakeapi

import (
	"crypto/tls"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"sync/atomic"
)

// The real API is TLS 1.3 with HTTP/2; StartTLS serves the fake the same
// way, so the load harness and the idle-connection tests measure what
// users pay: handshakes, multiplexing, reuse after a pause.

// tlsCounts are the fake's TLS listener's figures.
type tlsCounts struct {
	handshakes atomic.Int64 // ClientHellos received (full or resumed)
	open       atomic.Int64 // connections accepted and not yet closed
	accepted   atomic.Int64 // connections accepted in all
}

// StartTLS starts the fake over TLS on loopback, offering HTTP/2 and
// HTTP/1.1 (ALPN), with httptest's self-signed certificate (for
// "example.com", 127.0.0.1 and ::1). Only clients given that certificate
// (CAFile, or Client()) trust it. Handshakes and connections are counted
// (TLSStats). Call it instead of Start.
func (s *Server) StartTLS() {
	s.EnableHTTP2 = true
	s.TLS = &tls.Config{
		NextProtos: []string{"h2", "http/1.1"},
		// Called once per ClientHello: every handshake, resumed or full.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.tls.handshakes.Add(1)
			return nil, nil
		},
	}
	prev := s.Config.ConnState
	s.Config.ConnState = func(c net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.tls.open.Add(1)
			s.tls.accepted.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.tls.open.Add(-1)
		}
		if prev != nil {
			prev(c, st)
		}
	}
	s.Server.StartTLS()
}

// TLSStats reports the handshakes the fake's TLS listener has seen, the
// connections open now and the connections accepted in all (zero before
// StartTLS, or when the fake serves plain HTTP).
func (s *Server) TLSStats() (handshakes, open, accepted int64) {
	return s.tls.handshakes.Load(), s.tls.open.Load(), s.tls.accepted.Load()
}

// WriteCAFile writes the fake's certificate as a PEM file at path, for a
// client's extra trusted CAs (Sluice's SLUICE_UPSTREAM_CA_FILE, nginx's
// proxy_ssl_trusted_certificate).
func (s *Server) WriteCAFile(path string) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o600)
}
