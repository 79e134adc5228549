package proxy

import (
	"net/http"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// openaiOnlyPaths are OpenAI endpoints Anthropic does not serve and Sluice
// does not translate (a path or a path prefix ending in "/"). Forwarding
// them would send an OpenAI request to Anthropic under one of the user's
// accounts, to come back as an Anthropic 404 the OpenAI client cannot
// read; Sluice answers them itself. Anthropic's batches live at
// /v1/messages/batches, so /v1/batches is OpenAI's alone.
var openaiOnlyPaths = []string{
	"/v1/responses", "/v1/responses/", "/v1/embeddings", "/v1/completions",
	"/v1/audio/", "/v1/images/", "/v1/moderations", "/v1/batches", "/v1/batches/",
	"/v1/fine_tuning/", "/v1/assistants", "/v1/assistants/", "/v1/threads", "/v1/threads/",
	"/v1/vector_stores", "/v1/vector_stores/", "/v1/uploads", "/v1/uploads/",
	"/v1/realtime/", "/v1/evals", "/v1/evals/",
}

// sharedPaths are endpoints both APIs serve under one path (Anthropic's
// Files API is /v1/files too): the client's dialect decides.
var sharedPaths = []string{"/v1/files", "/v1/files/"}

func matchPath(p string, paths []string) bool {
	for _, q := range paths {
		if p == q || strings.HasSuffix(q, "/") && strings.HasPrefix(p, q) {
			return true
		}
	}
	return false
}

// anthropicClient reports whether r comes from an Anthropic client: those
// always send anthropic-version (the API refuses requests without it) and
// often x-api-key; OpenAI's send neither, only a Bearer key.
func anthropicClient(r *http.Request) bool {
	return r.Header.Get("Anthropic-Version") != "" || len(r.Header.Values("X-Api-Key")) > 0
}

// notServed reports whether r asks for an OpenAI endpoint Sluice answers
// locally with a 404: an OpenAI-only path whoever asks, or a path both
// APIs serve asked in OpenAI's dialect. Never forwarded.
func notServed(r *http.Request) bool {
	p := r.URL.Path
	return matchPath(p, openaiOnlyPaths) || matchPath(p, sharedPaths) && !anthropicClient(r)
}

// notServedHandler answers an OpenAI path Sluice does not translate: 404,
// as OpenAI answers an unknown path, naming what Sluice does serve. The
// request is journaled so `sluice logs` explains a client's failure.
func (s *Service) notServedHandler(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	s.record(req)
	req.err = &httpError{status: http.StatusNotFound, kind: errNotFound, noRetry: true,
		reason: journal.ReasonNotServed.With(sanitize(r.URL.Path)),
		msg: "Sluice does not serve " + r.Method + " " + sanitize(r.URL.Path) +
			": for OpenAI clients it translates POST /v1/chat/completions and GET /v1/models only" +
			" (with the Vercel AI SDK, use openai.chat(model) rather than openai(model), which calls /v1/responses)."}
}
