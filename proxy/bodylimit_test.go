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
)

// sendSlowly posts a 20-byte body to e, one byte per gap, and returns the
// response status (0 if the connection was dropped).
func sendSlowly(t *testing.T, e *env, gap time.Duration, stopAfter int) int {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"model":"m"}       ` // 20 bytes
	fmt.Fprintf(c, "POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nX-Api-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", e.key, len(body))
	for i := 0; i < stopAfter && i < len(body); i++ {
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return 0
		}
		time.Sleep(gap) // the client's pace, not a wait for the server
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A body that stops arriving is dropped after BodyReadTimeout; one that
// keeps arriving, however slowly overall, is not.
func TestBodyReadDeadlineFollowsProgress(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.BodyReadTimeout = 300 * time.Millisecond }))
	e.addKey("work", accountKey)
	start := time.Now()
	if st := sendSlowly(t, e, 0, 5); st == 200 {
		t.Fatal("a stalled body was answered 200")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a stalled body held the request for %v", d)
	}
	// 20 bytes 50 ms apart: a second in all, over three times the
	// deadline, but never 300 ms without progress.
	if st := sendSlowly(t, e, 50*time.Millisecond, 20); st != 200 {
		t.Fatalf("a slow but steady body: status %d, want 200", st)
	}
	if n := len(e.fake.Received()); n != 1 {
		t.Fatalf("upstream got %d requests, want 1", n)
	}
}
