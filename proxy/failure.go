package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/openai"
	"github.com/sluice-proxy/sluice/proxy/redact"
)

// Anthropic error types, as the Messages API names them, so clients react to
// Sluice's errors exactly as they would to the API's.
const (
	errInvalidRequest = "invalid_request_error"
	errAuthentication = "authentication_error"
	errPermission     = "permission_error"
	errNotFound       = "not_found_error"
	errTooLarge       = "request_too_large"
	errRateLimit      = "rate_limit_error"
	errAPI            = "api_error"
	errOverloaded     = "overloaded_error"
)

// statusClientGone is the journal's status for a request whose client hung
// up before it was answered (nginx's 499): nobody is left to answer.
const statusClientGone = 499

// httpError is a failure Sluice answers itself, built where it is found
// and answered by fail: the status and Anthropic error type the client
// gets, a message (no secret in it), and the journal's reason.
type httpError struct {
	status int
	kind   string // the Anthropic error type (errInvalidRequest...)
	msg    string
	reason journal.Reason
	// retryAfter, when set, is sent as Retry-After in whole seconds (at
	// least one).
	retryAfter time.Duration
	// noRetry tells the Anthropic SDKs not to retry (X-Should-Retry): a
	// retry cannot help until the user changes something.
	noRetry bool
	// param names the request field at fault, for OpenAI clients.
	param string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.kind, e.msg) }

// errClientGone ends a request whose client went away: journaled 499,
// answered to no one.
var errClientGone = &httpError{status: statusClientGone, reason: journal.ReasonClientGone}

// failureOf maps a request's error to its answer: the one place that says
// which status each failure gets, and why.
func failureOf(err error) *httpError {
	var (
		he      *httpError
		rte     *RoundTripError
		tooBig  *http.MaxBytesError
		transl  *openai.RequestError
		refused *refusal
		unreach *unreachableError
	)
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &refused):
		return &httpError{status: refused.status, reason: journal.ReasonRefusedByEvery}
	case errors.Is(err, context.Canceled):
		// The client hung up: there is no one to answer.
		return errClientGone
	case errors.As(err, &unreach):
		// 502 at once: the upstream cannot be reached at all (refused,
		// unresolvable, TLS), so nothing was sent. No retry header: an
		// SDK's silent retries would hide the cause for minutes.
		return &httpError{status: http.StatusBadGateway, kind: errAPI, noRetry: true,
			reason: journal.ReasonUpstreamUnreachable.With(unreach.cause),
			msg: "Sluice cannot reach the Anthropic API at " + unreach.host + ": " + unreach.cause +
				". Check the network connection (and any proxy or firewall); `sluice status` says when it is reachable again."}
	case errors.As(err, &rte) && rte.Sent && rte.Timeout():
		// 504: the upstream took too long. The request may still be
		// running there, so Sluice does not send it again and leaves a
		// retry to the client. The same on the pooled and the passthrough
		// path.
		return &httpError{status: http.StatusGatewayTimeout, kind: errAPI, reason: journal.ReasonUpstreamTimeout,
			msg: "The Anthropic API did not answer in time. The request was sent and may have been processed; Sluice did not send it again."}
	case errors.As(err, &rte) && rte.Sent:
		// 502: the upstream broke the connection after it had the
		// request, which may have run: not sent again either.
		return &httpError{status: http.StatusBadGateway, kind: errAPI, reason: journal.ReasonUpstreamLost,
			msg: "The connection to the Anthropic API broke after the request was sent; it may have been processed, so Sluice did not send it again."}
	case errors.As(err, &rte):
		// 502: the upstream could not be reached at all (every replay
		// failed before the request left).
		return &httpError{status: http.StatusBadGateway, kind: errAPI, reason: journal.ReasonUpstreamUnreachable,
			msg: "Sluice could not reach the Anthropic API: " + netReason(rte)}
	case errors.As(err, &tooBig):
		// 413, as the API answers a body over its own limit.
		return &httpError{status: http.StatusRequestEntityTooLarge, kind: errTooLarge, reason: journal.ReasonBodyTooLarge,
			msg: fmt.Sprintf("request body exceeds Sluice's limit of %d bytes", tooBig.Limit)}
	case errors.As(err, &transl):
		// 400: the Chat Completions request cannot be put in Claude's
		// terms; the client must change it.
		return &httpError{status: http.StatusBadRequest, kind: errInvalidRequest, msg: err.Error(), param: transl.Param,
			reason: journal.ReasonNotTranslatable.With(sanitize(err.Error()))}
	}
	// 500: a failure no case above names is Sluice's own.
	return &httpError{status: http.StatusInternalServerError, kind: errAPI, reason: journal.ReasonInternal,
		msg: "Sluice failed to handle this request."}
}

// fail is the one exit of a failed request: it journals the failure's
// status and reason on the request's record and answers the client in its
// dialect, Anthropic's {"type":"error","error":{...}} or OpenAI's
// {"error":{...}}. Nothing else answers a request with an error before an
// upstream answer is relayed; after that, relay ends a cut stream with an
// error event, and the OpenAI writer answers 502 for an answer it cannot
// translate (the journal says why).
func (s *Service) fail(w http.ResponseWriter, req *request) {
	e := failureOf(req.err)
	if req.rec != nil {
		req.rec.Status, req.rec.Error = e.status, e.reason
	}
	if e.status == statusClientGone {
		return
	}
	var refused *refusal
	if errors.As(req.err, &refused) {
		// Every account refused this request itself: relay the upstream's
		// own answer, which says why (an OpenAI client gets it translated
		// by its writer).
		copyResponseHeader(w.Header(), refused.header)
		w.Header().Set("Content-Length", fmt.Sprint(len(refused.body)))
		w.WriteHeader(refused.status)
		_, _ = w.Write(refused.body)
		return
	}
	h := w.Header()
	if e.retryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(max(int64(math.Ceil(e.retryAfter.Seconds())), 1)))
	}
	if e.noRetry {
		h.Set("X-Should-Retry", "false")
	}
	if req.ow != nil {
		// Written in OpenAI's shape at once, past the writer that
		// translates the upstream's answers.
		writeOpenAIError(req.ow.w, e)
		return
	}
	writeError(w, e)
}

// ownHeaders marks a response Sluice wrote itself: never cached, never
// leaking where it came from, never sniffed.
func ownHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
}

// errorHeaders are the headers of every error Sluice writes.
func errorHeaders(h http.Header) {
	h.Set("Content-Type", "application/json")
	h.Set("x-sluice-error", "1")
	ownHeaders(h)
}

// writeError answers in Anthropic's error shape.
func writeError(w http.ResponseWriter, e *httpError) {
	errorHeaders(w.Header())
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}{Type: "error", Error: struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{e.kind, redact.String(e.msg)}})
}

// writeOpenAIError answers in OpenAI's error shape, naming the offending
// field when there is one, as OpenAI does. Sluice's messages tell
// Anthropic clients which variable to set; an OpenAI client takes its key
// elsewhere.
func writeOpenAIError(w http.ResponseWriter, e *httpError) {
	msg := strings.Replace(e.msg, setKeyHelp, openaiKeyHelp, 1)
	oe := openai.NewError(e.kind, redact.String(msg))
	if e.param != "" {
		oe.Param = &e.param
	}
	errorHeaders(w.Header())
	w.WriteHeader(e.status)
	_, _ = w.Write(openai.ErrorBody(oe))
}
