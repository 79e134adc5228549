// Package usage reads token counts from Anthropic Messages responses, JSON
// or server-sent events, as they stream past, and prices them.
package usage

import (
	"bytes"
	"encoding/json"

	"github.com/sluice-proxy/sluice/proxy/jsonscan"
)

// Counts is the token usage of one response.
type Counts struct {
	Model        string
	InputTokens  int64
	OutputTokens int64
	CacheRead    int64 // cache_read_input_tokens
	CacheCreate  int64 // cache_creation_input_tokens: every cache write
	// CacheCreate1h is the part of CacheCreate written to the 1-hour cache
	// (cache_creation.ephemeral_1h_input_tokens), priced at 2x input where
	// 5-minute writes are 1.25x; the rest of CacheCreate is 5-minute.
	CacheCreate1h int64
}

// prompt is the request's prompt size as Anthropic counts it for long-prompt
// tiers: input, cache reads and cache writes together.
func (c Counts) prompt() int64 { return c.InputTokens + c.CacheRead + c.CacheCreate }

// Total is every token the response drew on the account's limits.
func (c Counts) Total() int64 {
	return c.InputTokens + c.OutputTokens + c.CacheRead + c.CacheCreate
}

// apiUsage is the "usage" object of a message or a message_delta event.
type apiUsage struct {
	InputTokens  *int64 `json:"input_tokens"`
	OutputTokens *int64 `json:"output_tokens"`
	CacheRead    *int64 `json:"cache_read_input_tokens"`
	CacheCreate  *int64 `json:"cache_creation_input_tokens"`
	// CacheCreation splits the cache writes by lifetime (Messages API
	// usage.cache_creation); absent from older answers.
	CacheCreation *cacheCreation `json:"cache_creation"`
}

// cacheCreation is usage.cache_creation.
type cacheCreation struct {
	Ephemeral5m *int64 `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h *int64 `json:"ephemeral_1h_input_tokens"`
}

// merge takes every count the object carries. Counts in message_delta events
// are cumulative, so the latest value wins rather than being added.
func (c *Counts) merge(u *apiUsage) {
	if u == nil {
		return
	}
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.InputTokens, u.InputTokens)
	set(&c.OutputTokens, u.OutputTokens)
	set(&c.CacheRead, u.CacheRead)
	set(&c.CacheCreate, u.CacheCreate)
	if cc := u.CacheCreation; cc != nil {
		set(&c.CacheCreate1h, cc.Ephemeral1h)
		// The split is the authority when the total is missing.
		if u.CacheCreate == nil && (cc.Ephemeral5m != nil || cc.Ephemeral1h != nil) {
			c.CacheCreate = deref(cc.Ephemeral5m) + deref(cc.Ephemeral1h)
		}
	}
	c.CacheCreate1h = min(c.CacheCreate1h, c.CacheCreate)
}

func deref(v *int64) int64 {
	if v == nil {
		return 0
	}
	return *v
}

// FromJSON reads the usage of a non-streamed Messages response. Only the
// top-level "type", "model" and "usage" values are decoded; the rest (the
// answer's content, often most of it) is skipped by a scan (jsonscan), so
// reading the usage no longer costs a decode of the whole answer. Keys
// match as encoding/json matches a struct's fields, case folded, the last
// of duplicates winning, and a value of the wrong type gives false, as
// decoding the whole body did (FuzzFromJSON compares the two).
//
// The three values are read by hand (fromJSONFast) when they have the
// plain shapes real answers have; anything else is decoded by
// encoding/json as before (fromJSONDecode), so both give one answer.
func FromJSON(body []byte) (Counts, bool) {
	if c, ok, handled := fromJSONFast(body); handled {
		return c, ok
	}
	return fromJSONDecode(body)
}

// fromJSONDecode is FromJSON with each of the three values decoded by
// encoding/json: the reference for fromJSONFast, and its fallback.
func fromJSONDecode(body []byte) (Counts, bool) {
	var (
		model string
		u     *apiUsage
		bad   bool
	)
	whole := jsonscan.Object(body, func(k []byte, start, end int) bool {
		var dst any
		switch {
		case jsonscan.KeyFold(k, "usage"):
			dst = &u
		case jsonscan.KeyFold(k, "model"):
			dst = &model
		case jsonscan.KeyFold(k, "type"):
			dst = new(string)
		default:
			return true
		}
		bad = json.Unmarshal(body[start:end], dst) != nil
		return !bad
	})
	if !whole || bad || u == nil {
		return Counts{}, false
	}
	c := Counts{Model: model}
	c.merge(u)
	return c, true
}

// StreamError is an "event: error" seen in a stream, e.g. rate_limit_error
// or overloaded_error sent after the response had begun.
type StreamError struct {
	Type    string
	Message string
}

// maxLine bounds how much of one SSE line the meter keeps; longer lines
// (large text deltas) carry no usage and are skipped.
const maxLine = 64 << 10

// Meter reads server-sent events as they are written to it and keeps the
// usage they report. It never fails and never alters the stream: it is a
// tee beside the copy to the client. Not safe for concurrent use.
type Meter struct {
	counts Counts
	seen   bool
	err    *StreamError
	done   bool // message_stop was seen: the answer is whole
	line   []byte
	skip   bool // inside an over-long line
	stop   bool // the current event is message_stop
}

// Write consumes a chunk of the event stream. Lines whole within the
// chunk are read in place; only a line cut by the chunk's end is copied,
// to be completed by the next: a stream's text deltas are most of its
// bytes and none carries usage.
func (m *Meter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			m.append(p)
			break
		}
		if len(m.line) == 0 && !m.skip && i <= maxLine {
			m.endLine(p[:i])
		} else {
			m.append(p[:i])
			m.endLine(m.line)
		}
		p = p[i+1:]
	}
	return n, nil
}

// lineKeep bounds the capacity of the line buffer kept between lines: a
// long line cut by a chunk's end must not hold its buffer for the rest of
// a stream that may last minutes.
const lineKeep = 1 << 10

func (m *Meter) append(b []byte) {
	if m.skip {
		return
	}
	if len(m.line)+len(b) > maxLine {
		m.skip = true
		m.line = m.line[:0]
		return
	}
	m.line = append(m.line, b...)
}

// endLine handles one whole line (without its newline): in place in the
// written chunk, or the line buffer.
func (m *Meter) endLine(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	skipped := m.skip
	m.skip = false
	switch {
	case skipped:
	case len(line) == 0:
		m.stop = false
	case bytes.HasPrefix(line, []byte("event:")):
		m.stop = string(bytes.TrimSpace(line[len("event:"):])) == "message_stop" // no allocation
	case bytes.HasPrefix(line, []byte("data:")):
		// message_stop's data line, whole: the last event was delivered.
		m.done = m.done || m.stop
		m.data(bytes.TrimSpace(line[len("data:"):]))
	}
	if cap(m.line) > lineKeep {
		m.line = nil
	} else {
		m.line = m.line[:0]
	}
}

// data handles one data line; only the few event types that carry usage or
// errors are decoded.
func (m *Meter) data(d []byte) {
	if !bytes.Contains(d, []byte(`"usage"`)) && !bytes.Contains(d, []byte(`"error"`)) {
		return
	}
	var ev struct {
		Type    string `json:"type"`
		Message *struct {
			Model string    `json:"model"`
			Usage *apiUsage `json:"usage"`
		} `json:"message"`
		Usage *apiUsage `json:"usage"`
		Error *struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(d, &ev) != nil {
		return
	}
	switch {
	case ev.Type == "message_start" && ev.Message != nil:
		m.counts.Model = ev.Message.Model
		m.counts.merge(ev.Message.Usage)
		m.seen = true
	case ev.Type == "message_delta":
		m.counts.merge(ev.Usage)
		m.seen = true
	case ev.Type == "error" && ev.Error != nil:
		m.err = &StreamError{Type: ev.Error.Type, Message: ev.Error.Message}
	}
}

// Counts returns the usage seen so far and whether any was reported.
func (m *Meter) Counts() (Counts, bool) { return m.counts, m.seen }

// Done reports whether the stream's last event, message_stop, was seen:
// whatever happens to either connection after it, the answer was whole.
func (m *Meter) Done() bool { return m.done }

// Err returns the error event seen in the stream, if any.
func (m *Meter) Err() *StreamError { return m.err }
