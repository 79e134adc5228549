package proxy

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/openai"
)

// anthropicVersion is sent with translated requests: OpenAI clients send
// none, and the Messages API reads no body without one.
const anthropicVersion = "2023-06-01"

// openaiRoutes registers the OpenAI dialect: Chat Completions, and the
// model list for clients that are not Anthropic's (v1 serves those).
// openaiDialect, in front of the guards, already chose the dialect.
func (s *Service) openaiRoutes(mux *http.ServeMux, v1 http.Handler) {
	mux.Handle("POST /v1/chat/completions", s.requireKey(s.limitBody(http.HandlerFunc(s.chatCompletions))))
	models := s.requireKey(s.limitBody(http.HandlerFunc(s.openaiModels)))
	byDialect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requestOf(r).ow == nil {
			v1.ServeHTTP(w, r)
			return
		}
		models.ServeHTTP(w, r)
	})
	mux.Handle("GET /v1/models", byDialect)
	mux.Handle("GET /v1/models/{id}", byDialect)
}

// isOpenAIRequest reports whether r is in OpenAI's dialect. Both dialects
// list models at /v1/models, and OpenAI paths Sluice answers locally
// (notserved.go) are answered in the dialect of the client's headers
// (anthropicClient).
func isOpenAIRequest(r *http.Request) bool {
	switch p := r.URL.Path; {
	case p == "/v1/chat/completions":
		return true
	case p == "/v1/models" || strings.HasPrefix(p, "/v1/models/") || notServed(r):
		return !anthropicClient(r)
	}
	return false
}

// chatCompletions translates a Chat Completions request into a Messages
// request and sends it down the same path as /v1/messages: account choice,
// session affinity, credentials, failover, retries, journal. Only the body
// changes (and anthropic-version, which the body's dialect requires); the
// client's headers go upstream as they came, as with any client.
func (s *Service) chatCompletions(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	req.err = s.chat(w, req)
}

func (s *Service) chat(w http.ResponseWriter, req *request) error {
	r := req.r
	rec := s.record(req)
	if err := s.openaiScope(req); err != nil {
		return err
	}
	bb, err := readBody(http.MaxBytesReader(w, r.Body, s.cfg.BodyLimit), r.ContentLength, s.cfg.BodyLimit)
	defer bb.drop() // the translation below is a copy
	if err != nil {
		return bodyReadFailed(err)
	}
	msgs, opts, err := openai.ToMessages(bb.b)
	if err != nil {
		if m := requestModel(bb.b); modelName(m) {
			rec.Model = m
		}
		return err // an *openai.RequestError: 400, naming the field
	}
	bb.drop() // msgs is a copy: a long stream need not hold the original
	created := s.now().Unix()
	ow := req.ow
	ow.json = func(b []byte) ([]byte, error) { return openai.FromMessage(b, created) }
	if opts.Stream {
		ow.stream = &openai.Stream{Out: ow.w, IncludeUsage: opts.IncludeUsage, Created: created}
	}
	translate(req, "/v1/messages", "", msgs)
	return s.forwardRequest(w, req)
}

// openaiModels lists the models the upstream lists, or describes one, in
// OpenAI's shape.
func (s *Service) openaiModels(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	if id := r.PathValue("id"); id != "" {
		req.ow.json = openai.FromModel
		translate(req, "/v1/models/"+url.PathEscape(id), "", nil)
	} else {
		req.ow.json = openai.FromModels
		// The Models API pages 20 at a time by default; 1000 is its
		// maximum and more than it lists.
		translate(req, "/v1/models", "limit=1000", nil)
	}
	req.err = s.forwardRequest(w, req)
}

// translate makes req carry body for the upstream endpoint path. The
// journal keeps the path the client asked for.
func translate(req *request, path, query string, body []byte) {
	req.upstreamPath = path
	r2 := req.r.Clone(req.r.Context())
	req.r = r2
	r2.URL.RawQuery = query
	if r2.Header.Get("Anthropic-Version") == "" {
		r2.Header.Set("Anthropic-Version", anthropicVersion)
	}
	r2.Header.Del("Content-Length")
	if body == nil {
		r2.Body, r2.ContentLength = http.NoBody, 0
		return
	}
	r2.Body, r2.ContentLength = &drainedBody{b: body}, int64(len(body))
	r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
}

// drainedBody reads b once and lets go of it at the end: forward reads the
// whole body up front, and the request it keeps for the life of a stream
// must not keep a second copy of the translated body.
type drainedBody struct{ b []byte }

func (d *drainedBody) Read(p []byte) (int, error) {
	if len(d.b) == 0 {
		d.b = nil
		return 0, io.EOF
	}
	n := copy(p, d.b)
	d.b = d.b[n:]
	if len(d.b) == 0 {
		d.b = nil
	}
	return n, nil
}

func (d *drainedBody) Close() error { d.b = nil; return nil }
