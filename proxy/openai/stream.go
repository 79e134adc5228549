package openai

import (
	"bytes"
	"encoding/json"
	"io"
)

// maxLine bounds one buffered SSE line: Claude's events are small, and a
// hostile upstream must not grow the buffer without end.
const maxLine = 1 << 20

// Stream translates Claude's server-sent events, written to it as they
// arrive (in chunks of any size), into chat.completion.chunk events written
// to Out. Events it does not know are skipped, so new upstream event types
// cannot break a client. It is not safe for concurrent use.
type Stream struct {
	// Out receives the OpenAI events; its write errors are returned by Write.
	Out io.Writer
	// IncludeUsage sends a final chunk with usage (stream_options.include_usage).
	IncludeUsage bool
	// Created is the Unix time stamped on every chunk.
	Created int64

	line    []byte // the partial line not yet ended by \n
	event   string // the current event's name
	data    []byte // the current event's data
	id      string
	model   string
	usage   anthropicUsage
	finish  string
	tools   map[int]int // Claude's content block index -> OpenAI tool call index
	started bool        // the role chunk went out
	done    bool        // [DONE] or an error went out: nothing more is sent
	skip    bool        // the current line overflowed maxLine and is dropped
	skipEv  bool        // the current event's data overflowed maxLine and is dropped
}

// Write feeds Claude event-stream bytes.
func (s *Stream) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.appendLine(p)
			break
		}
		s.appendLine(p[:i])
		p = p[i+1:]
		line := bytes.TrimSuffix(s.line, []byte("\r"))
		skip := s.skip
		s.line, s.skip = s.line[:0], false
		if skip {
			continue
		}
		if err := s.handleLine(line); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

func (s *Stream) appendLine(p []byte) {
	if s.skip || len(s.line)+len(p) > maxLine {
		s.skip, s.line = true, s.line[:0]
		return
	}
	s.line = append(s.line, p...)
}

func (s *Stream) handleLine(line []byte) error {
	if len(line) == 0 {
		ev, data := s.event, s.data
		s.event, s.data = "", s.data[:0]
		if s.skipEv {
			s.skipEv = false
			return nil
		}
		if len(data) == 0 {
			return nil
		}
		return s.dispatch(ev, data)
	}
	field, value, _ := bytes.Cut(line, []byte(":"))
	value = bytes.TrimPrefix(value, []byte(" "))
	switch string(field) {
	case "event":
		s.event = string(value)
	case "data":
		// Many data lines make one event: bound the whole, not just a line.
		if s.skipEv || len(s.data)+len(value)+1 > maxLine {
			s.skipEv, s.data = true, s.data[:0]
			return nil
		}
		if len(s.data) > 0 {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
	}
	return nil
}

type streamEvent struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Message struct {
		ID    string         `json:"id"`
		Model string         `json:"model"`
		Usage anthropicUsage `json:"usage"`
	} `json:"message"`
	ContentBlock struct {
		Type string `json:"type"`
		Text string `json:"text"`
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"content_block"`
	Delta struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *struct {
		InputTokens         *int64 `json:"input_tokens"`
		OutputTokens        *int64 `json:"output_tokens"`
		CacheReadTokens     *int64 `json:"cache_read_input_tokens"`
		CacheCreationTokens *int64 `json:"cache_creation_input_tokens"`
	} `json:"usage"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func (s *Stream) dispatch(name string, data []byte) error {
	if s.done {
		return nil
	}
	var ev streamEvent
	if json.Unmarshal(data, &ev) != nil {
		return nil // not an event we can read: skipped, like unknown types
	}
	if ev.Type == "" {
		ev.Type = name
	}
	switch ev.Type {
	case "message_start":
		s.id, s.model, s.usage = ev.Message.ID, ev.Message.Model, ev.Message.Usage
		return s.role()
	case "content_block_start":
		if err := s.role(); err != nil {
			return err
		}
		switch ev.ContentBlock.Type {
		case "text":
			if ev.ContentBlock.Text != "" {
				return s.text(ev.ContentBlock.Text)
			}
		case "tool_use":
			if s.tools == nil {
				s.tools = map[int]int{}
			}
			idx := len(s.tools)
			s.tools[ev.Index] = idx
			tc := toolCallOut{Index: &idx, ID: ev.ContentBlock.ID, Type: "function"}
			tc.Function.Name = ev.ContentBlock.Name
			return s.chunk(&messageOut{ToolCalls: []toolCallOut{tc}}, nil, nil)
		}
	case "content_block_delta":
		if err := s.role(); err != nil {
			return err
		}
		switch ev.Delta.Type {
		case "text_delta":
			return s.text(ev.Delta.Text)
		case "input_json_delta":
			idx, ok := s.tools[ev.Index]
			if !ok || ev.Delta.PartialJSON == "" {
				return nil
			}
			tc := toolCallOut{Index: &idx}
			tc.Function.Arguments = ev.Delta.PartialJSON
			return s.chunk(&messageOut{ToolCalls: []toolCallOut{tc}}, nil, nil)
		}
	case "message_delta":
		if ev.Delta.StopReason != "" {
			s.finish = ev.Delta.StopReason
		}
		if u := ev.Usage; u != nil {
			set(&s.usage.InputTokens, u.InputTokens)
			set(&s.usage.OutputTokens, u.OutputTokens)
			set(&s.usage.CacheReadTokens, u.CacheReadTokens)
			set(&s.usage.CacheCreationTokens, u.CacheCreationTokens)
		}
	case "message_stop":
		return s.end()
	case "error":
		s.done = true
		return s.write(ErrorBody(NewError(ev.Error.Type, ev.Error.Message)))
	}
	return nil // ping, content_block_stop, thinking and unknown events
}

func set(dst *int64, v *int64) {
	if v != nil {
		*dst = *v
	}
}

// role sends the first chunk, which names the role, once.
func (s *Stream) role() error {
	if s.started {
		return nil
	}
	s.started = true
	empty := ""
	return s.chunk(&messageOut{Role: "assistant", Content: &empty}, nil, nil)
}

func (s *Stream) text(t string) error {
	if t == "" {
		return nil
	}
	return s.chunk(&messageOut{Content: &t}, nil, nil)
}

// end sends the finish reason, the usage when asked for, and [DONE].
func (s *Stream) end() error {
	if err := s.role(); err != nil {
		return err
	}
	finish := FinishReason(s.finish)
	if err := s.chunk(&messageOut{}, &finish, nil); err != nil {
		return err
	}
	if s.IncludeUsage {
		if err := s.chunk(nil, nil, usageOf(s.usage)); err != nil {
			return err
		}
	}
	s.done = true
	_, err := io.WriteString(s.Out, "data: [DONE]\n\n")
	return err
}

// Close ends a stream the upstream left unfinished (no message_stop and no
// error) with an error event, so the client does not take a cut answer for
// a whole one.
func (s *Stream) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	return s.write(ErrorBody(NewError("api_error", "The answer stream ended before the model finished (relayed by Sluice).")))
}

// chunk writes one chat.completion.chunk: a delta with an optional finish
// reason, or (delta nil) the usage chunk, which has no choices.
func (s *Stream) chunk(delta *messageOut, finish *string, u *Usage) error {
	c := completion{ID: completionID(s.id), Object: "chat.completion.chunk", Created: s.Created, Model: s.model, Choices: []choice{}, Usage: u}
	if delta != nil {
		c.Choices = []choice{{Index: 0, Delta: delta, Logprobs: null, FinishReason: finish}}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.write(b)
}

func (s *Stream) write(b []byte) error {
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, bytes.TrimRight(b, "\n")...)
	out = append(out, "\n\n"...)
	_, err := s.Out.Write(out)
	return err
}
