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
// whole life: SSE events are small, and with 32 KiB a thousand slow
// streams held 114 KiB each in the load harness (24 KiB of it idle buffer).
const streamBufSize = 8 << 10

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
func (s *Service) relay(w http.ResponseWriter, a *attempt, acct pool.Account, resp *http.Response) {
	defer resp.Body.Close()
	a.body = nil
	a.bb.drop() // no attempt follows: a stream need not keep its request
	copyResponseHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	a.rec.Status = resp.StatusCode
	a.rec.RequestID = truncate(resp.Header.Get("Request-Id"), maxRecordField)
	rc := http.NewResponseController(w)
	stream := isEventStream(resp.Header.Get("Content-Type"))
	a.rec.Stream = stream

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
				a.rec.FirstByte = time.Since(a.start)
				first = false
			}
			if a.capture != nil {
				a.capture.resp.write(chunk)
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
	case untranslatable:
		// The client gets a 502 from the OpenAI writer; the journal says
		// why (the upstream did answer, and bill, the request).
		a.rec.Status, a.rec.Error = http.StatusBadGateway, "answer too large to translate"
	case clientGone || (readErr != nil && a.r.Context().Err() != nil):
		// The client hung up (Esc in Claude Code): not the upstream's
		// fault, and nobody is left to tell. Usage seen so far still counts.
		a.rec.Error = "client went away"
		a.rec.EndReason = journal.EndClientCancelled
	case readErr != nil:
		s.log.Warn("upstream response cut short", "account", acct.Name, "err", readErr)
		a.rec.Error = "upstream response cut short"
		a.rec.EndReason = journal.EndTruncated
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
	if a.rec.EndReason == "" {
		a.rec.EndReason = journal.EndComplete
		if resp.StatusCode >= 400 {
			a.rec.EndReason = journal.EndUpstreamError
		}
	}
	var counts usage.Counts
	var ok bool
	if stream {
		counts, ok = meter.Counts()
		if e := meter.Err(); e != nil {
			a.rec.Error = "stream error: " + e.Type
			if a.rec.EndReason == journal.EndComplete {
				a.rec.EndReason = journal.EndUpstreamError
			}
			s.pool.ObserveStreamError(acct.ID, e.Type)
		}
	} else if resp.StatusCode < 300 {
		counts, ok = usage.FromJSON(capture)
	}
	if ok {
		if counts.Model != "" {
			a.rec.Model = counts.Model
		}
		a.rec.InputTokens = counts.InputTokens
		a.rec.OutputTokens = counts.OutputTokens
		a.rec.CacheRead = counts.CacheRead
		a.rec.CacheCreate = counts.CacheCreate
		s.price(a, counts)
		s.pool.AddUsage(acct.ID, counts.Total())
	}
}

func isEventStream(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "text/event-stream"
}
