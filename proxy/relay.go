package proxy

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/proxy/usage"
)

// relayBufSize is the copy buffer for JSON answers: most fit in one write.
const relayBufSize = 32 << 10

// streamBufSize is the copy buffer for event streams, held for a stream's
// whole life: SSE events are small (a text delta is a few hundred bytes),
// and with 32 KiB a thousand slow streams held 114 KiB each in the load
// harness (24 KiB of it idle buffer); 8 KiB was still mostly idle. A
// burst larger than the buffer takes two reads, each flushed.
const streamBufSize = 4 << 10

// maxCapture bounds how much of a non-streamed body is kept to read usage.
const maxCapture = 4 << 20

var (
	bufPool       = sync.Pool{New: func() any { b := make([]byte, relayBufSize); return &b }}
	streamBufPool = sync.Pool{New: func() any { b := make([]byte, streamBufSize); return &b }}
)

// relay copies the chosen upstream response to the client. Streams are
// flushed after every read, so each event leaves as soon as it arrives.
// Once the first byte is written there is no failover: an upstream that
// dies mid-stream ends the stream with a clean error event.
func (s *Service) relay(w http.ResponseWriter, req *request, acct pool.Account, resp *http.Response) {
	defer resp.Body.Close()
	req.body = nil
	req.bb.drop() // no attempt follows: a stream need not keep its request
	copyResponseHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	req.rec.Status = resp.StatusCode
	req.rec.RequestID = truncate(resp.Header.Get("Request-Id"), maxRecordField)
	rc := http.NewResponseController(w)
	stream := isEventStream(resp.Header.Get("Content-Type"))
	req.rec.Stream = stream

	var meter usage.Meter
	var capture []byte
	pool := &bufPool
	if stream {
		pool = &streamBufPool
	}
	bp := pool.Get().(*[]byte)
	defer pool.Put(bp)
	buf := *bp
	var last [2]byte // the final bytes sent, to end a cut stream on an event boundary
	first := true
	var readErr error
	clientGone := false
	untranslatable := false // the OpenAI writer refused an answer too large to rewrite
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if first {
				req.rec.FirstByte = time.Since(req.start)
				first = false
			}
			if req.capture != nil {
				req.capture.resp.write(chunk)
			}
			if !untranslatable {
				_, werr := w.Write(chunk)
				// Too large for the OpenAI writer: read the rest, so the
				// upstream connection stays reusable.
				untranslatable = errors.Is(werr, errTooBigToTranslate)
				if werr != nil && !untranslatable {
					clientGone = true
					break
				}
			}
			if stream {
				_ = rc.Flush()
				_, _ = meter.Write(chunk)
				if n >= 2 {
					copy(last[:], chunk[n-2:])
				} else {
					last[0], last[1] = last[1], chunk[0]
				}
			} else if len(capture)+n <= maxCapture {
				capture = append(capture, chunk...)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
			}
			break
		}
	}
	switch {
	case stream && meter.Done():
		// The last event reached the client: the answer is complete,
		// whoever closed first. An OpenAI SDK closes its connection as
		// soon as it reads [DONE], often before the upstream's own end.
	case untranslatable:
		// The client gets a 502 from the OpenAI writer; the journal says
		// why (the upstream did answer, and bill, the request).
		req.rec.Status, req.rec.Error = http.StatusBadGateway, journal.ReasonTooLargeToTranslate
	case clientGone || (readErr != nil && req.r.Context().Err() != nil):
		// The client hung up (Esc in Claude Code): not the upstream's
		// fault, and nobody is left to tell. Usage seen so far still counts.
		req.rec.Error = journal.ReasonClientGone
		req.rec.EndReason = journal.EndClientCancelled
	case readErr != nil:
		s.log.Warn("upstream response cut short", "account", acct.Name, "err", readErr)
		req.rec.Error = journal.ReasonCutShort
		req.rec.EndReason = journal.EndTruncated
		if !stream {
			// A truncated JSON body cannot be mended; abort so the client
			// sees a broken response rather than a short one.
			panic(http.ErrAbortHandler)
		}
		if last != [2]byte{'\n', '\n'} && !first {
			_, _ = io.WriteString(w, "\n\n")
		}
		_, _ = io.WriteString(w, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"The upstream connection was lost mid-stream (relayed by Sluice).\"}}\n\n")
		_ = rc.Flush()
	}
	if req.rec.EndReason == "" {
		req.rec.EndReason = journal.EndComplete
		if resp.StatusCode >= 400 {
			req.rec.EndReason = journal.EndUpstreamError
		}
	}
	s.countUsage(req, acct, resp.StatusCode, stream, &meter, capture)
}

// countUsage puts a relayed answer's token counts and cost on its record
// and the account's usage: from the stream's events, or from a 2xx JSON
// body (capture). A stream's error event marks the record too.
func (s *Service) countUsage(req *request, acct pool.Account, status int, stream bool, meter *usage.Meter, capture []byte) {
	var counts usage.Counts
	var ok bool
	if stream {
		counts, ok = meter.Counts()
		if e := meter.Err(); e != nil {
			req.rec.Error = journal.ReasonStreamError.With(e.Type)
			if req.rec.EndReason == journal.EndComplete {
				req.rec.EndReason = journal.EndUpstreamError
			}
			s.pool.ObserveStreamError(acct.ID, e.Type)
		}
	} else if status < 300 {
		counts, ok = usage.FromJSON(capture)
	}
	if ok {
		if counts.Model != "" {
			req.rec.Model = counts.Model
		}
		req.rec.InputTokens = counts.InputTokens
		req.rec.OutputTokens = counts.OutputTokens
		req.rec.CacheRead = counts.CacheRead
		req.rec.CacheCreate = counts.CacheCreate
		s.price(req, counts)
		s.pool.AddUsage(acct.ID, counts.Total())
	}
}

func isEventStream(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}
