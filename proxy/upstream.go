package proxy

import (
	"errors"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
)

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
