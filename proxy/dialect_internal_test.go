package proxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/clientkey"
	"github.com/sluice-proxy/sluice/proxy/openai"
)

type openaiErrorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// Every error Sluice writes itself reaches an OpenAI client in OpenAI's
// shape, with its status and headers kept, written by the one exit at once:
// nothing of it passes through the writer that rewrites the upstream's
// answers.
func TestOneExitWritesSluiceErrorsInOpenAIShape(t *testing.T) {
	s := &Service{}
	rte := &RoundTripError{Err: &timeoutErr{}, Sent: true}
	cases := []struct {
		name   string
		err    error
		status int
		typ    string
		header string // a header that must survive, if any
	}{
		{"413", &http.MaxBytesError{Limit: 10}, 413, "invalid_request_error", ""},
		{"400 bad JSON", &httpError{status: 400, kind: errInvalidRequest, msg: "not JSON"}, 400, "invalid_request_error", ""},
		{"429 key limit", keyRefusal(&clientkey.Refusal{Limit: clientkey.LimitRPM, Wait: 3 * time.Second, Message: "over its limit"}), 429, "rate_limit_error", "Retry-After"},
		{"401", authError(clientkey.Missing), 401, "invalid_request_error", "X-Should-Retry"},
		{"502", &httpError{status: 502, kind: errAPI, msg: "broke"}, 502, "server_error", ""},
		{"504", rte, 504, "server_error", ""},
		{"503 no account", &httpError{status: 503, kind: errOverloaded, msg: "no usable account"}, 503, "server_error", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ow := &openaiWriter{w: rec, json: func([]byte) ([]byte, error) { t.Fatal("error body translated as an answer"); return nil, nil }}
			s.fail(ow, &request{ow: ow, err: tc.err})
			if ow.status != 0 || ow.buf.Len() != 0 {
				t.Fatalf("the error went through the OpenAI writer (status %d, %d bytes buffered)", ow.status, ow.buf.Len())
			}
			ow.finish()
			var got openaiErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if rec.Code != tc.status || got.Error.Type != tc.typ || got.Error.Message == "" || strings.Contains(rec.Body.String(), `"type":"error"`) {
				t.Errorf("status %d body %s", rec.Code, rec.Body)
			}
			if strings.Contains(got.Error.Message, "ANTHROPIC_") {
				t.Errorf("an OpenAI client is told to set an Anthropic variable: %s", got.Error.Message)
			}
			if tc.header != "" && rec.Header().Get(tc.header) == "" {
				t.Errorf("%s lost", tc.header)
			}
		})
	}
}

type timeoutErr struct{}

func (*timeoutErr) Error() string { return "timeout" }
func (*timeoutErr) Timeout() bool { return true }

func TestOpenAIWriterAnswers(t *testing.T) {
	t.Run("JSON answer translated, upstream length dropped", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ow := &openaiWriter{w: rec, json: func(b []byte) ([]byte, error) { return []byte(`{"n":` + string(b) + `}`), nil }}
		ow.Header().Set("Content-Type", "application/json")
		ow.Header().Set("Content-Length", "1")
		ow.WriteHeader(200)
		_, _ = ow.Write([]byte("1"))
		ow.finish()
		if rec.Code != 200 || rec.Body.String() != `{"n":1}` || rec.Header().Get("Content-Length") != "" {
			t.Errorf("status %d body %q header %v", rec.Code, rec.Body, rec.Header())
		}
	})
	t.Run("untranslatable answer is a 502", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ow := &openaiWriter{w: rec, json: openai.FromModels}
		_, _ = ow.Write([]byte("<html>"))
		ow.finish()
		if rec.Code != 502 || !strings.Contains(rec.Body.String(), "could not be translated") {
			t.Errorf("status %d body %s", rec.Code, rec.Body)
		}
	})
	t.Run("oversized answer is a 502", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ow := &openaiWriter{w: rec, json: openai.FromModels}
		ow.WriteHeader(200)
		if _, err := ow.Write(make([]byte, maxTranslated+1)); err == nil {
			t.Fatal("an answer over the bound was buffered")
		}
		ow.finish()
		if rec.Code != 502 || !strings.Contains(rec.Body.String(), "too large") {
			t.Errorf("status %d body %.200s", rec.Code, rec.Body)
		}
	})
	t.Run("stream translated as it is written", func(t *testing.T) {
		rec := httptest.NewRecorder()
		ow := &openaiWriter{w: rec, stream: &openai.Stream{Out: rec}}
		ow.Header().Set("Content-Type", "text/event-stream")
		ow.WriteHeader(200)
		_, _ = ow.Write([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\"}}\n\n"))
		ow.Flush()
		if !rec.Flushed || !strings.Contains(rec.Body.String(), `"role":"assistant"`) {
			t.Fatalf("first chunk not written and flushed: flushed=%v %q", rec.Flushed, rec.Body)
		}
		_, _ = ow.Write([]byte("data: {\"type\":\"message_stop\"}\n\n"))
		ow.finish()
		if !strings.HasSuffix(rec.Body.String(), "data: [DONE]\n\n") {
			t.Errorf("stream %q", rec.Body)
		}
	})
}
