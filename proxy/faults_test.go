package proxy_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

const messageBody = `{"model":"claude-sonnet-4-5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}`

func post(e *env) *http.Response {
	return e.do("POST", "/v1/messages", messageBody, nil)
}

func TestUpstreamResetMidStreamEndsWithErrorEvent(t *testing.T) {
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":7}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_blo")
		_ = http.NewResponseController(w).Flush()
		resetConn(t, w)
	})
	e := newEnv(t, withUpstream(up.URL))
	threeAccounts(e)
	resp := post(e)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	s := string(body)
	if !strings.HasPrefix(s, "event: message_start") || !strings.Contains(s, "\"type\":\"content_blo\n\nevent: error\n") ||
		!strings.HasSuffix(s, "(relayed by Sluice).\"}}\n\n") {
		t.Fatalf("stream not ended with an error event on an event boundary:\n%s", s)
	}
	if n := up.requests.Load(); n != 1 {
		t.Fatalf("upstream received %d requests: a stream cut after bytes reached the client was replayed", n)
	}
	rec := lastRecord(t, e, 1)
	if rec.Error != "upstream response cut short" || rec.InputTokens != 7 {
		t.Errorf("journal: error %q, input tokens %d", rec.Error, rec.InputTokens)
	}
}

// relayedAsIs serves body with contentType and checks that the client gets
// exactly that, and the journal no usage.
func relayedAsIs(t *testing.T, contentType string, body []byte) {
	t.Helper()
	up := newMisbehaving(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	})
	e := newEnv(t, withUpstream(up.URL))
	threeAccounts(e)
	resp := post(e)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != contentType {
		t.Fatalf("status %d, content type %q, err %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	if string(got) != string(body) {
		t.Fatalf("body changed in transit: got %d bytes, want %d", len(got), len(body))
	}
	rec := lastRecord(t, e, 1)
	// No counts are made up from an answer that holds none; the model is
	// the one the request asked for.
	if rec.Status != http.StatusOK || rec.InputTokens != 0 || rec.OutputTokens != 0 || rec.Model != "claude-sonnet-4-5" {
		t.Errorf("journal: %+v", rec)
	}
	// The engine still serves normal traffic afterwards.
	e.cfg.Upstream = e.fake.URL
	if resp := e.do("GET", "/health", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("health after fault: %d", resp.StatusCode)
	}
}

func TestGarbageEventStreamRelayedUnchanged(t *testing.T) {
	garbage := []byte("data: {\"usage\": {\"input_tokens\": \"lots\"\n\x00\xff\xfe event:\r\r\ndata: " +
		strings.Repeat("z", 200<<10) + "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":7}\n\n:\n")
	relayedAsIs(t, "text/event-stream", garbage)
}

func TestHTMLAnswerWithStatus200RelayedUnchanged(t *testing.T) {
	relayedAsIs(t, "text/html; charset=utf-8", []byte("<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n"))
}

func TestRateLimitStormOverAllAccounts(t *testing.T) {
	e := newEnv(t)
	threeAccounts(e)
	reset := time.Now().Add(time.Hour)
	for _, k := range []string{keyA, keyB, keyC} {
		e.fake.Script(k, fakeapi.Behavior{Statuses: []int{429, 429, 429}, BareRateLimit: true, ResetAt: reset})
	}
	for i := range 2 {
		resp := post(e)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request %d: status %d, want 429", i, resp.StatusCode)
		}
		if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("request %d: Retry-After %q", i, ra)
		}
		if typ := anthropicError(t, resp); typ != "rate_limit_error" {
			t.Errorf("request %d: error type %q", i, typ)
		}
	}
	// Two 429s per account (x-should-retry: one retry on the same
	// account) taught the pool; the second request did not hammer the
	// upstream.
	if got := received(e.fake); got[keyA] != 2 || got[keyB] != 2 || got[keyC] != 2 {
		t.Fatalf("upstream received %v, want exactly two requests per account", got)
	}
}

func TestSlowLorisClientsAreCutAndOthersServed(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.ReadHeaderTimeout = 300 * time.Millisecond }))
	threeAccounts(e)
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	addr := e.svc.Addr()
	var slow []net.Conn
	for range 32 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		// Headers begun, never finished.
		if _, err := io.WriteString(c, "POST /v1/messages HTTP/1.1\r\nHost: "+addr+"\r\nX-Slow: "); err != nil {
			t.Fatal(err)
		}
		slow = append(slow, c)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Post("http://"+addr+"/v1/messages", "application/json",
		strings.NewReader(strings.Replace(messageBody, `"stream":true`, `"stream":false`, 1)))
	if err != nil {
		t.Fatalf("a normal client was not served beside slow ones: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusOK {
		t.Fatalf("normal client: status %d", resp.StatusCode)
	}
	for i, c := range slow {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := bufio.NewReader(c).ReadString('\n')
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("slow connection %d still open after the header timeout", i)
		}
	}
}

func TestJournalLockedProxyKeepsServingAndCountsDropped(t *testing.T) {
	e := newEnv(t)
	threeAccounts(e)
	// Another program holds the database's write lock longer than the
	// journal's busy timeout: as good as a read-only database.
	other, err := sql.Open("sqlite", filepath.Join(e.dir, "sluice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const n = 20
	start := time.Now()
	for i := range n {
		resp := post(e)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d while the journal is locked", i, resp.StatusCode)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("%d requests took %v: requests waited on the locked journal", n, d)
	}
	var dropped int64
	// Each locked write waits out the 5 s busy timeout, queued behind the
	// account-state saves on the one writer connection.
	testkit.WaitWithin(t, time.Minute, "dropped records in /health", func() bool {
		resp := e.do("GET", "/health", "", nil)
		defer resp.Body.Close()
		var h proxy.Health
		if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		dropped = h.DroppedRecords
		return dropped > 0
	})
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	// Every record is either stored or counted as dropped: none vanish.
	testkit.WaitWithin(t, time.Minute, "remaining records stored", func() bool {
		recs, err := e.db.Records(context.Background(), journal.Query{Limit: 1000})
		dropped = e.svc.Health().DroppedRecords
		return err == nil && int64(len(recs))+dropped == n
	})
}
