package proxy_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// A stream that delivered its last event is complete, whoever closes
// first: the OpenAI SDK closes its connection as soon as it reads [DONE],
// and with a delay between the upstream's events that used to be
// journaled as "client went away" (issue 16: 5 of 5 at 40 ms).
func TestCompleteOpenAIStreamsAreJournaledComplete(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	e.fake.Delay = 40 * time.Millisecond
	c := openaiClient(e)
	const n = 5
	for range n {
		stream := c.Chat.Completions.NewStreaming(context.Background(), chatParams())
		chunks := 0
		for stream.Next() {
			chunks++
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("stream: %v", err)
		}
		_ = stream.Close() // as soon as [DONE] is read, as the SDK's users do
		if chunks == 0 {
			t.Fatal("no chunks")
		}
	}
	for _, rec := range e.logsN(n) {
		if rec.Status != http.StatusOK || rec.Error != "" || rec.EndReason != journal.EndComplete {
			t.Errorf("a complete stream journaled status %d error %q end %q", rec.Status, rec.Error, rec.EndReason)
		}
	}
}
