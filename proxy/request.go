package proxy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
)

// request is one client request, resolved once as it passes the guards and
// carried in one context value from the entry to the exit: who sent it, in
// which dialect, for which model and session, its body, its journal record
// and the state of its attempts. Each stage fills in what it learns; none
// reads back what an earlier one already found.
type request struct {
	r     *http.Request
	start time.Time

	// The client key (requireKey): nil when none was given (keys off, or
	// passthrough). scope is the set of accounts it may use, nil for all;
	// pool.Pick applies it.
	key     *clientkey.Key
	keyRes  *clientkey.Reservation // its daily-cost reservation (reserveKeyCost)
	keyName string
	scope   map[string]bool

	// ow is the OpenAI dialect's writer, nil for Anthropic clients. The
	// handler sets how it translates a 2xx answer (chat.go).
	ow *openaiWriter
	// upstreamPath is the upstream endpoint of a translated request, whose
	// client asked for another path; "" sends the client's path.
	upstreamPath string

	settings *api.ProxySettings // one snapshot of the proxy settings for the whole request
	session  string
	model    string   // the body's "model", for model-scoped limits
	body     []byte   // nil once an answer is being relayed
	bb       *bodyBuf // body's pooled buffer: upstream requests read it through bb.reader

	rec     *journal.Record // nil for requests the journal does not keep (guards, health)
	capture *capture        // bodies being captured; nil when capture is off
	err     error           // why the request failed; answered by the one exit (failure.go)

	// Retry state, across upstream attempts.
	guard   pool.Signal     // the plan guard stopped this request on an account (classify.go)
	exclude map[string]bool // accounts that failed over: not tried again
	last    *refusal        // the last refusal kept for the client, if any
	retries int
	delay   time.Duration
	// maxRetries is the retry budget, from the settings in force when
	// the request arrived (proxysettings.go).
	maxRetries int
	charge     *pool.Charge // the quota ledger's charge of the current attempt (ledger.go)
}

// requestCtx carries a request's *request in its context.
type requestCtx struct{}

// requestOf is the request value of r, set by serve; nil for a handler
// reached some other way (a test calling it directly).
func requestOf(r *http.Request) *request {
	req, _ := r.Context().Value(requestCtx{}).(*request)
	return req
}

// serve is the entry and the exit of every request: it makes the request
// value, hands it down the guards and routes, and then answers whatever
// failure they returned, once, in the client's dialect (fail), and
// journals the record. The journal write is deferred: a relay that aborts
// a cut JSON answer (panic(http.ErrAbortHandler)) is still journaled.
func (s *Service) serve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &request{start: time.Now()}
		if isOpenAIRequest(r) {
			req.ow = &openaiWriter{w: w}
			w = req.ow
		}
		req.r = r.WithContext(context.WithValue(r.Context(), requestCtx{}, req))
		defer s.journal(req)
		next.ServeHTTP(w, req.r)
		if req.err != nil {
			s.fail(w, req)
		}
		if req.ow != nil {
			req.ow.finish()
		}
	})
}

// record starts the request's journal record, once: the requests that
// reach a route are journaled, the ones the guards refused are not.
func (s *Service) record(req *request) *journal.Record {
	if req.rec == nil {
		req.rec = newRecord(req.r, s.now())
		if req.key != nil {
			req.rec.ClientKeyID = req.key.ID()
		}
	}
	return req.rec
}

// setModel keeps the model the client asked for, so a request refused
// before any account answered (every account limited, a key over its cap)
// is still journaled under its model; the upstream's answer names the
// model it used and replaces this. Only a name shaped like a model's: each
// model is a row in the usage rollups, not free text.
func (req *request) setModel(model string) {
	req.model = model
	if req.rec != nil && modelName(model) {
		req.rec.Model = model
	}
}

// journal hands a finished request's record to the journal's writer and
// counts it toward its key's day and its session.
func (s *Service) journal(req *request) {
	rec := req.rec
	if rec == nil {
		return
	}
	rec.Duration = time.Since(req.start)
	if req.capture != nil {
		s.finishCapture(rec, req.capture)
	}
	s.journalRecord(rec, req)
	s.addKeyCost(req, rec.Time, rec.CostMicros)
	if req.session != "" {
		s.sessions.observe(req.session, *rec, s.now(), req.settings.SessionWindow, s.shareResets(rec))
	}
}

// sessionKey identifies a client session for account affinity: Claude
// Code's session header when present, else a coarse fingerprint of the
// client, so one program keeps one account and its prompt cache.
func sessionKey(r *http.Request) string {
	if id := r.Header.Get("X-Claude-Code-Session-Id"); id != "" {
		return "cc:" + id
	}
	sum := sha256.Sum256([]byte(r.Header.Get("User-Agent")))
	return "fp:" + hex.EncodeToString(sum[:8])
}
