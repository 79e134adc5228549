package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	oaoption "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// openaiClient is the real OpenAI Go SDK pointed at Sluice the way the
// README tells users to: base URL .../v1, a Sluice client key.
func openaiClient(e *env, opts ...oaoption.RequestOption) openai.Client {
	return openai.NewClient(append([]oaoption.RequestOption{
		oaoption.WithBaseURL(e.srv.URL + "/v1/"),
		oaoption.WithAPIKey(e.key),
		oaoption.WithMaxRetries(0),
	}, opts...)...)
}

func chatParams(msgs ...openai.ChatCompletionMessageParamUnion) openai.ChatCompletionNewParams {
	if len(msgs) == 0 {
		msgs = []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hello")}
	}
	return openai.ChatCompletionNewParams{Model: "claude-sonnet-4-5", Messages: msgs, MaxCompletionTokens: openai.Int(200)}
}

// upstreamUsage is the input token count the fake reports for a request.
func upstreamUsage(t *testing.T, r fakeapi.Request) int64 {
	t.Helper()
	return int64(len(r.Body)/4 + 1)
}

func TestOpenAIChatNonStreamed(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	c := openaiClient(e)
	got, err := c.Chat.Completions.New(context.Background(), chatParams())
	if err != nil {
		t.Fatalf("chat.completions.new through sluice: %v", err)
	}
	if len(got.Choices) != 1 || got.Choices[0].Message.Content != "chunk chunk chunk " || got.Choices[0].FinishReason != "stop" {
		t.Fatalf("unexpected completion %+v", got.Choices)
	}
	if got.Object != "chat.completion" || got.Model != "claude-sonnet-4-5" {
		t.Errorf("object %q model %q", got.Object, got.Model)
	}
	recv := e.fake.Received()
	if len(recv) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(recv))
	}
	r := recv[0]
	if r.Path != "/v1/messages" || r.Credential != accountKey || r.Header.Get("Anthropic-Version") == "" {
		t.Errorf("upstream got path %q, account key %v, anthropic-version %q", r.Path, r.Credential == accountKey, r.Header.Get("Anthropic-Version"))
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "OpenAI/Go") {
		t.Errorf("the client's own User-Agent did not reach the upstream: %q", ua)
	}
	var body struct {
		MaxTokens int `json:"max_tokens"`
		System    []struct {
			Text string `json:"text"`
		} `json:"system"`
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.MaxTokens != 200 || len(body.System) != 1 || body.System[0].Text != "Be brief." || len(body.Messages) != 1 || body.Messages[0].Role != "user" {
		t.Errorf("upstream body not a translated Messages request: %s", r.Body)
	}
	in := upstreamUsage(t, r)
	if got.Usage.PromptTokens != in || got.Usage.CompletionTokens != 6 || got.Usage.TotalTokens != in+6 {
		t.Errorf("usage %+v, want prompt %d completion 6", got.Usage, in)
	}
	rec := e.logsN(1)[0]
	if rec.Path != "/v1/chat/completions" || rec.Status != 200 || rec.InputTokens != in || rec.OutputTokens != 6 || rec.CostMicros == 0 || rec.AccountName != "work" {
		t.Errorf("journal record %+v", rec.Record)
	}
}

func TestOpenAIChatStreamedWithUsage(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Chunks = 4
	c := openaiClient(e)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		chunks++
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	// role, 4 text deltas, finish, usage
	if chunks != 7 {
		t.Errorf("got %d chunks, want 7", chunks)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != strings.Repeat("chunk ", 4) || acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("accumulated %+v", acc.Choices)
	}
	in := upstreamUsage(t, e.fake.Received()[0])
	if acc.Usage.PromptTokens != in || acc.Usage.CompletionTokens != 8 {
		t.Errorf("usage %+v, want prompt %d completion 8", acc.Usage, in)
	}
	rec := e.logsN(1)[0]
	if !rec.Stream || rec.Path != "/v1/chat/completions" || rec.InputTokens != in || rec.OutputTokens != 8 {
		t.Errorf("journal record %+v", rec.Record)
	}
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "lookup",
		Description: openai.String("Look something up"),
		Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"query": map[string]any{"type": "string"}}},
	})
}

// A tool call goes out as tool_calls and its result comes back as a
// tool_result answering the same id, streamed and not.
func TestOpenAIToolCallRoundTrip(t *testing.T) {
	for _, streamed := range []bool{false, true} {
		t.Run(map[bool]string{false: "json", true: "stream"}[streamed], func(t *testing.T) {
			e := newEnv(t)
			e.addKey("work", accountKey)
			c := openaiClient(e)
			ctx := context.Background()
			p := chatParams(openai.UserMessage("Look up chunk"))
			p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool()}
			var msg openai.ChatCompletionMessage
			var finish string
			if streamed {
				stream := c.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				for stream.Next() {
					acc.AddChunk(stream.Current())
				}
				if err := stream.Err(); err != nil {
					t.Fatalf("stream: %v", err)
				}
				msg, finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
			} else {
				got, err := c.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				msg, finish = got.Choices[0].Message, got.Choices[0].FinishReason
			}
			if finish != "tool_calls" || msg.Content != fakeapi.ToolText || len(msg.ToolCalls) != 1 {
				t.Fatalf("finish %q message %+v", finish, msg)
			}
			tc := msg.ToolCalls[0]
			if tc.ID != fakeapi.ToolUseID || tc.Function.Name != "lookup" || tc.Function.Arguments != fakeapi.ToolInput {
				t.Fatalf("tool call %+v", tc)
			}
			p.Messages = append(p.Messages, msg.ToParam(), openai.ToolMessage("found: 42", tc.ID))
			got, err := c.Chat.Completions.New(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Choices[0].FinishReason != "stop" || got.Choices[0].Message.Content != "chunk chunk chunk " {
				t.Fatalf("answer after the tool result: %+v", got.Choices[0])
			}
			recv := e.fake.Received()
			var second struct {
				Tools []struct {
					Name        string          `json:"name"`
					InputSchema json.RawMessage `json:"input_schema"`
				} `json:"tools"`
				Messages []struct {
					Role    string `json:"role"`
					Content []struct {
						Type      string          `json:"type"`
						ID        string          `json:"id"`
						Input     json.RawMessage `json:"input"`
						ToolUseID string          `json:"tool_use_id"`
						Content   string          `json:"content"`
					} `json:"content"`
				} `json:"messages"`
			}
			if err := json.Unmarshal(recv[len(recv)-1].Body, &second); err != nil {
				t.Fatal(err)
			}
			if len(second.Tools) != 1 || second.Tools[0].Name != "lookup" || !strings.Contains(string(second.Tools[0].InputSchema), `"query"`) {
				t.Errorf("tools upstream: %+v", second.Tools)
			}
			m := second.Messages
			if len(m) != 3 || m[1].Role != "assistant" || m[2].Role != "user" {
				t.Fatalf("upstream turns: %s", recv[len(recv)-1].Body)
			}
			use := m[1].Content[len(m[1].Content)-1]
			res := m[2].Content[0]
			if use.ID != fakeapi.ToolUseID || string(use.Input) != fakeapi.ToolInput || res.Type != "tool_result" || res.ToolUseID != fakeapi.ToolUseID || res.Content != "found: 42" {
				t.Errorf("tool_use %+v, tool_result %+v", use, res)
			}
		})
	}
}

// Sluice's own refusals reach an OpenAI client as openai.Error values with
// the status and Sluice's message, on both OpenAI routes.
func TestOpenAIErrorsInOpenAIShape(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	_, revoked, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	_, slow, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "slow", RPM: 1})
	if err != nil {
		t.Fatal(err)
	}
	withN := func(n int64) openai.ChatCompletionNewParams {
		p := chatParams()
		p.N = openai.Int(n)
		return p
	}
	cases := []struct {
		name   string
		opts   []oaoption.RequestOption
		params openai.ChatCompletionNewParams
		status int
		typ    string
		code   string
		msg    string
	}{
		{"no key", []oaoption.RequestOption{oaoption.WithHeaderDel("Authorization")}, chatParams(), 401, "invalid_request_error", "invalid_api_key", "Sluice requires a client key and this request carried none. Set your OpenAI client's API key (OPENAI_API_KEY"},
		{"wrong key", []oaoption.RequestOption{oaoption.WithAPIKey("sk-sluice-" + strings.Repeat("A", 43))}, chatParams(), 401, "invalid_request_error", "invalid_api_key", "client key is not valid"},
		{"anthropic key", []oaoption.RequestOption{oaoption.WithAPIKey(accountKey)}, chatParams(), 401, "invalid_request_error", "invalid_api_key", "Anthropic credential"},
		{"revoked key", []oaoption.RequestOption{oaoption.WithAPIKey(revoked)}, chatParams(), 401, "invalid_request_error", "invalid_api_key", "revoked"},
		{"n>1", nil, withN(2), 400, "invalid_request_error", "", "n must be 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := openaiClient(e, tc.opts...)
			_, chatErr := c.Chat.Completions.New(ctx, tc.params)
			errs := map[string]error{"chat": chatErr}
			if tc.status == 401 {
				_, errs["models"] = c.Models.List(ctx)
			}
			for route, err := range errs {
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) {
					t.Fatalf("%s: want *openai.Error, got %T %v", route, err, err)
				}
				if apiErr.StatusCode != tc.status || !strings.Contains(apiErr.Message, tc.msg) || apiErr.Type != tc.typ || apiErr.Code != tc.code {
					t.Errorf("%s: status %d type %q code %q message %q", route, apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Message)
				}
			}
		})
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Errorf("%d refused requests reached the upstream", n)
	}
	// The request Sluice could not translate is in the journal all the same.
	testkit.WaitFor(t, "the untranslatable request journaled", func() bool {
		p, _ := e.svc.Logs(ctx, api.LogFilter{Limit: 50})
		return slices.ContainsFunc(p.Entries, func(r api.LogEntry) bool {
			return r.Path == "/v1/chat/completions" && r.Status == 400 && strings.HasPrefix(string(r.Error), "not translatable: ")
		})
	})
	// A key over its rate: 429 with retry-after, in OpenAI's shape.
	c := openaiClient(e, oaoption.WithAPIKey(slow))
	if _, err := c.Chat.Completions.New(ctx, chatParams()); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat.Completions.New(ctx, chatParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Type != "rate_limit_error" || !strings.Contains(apiErr.Message, "requests per minute") {
		t.Fatalf("over the key's rate: %v", err)
	}
	if apiErr.Response.Header.Get("Retry-After") == "" {
		t.Error("429 without retry-after")
	}
}

// An upstream error keeps its status and message, in OpenAI's shape.
func TestOpenAIUpstreamErrorTranslated(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Script(accountKey, fakeapi.Behavior{BodyError: &fakeapi.BodyError{Status: 400, Type: "invalid_request_error", Message: "prompt is too long"}})
	c := openaiClient(e)
	_, err := c.Chat.Completions.New(context.Background(), chatParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Message != "prompt is too long" || apiErr.Type != "invalid_request_error" {
		t.Fatalf("got %v", err)
	}
}

// With every account limited, Sluice's 429 keeps retry-after and speaks
// OpenAI's dialect on the OpenAI route only.
func TestOpenAIAllLimitedIs429WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Script(accountKey, fakeapi.Behavior{Unified: true, LimitAfter: 1, ResetAt: time.Now().Add(time.Hour)})
	body := `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`
	for i := range 3 {
		resp := e.do("POST", "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer " + e.key})
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i < 2 {
			continue // one served, one refused upstream (benching the account)
		}
		var got struct {
			Type  string `json:"type"`
			Error struct {
				Message string `json:"message"`
				Type    string `json:"type"`
				Code    string `json:"code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || got.Type != "" ||
			got.Error.Type != "rate_limit_error" || got.Error.Code != "rate_limit_exceeded" || !strings.Contains(got.Error.Message, "rate limited") {
			t.Fatalf("status %d retry-after %q body %s", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
		}
	}
}

func TestOpenAIModelsList(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	c := openaiClient(e)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "claude-sonnet-4-5" || page.Data[0].OwnedBy != "anthropic" || page.Data[0].Created == 0 {
		t.Fatalf("models %+v", page.Data)
	}
	m, err := c.Models.Get(context.Background(), "claude-sonnet-4-5")
	if err != nil || m.ID != "claude-sonnet-4-5" || m.Object != "model" || m.OwnedBy != "anthropic" {
		t.Fatalf("model %+v, err %v", m, err)
	}
	_, err = c.Models.Get(context.Background(), "gpt-4o")
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Message != "model: gpt-4o" {
		t.Fatalf("unknown model: %v", err)
	}
	// Anthropic's clients, which send anthropic-version, still get the
	// upstream's own list.
	resp := e.do("GET", "/v1/models", "", map[string]string{"x-api-key": e.key, "anthropic-version": "2023-06-01"})
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"has_more"`) {
		t.Errorf("anthropic-dialect model list rewritten: %s", raw)
	}
	recv := e.fake.Received()
	if len(recv) != 4 || recv[0].Path != "/v1/models" || recv[0].Credential != accountKey || recv[1].Path != "/v1/models/claude-sonnet-4-5" {
		t.Errorf("upstream got %+v", recv)
	}
}

// A stream that fails once under way ends with an error the SDK reports,
// not with a [DONE] that would pass a cut answer off as whole.
func TestOpenAIStreamFailuresReachTheClient(t *testing.T) {
	cases := []struct {
		name string
		b    fakeapi.Behavior
		msg  string
	}{
		{"upstream error event", fakeapi.Behavior{StreamError: "overloaded_error"}, "scripted stream error"},
		{"connection cut", fakeapi.Behavior{CutAfterFirstEvent: true}, "lost mid-stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.addKey("work", accountKey)
			e.fake.Script(accountKey, tc.b)
			c := openaiClient(e)
			stream := c.Chat.Completions.NewStreaming(context.Background(), chatParams())
			for stream.Next() {
			}
			if err := stream.Err(); err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("stream error %v, want one saying %q", err, tc.msg)
			}
			if rec := e.logsN(1)[0]; rec.Error == "" || rec.Path != "/v1/chat/completions" {
				t.Errorf("journal record %+v", rec.Record)
			}
		})
	}
}

// The guards' own refusals on an OpenAI route are in OpenAI's shape too.
func TestOpenAIGuardRefusalShape(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	resp := e.do("POST", "/v1/chat/completions", `{}`, map[string]string{"Origin": "https://evil.example"})
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Type  string `json:"type"`
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || resp.StatusCode != 403 || got.Type != "" || got.Error.Type != "permission_error" || got.Error.Message == "" {
		t.Fatalf("status %d body %s", resp.StatusCode, raw)
	}
}

// A translated request fails over like a native one: the first account is
// limited, the second answers, and the journal shows both attempts.
func TestOpenAIFailsOverLikeMessages(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Strategy = "priority" }))
	e.addKey("work", accountKey)
	e.addKey("home", homeKey)
	e.fake.Script(accountKey, fakeapi.Behavior{Statuses: []int{429}})
	c := openaiClient(e)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if acc.Choices[0].Message.Content != "chunk chunk chunk " {
		t.Fatalf("accumulated %+v", acc.Choices)
	}
	recv := e.fake.Received()
	if len(recv) != 2 || recv[0].Credential != accountKey || recv[1].Credential != homeKey {
		t.Fatalf("upstream attempts: %d", len(recv))
	}
	rec := e.logsN(1)[0]
	if rec.AccountName != "home" || rec.Attempts != 2 || rec.Failovers != 1 || rec.OutputTokens != 6 {
		t.Errorf("journal record %+v (account %q)", rec.Record, rec.AccountName)
	}
}

// An answer too large to translate reaches the OpenAI client as a 502 and
// the journal as what it was, not as a client hang-up.
func TestOpenAIAnswerTooLargeIsJournaledAsSuch(t *testing.T) {
	text := strings.Repeat("x", 5<<20)
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5",`+
			`"content":[{"type":"text","text":"`+text+`"}],"stop_reason":"end_turn",`+
			`"usage":{"input_tokens":11,"output_tokens":1300000}}`)
	})
	e := newEnv(t, withUpstream(up.URL))
	e.addKey("work", accountKey)
	resp := e.do("POST", "/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer " + e.key})
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(raw), `"error"`) {
		t.Fatalf("status %d body %.200s, want a 502 in OpenAI's shape", resp.StatusCode, raw)
	}
	rec := e.logsN(1)[0]
	if rec.Status != http.StatusBadGateway || rec.Error != "answer too large to translate" || rec.EndReason == journal.EndClientCancelled {
		t.Fatalf("journal: status %d error %q end %q", rec.Status, rec.Error, rec.EndReason)
	}
}
