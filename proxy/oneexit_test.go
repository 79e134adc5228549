package proxy_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// A body that breaks off is answered 400 and journaled 400: the journal
// says what the client was told (it once said 499 for a 400 answer).
func TestBrokenBodyIsJournaledAsAnswered(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.BodyReadTimeout = 300 * time.Millisecond }))
	e.addKey("work", accountKey)
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Ten bytes of a declared twenty, then nothing: the read deadline ends it.
	fmt.Fprintf(c, "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: %s\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"model\":", e.key)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	resp.Body.Close()
	rec := lastRecord(t, e, 1)
	if resp.StatusCode != http.StatusBadRequest || rec.Status != resp.StatusCode || rec.Error != journal.ReasonBodyReadFailed {
		t.Errorf("answered %d, journaled %d %q; want 400 both, %q", resp.StatusCode, rec.Status, rec.Error, journal.ReasonBodyReadFailed)
	}
}

// An upstream that takes the request and then does not answer in time is
// 504 on the passthrough path as on the pooled one (it was 502 there), and
// journaled with the same reason.
func TestPassthroughTimeoutIs504AsPooled(t *testing.T) {
	release := make(chan struct{})
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before up.Close
	tr := &http.Transport{ResponseHeaderTimeout: 300 * time.Millisecond}
	t.Cleanup(tr.CloseIdleConnections)
	e := newEnv(t, withUpstream(up.URL), withTransport(tr), withPassthrough())
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"m","max_tokens":1,"messages":[]}`,
		map[string]string{"X-Api-Key": ownKey, "Anthropic-Version": "2023-06-01"})
	if resp.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("status %d, want 504", resp.StatusCode)
	}
	anthropicError(t, resp)
	if n := up.requests.Load(); n != 1 {
		t.Fatalf("upstream received %d requests, want 1", n)
	}
	rec := lastRecord(t, e, 1)
	if rec.Status != http.StatusGatewayTimeout || rec.Error != journal.ReasonUpstreamTimeout {
		t.Errorf("journal: status %d error %q", rec.Status, rec.Error)
	}
}
