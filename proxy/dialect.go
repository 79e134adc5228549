package proxy

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/sluice-proxy/sluice/proxy/openai"
)

// maxTranslated bounds a JSON answer buffered for translation into
// OpenAI's shape (a whole answer must be read before it can be rewritten).
const maxTranslated = maxCapture

// openaiKeyHelp is setKeyHelp for OpenAI clients.
const openaiKeyHelp = "Set your OpenAI client's API key (OPENAI_API_KEY, or the client's api_key) to a Sluice client key and its base URL to Sluice's address ending in /v1: the key shown when Sluice first started, or a new one from `sluice keys create NAME` or the Sluice window."

var errTooBigToTranslate = errors.New("proxy: answer too large to translate")

// openaiWriter stands between the engine and an OpenAI client (serve puts
// it on the request). What the upstream writes passes through it: its
// errors, in Claude's shape, are rewritten into OpenAI's with the same
// status, a Messages answer into a chat.completion, an event stream into
// chat.completion.chunk events. The forward path writes to it as to any
// client, so it needs no change. Sluice's own errors do not pass through
// it: the one exit writes them in OpenAI's shape (failure.go).
type openaiWriter struct {
	w http.ResponseWriter
	// json translates a 2xx JSON answer; nil relays it untouched.
	json func([]byte) ([]byte, error)
	// stream translates a 2xx event stream; nil relays it untouched.
	stream *openai.Stream

	status   int
	buffered bool // the body is being kept in buf to be rewritten in finish
	tooBig   bool // the buffered body outgrew maxTranslated
	streamed bool // the body goes through stream
	buf      bytes.Buffer
}

func (o *openaiWriter) Header() http.Header { return o.w.Header() }

// Unwrap lets http.ResponseController reach the connection (read
// deadlines set while the request body streams in).
func (o *openaiWriter) Unwrap() http.ResponseWriter { return o.w }

func (o *openaiWriter) WriteHeader(status int) {
	if o.status != 0 {
		return
	}
	o.status = status
	h := o.w.Header()
	switch {
	case status >= 400 || status >= 200 && status < 300 && o.json != nil && !isEventStream(h.Get("Content-Type")):
		o.buffered = true
		return // written in finish, once the body is rewritten
	case status >= 200 && status < 300 && o.stream != nil && isEventStream(h.Get("Content-Type")):
		o.streamed = true
		h.Del("Content-Length")
	}
	o.w.WriteHeader(status)
}

func (o *openaiWriter) Write(p []byte) (int, error) {
	if o.status == 0 {
		o.WriteHeader(http.StatusOK)
	}
	switch {
	case o.streamed:
		return o.stream.Write(p)
	case o.buffered:
		if o.buf.Len()+len(p) > maxTranslated {
			// Too large to rewrite: not an answer Sluice can translate.
			o.buf.Reset()
			o.tooBig = true
			return 0, errTooBigToTranslate
		}
		return o.buf.Write(p)
	}
	return o.w.Write(p)
}

// Flush passes stream flushes on; buffered bodies are sent in finish.
func (o *openaiWriter) Flush() {
	if !o.buffered {
		_ = http.NewResponseController(o.w).Flush()
	}
}

// finish writes a buffered body, rewritten, and ends an unfinished stream.
func (o *openaiWriter) finish() {
	if o.streamed {
		_ = o.stream.Close()
		o.Flush()
		return
	}
	if !o.buffered {
		return
	}
	body := o.buf.Bytes()
	status := o.status
	if o.tooBig {
		status = http.StatusBadGateway
		body = openai.ErrorBody(openai.NewError("api_error", "The Anthropic API's answer was too large to translate for an OpenAI client (Sluice)."))
	} else if status >= 400 {
		body = openai.TranslateError(status, body)
	} else if out, err := o.json(body); err == nil {
		body = out
	} else {
		status = http.StatusBadGateway
		body = openai.ErrorBody(openai.NewError("api_error", "The Anthropic API's answer could not be translated for an OpenAI client (Sluice)."))
	}
	h := o.w.Header()
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	h.Set("Content-Type", "application/json")
	o.w.WriteHeader(status)
	_, _ = o.w.Write(body)
}
