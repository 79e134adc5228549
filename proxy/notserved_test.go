package proxy_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// The OpenAI paths Sluice does not translate are answered by Sluice with
// an OpenAI 404 naming what it serves, read by the real OpenAI SDK, and
// never reach the upstream under one of the user's accounts.
func TestOpenAIPathsNotServedAreAnsweredLocally(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	c := openaiClient(e)
	ctx := context.Background()
	calls := map[string]func() error{
		"/v1/responses": func() error {
			_, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "claude-sonnet-4-5",
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello")}})
			return err
		},
		"/v1/embeddings": func() error {
			_, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
				Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("Hello")}})
			return err
		},
		"/v1/completions": func() error {
			_, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-3.5-turbo-instruct",
				Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Hello")}})
			return err
		},
		"/v1/moderations": func() error {
			_, err := c.Moderations.New(ctx, openai.ModerationNewParams{Input: openai.ModerationNewParamsInputUnion{OfString: openai.String("x")}})
			return err
		},
		"/v1/batches": func() error { _, err := c.Batches.Get(ctx, "batch_1"); return err },
		"/v1/files":   func() error { _, err := c.Files.Get(ctx, "file_1"); return err },
	}
	for path, call := range calls {
		t.Run(strings.TrimPrefix(path, "/v1/"), func(t *testing.T) {
			err := call()
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want an OpenAI API error, got %v", err)
			}
			// OpenAI answers an unknown path 404 invalid_request_error.
			if apiErr.StatusCode != http.StatusNotFound || apiErr.Type != "invalid_request_error" {
				t.Errorf("status %d type %q, want 404 invalid_request_error", apiErr.StatusCode, apiErr.Type)
			}
			for _, want := range []string{"/v1/chat/completions", "/v1/models", path} {
				if !strings.Contains(apiErr.Message, want) {
					t.Errorf("message %q does not name %s", apiErr.Message, want)
				}
			}
		})
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Errorf("the upstream received %d requests for paths Sluice does not serve", n)
	}
	var recs []journal.Record
	testkit.WaitFor(t, "the refusals journaled", func() bool {
		recs, _ = e.db.Records(ctx, journal.Query{})
		return len(recs) == len(calls)
	})
	for _, r := range recs {
		if r.Status != http.StatusNotFound || !strings.HasPrefix(string(r.Error), string(journal.ReasonNotServed)) {
			t.Errorf("%s journaled %d %q", r.Path, r.Status, r.Error)
		}
	}
}

// Anthropic serves /v1/files and /v1/messages/batches itself: an
// Anthropic client's requests there are forwarded as before, while an
// OpenAI-only path is refused in Anthropic's shape to an Anthropic client.
func TestAnthropicPathsBesideOpenAIOnesAreForwarded(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	anthropic := map[string]string{"Anthropic-Version": "2023-06-01", "Anthropic-Beta": "files-api-2025-04-14"}
	for _, path := range []string{"/v1/files", "/v1/files/file_1", "/v1/messages/batches", "/v1/messages/batches/b_1"} {
		resp := e.do("GET", path, "", anthropic)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want the upstream's 200", path, resp.StatusCode)
		}
	}
	if n := len(e.fake.Received()); n != 4 {
		t.Errorf("upstream received %d requests, want 4", n)
	}
	// An Anthropic client is answered in its own shape.
	readError(t, e.do("POST", "/v1/embeddings", `{}`, anthropic), http.StatusNotFound, "not_found_error")
	if n := len(e.fake.Received()); n != 4 {
		t.Errorf("/v1/embeddings reached the upstream")
	}
}
