package proxy_test

import (
	"bufio"
	"fmt"
	"io"
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
// keeps arriving above the minimum rate, however slowly overall, is not.
func TestBodyReadDeadlineFollowsProgress(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.BodyReadTimeout, c.BodyMinRate = time.Second, 1 }))
	e.addKey("work", accountKey)
	start := time.Now()
	if st := sendSlowly(t, e, 0, 5); st == 200 {
		t.Fatal("a stalled body was answered 200")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a stalled body held the request for %v", d)
	}
	// 20 bytes 150 ms apart: three seconds in all, three times the
	// deadline, but never near a second without progress (a busy CI
	// machine once stretched 50 ms gaps past a 300 ms deadline).
	if st := sendSlowly(t, e, 150*time.Millisecond, 20); st != 200 {
		t.Fatalf("a slow but steady body: status %d, want 200", st)
	}
	if n := len(e.fake.Received()); n != 1 {
		t.Fatalf("upstream got %d requests, want 1", n)
	}
}

// postChunked posts body with no declared length (chunked), as a client
// streaming its request body does.
func postChunked(t *testing.T, e *env, body string, timeout time.Duration) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/messages", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	e.authorize(req)
	req.Header.Set("Content-Type", "application/json")
	return (&http.Client{Timeout: timeout}).Do(req)
}

// A chunked body reserves the most it may grow to only while it arrives:
// once read, the budget keeps its real size, not BodyLimit for as long as
// its response streams. Else a handful of long streams with small chunked
// bodies would hold the whole budget and every other request would wait.
func TestChunkedBodyReservationShrinksOnceRead(t *testing.T) {
	// Room for one chunked body's reservation (BodyLimit) beside a small
	// body, not for two reservations.
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.BodyLimit, c.BodyMemory = 1<<20, 3<<19 }))
	e.addKey("work", accountKey)
	e.fake.Chunks = 2
	e.fake.Pace = make(chan struct{})
	stream, err := postChunked(t, e, `{"model":"m","stream":true}`, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	defer close(e.fake.Pace)
	resp, err := postChunked(t, e, `{"model":"m"}`, 3*time.Second)
	if err != nil {
		t.Fatalf("a small chunked request waited behind a stream's body reservation: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
