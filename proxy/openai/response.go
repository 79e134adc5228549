package openai

import (
	"encoding/json"
	"fmt"
	"time"
)

// anthropicUsage is the usage object of a Message and of its stream events.
type anthropicUsage struct {
	InputTokens         int64 `json:"input_tokens"`
	OutputTokens        int64 `json:"output_tokens"`
	CacheReadTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationTokens int64 `json:"cache_creation_input_tokens"`
}

type anthropicMessage struct {
	ID         string `json:"id"`
	Model      string `json:"model"`
	StopReason string `json:"stop_reason"`
	Content    []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	Usage anthropicUsage `json:"usage"`
}

// Usage is OpenAI's usage object. Claude counts cached prompt tokens apart
// from input_tokens; OpenAI counts them inside prompt_tokens.
type Usage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func usageOf(u anthropicUsage) *Usage {
	out := &Usage{
		PromptTokens:     u.InputTokens + u.CacheReadTokens + u.CacheCreationTokens,
		CompletionTokens: u.OutputTokens,
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	out.PromptTokensDetails.CachedTokens = u.CacheReadTokens
	return out
}

// FinishReason maps Claude's stop_reason to OpenAI's finish_reason.
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	default: // end_turn, stop_sequence, pause_turn, and reasons yet to come
		return "stop"
	}
}

type toolCallOut struct {
	Index    *int   `json:"index,omitempty"` // stream deltas only
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type completion struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	Model   string   `json:"model"`
	Choices []choice `json:"choices"`
	Usage   *Usage   `json:"usage,omitempty"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      *messageOut     `json:"message,omitempty"`
	Delta        *messageOut     `json:"delta,omitempty"`
	Logprobs     json.RawMessage `json:"logprobs"`
	FinishReason *string         `json:"finish_reason"`
}

type messageOut struct {
	Role      string        `json:"role,omitempty"`
	Content   *string       `json:"content,omitempty"`
	Refusal   *string       `json:"refusal,omitempty"`
	ToolCalls []toolCallOut `json:"tool_calls,omitempty"`
}

var null = json.RawMessage("null")

// FromMessage translates a Messages API answer into a chat.completion.
// created is the Unix time stamped on it (Claude's answer carries none).
func FromMessage(body []byte, created int64) ([]byte, error) {
	var m anthropicMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("openai: decode message: %w", err)
	}
	msg := &messageOut{Role: "assistant"}
	var text string
	hasText := false
	for _, c := range m.Content {
		switch c.Type {
		case "text":
			text += c.Text
			hasText = true
		case "tool_use":
			tc := toolCallOut{ID: c.ID, Type: "function"}
			tc.Function.Name = c.Name
			tc.Function.Arguments = string(c.Input)
			if len(c.Input) == 0 {
				tc.Function.Arguments = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, tc)
		}
		// Thinking and server-tool blocks have no place in a chat message.
	}
	if hasText || len(msg.ToolCalls) == 0 {
		msg.Content = &text
	}
	finish := FinishReason(m.StopReason)
	out := completion{
		ID: completionID(m.ID), Object: "chat.completion", Created: created, Model: m.Model,
		Choices: []choice{{Index: 0, Message: msg, Logprobs: null, FinishReason: &finish}},
		Usage:   usageOf(m.Usage),
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("openai: encode completion: %w", err)
	}
	return b, nil
}

// completionID keeps Claude's message id recognisable in OpenAI's form.
func completionID(msgID string) string {
	if msgID == "" {
		msgID = "sluice"
	}
	return "chatcmpl-" + msgID
}

// anthropicModel is a model as the Models API describes it.
type anthropicModel struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
}

type model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func modelOf(m anthropicModel) model {
	var created int64
	if !m.CreatedAt.IsZero() {
		created = m.CreatedAt.Unix()
	}
	return model{ID: m.ID, Object: "model", Created: created, OwnedBy: "anthropic"}
}

// FromModel translates one model (GET /v1/models/{id}) into OpenAI's shape.
func FromModel(body []byte) ([]byte, error) {
	var in anthropicModel
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("openai: decode model: %w", err)
	}
	b, err := json.Marshal(modelOf(in))
	if err != nil {
		return nil, fmt.Errorf("openai: encode model: %w", err)
	}
	return b, nil
}

// FromModels translates the Models API list (GET /v1/models) into OpenAI's.
func FromModels(body []byte) ([]byte, error) {
	var in struct {
		Data []anthropicModel `json:"data"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("openai: decode model list: %w", err)
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, m := range in.Data {
		out.Data = append(out.Data, modelOf(m))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("openai: encode model list: %w", err)
	}
	return b, nil
}
