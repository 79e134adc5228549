package proxy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// startOn turns e's proxy on (a free port on 127.0.0.1 and ::1) and
// returns its address.
func startOn(t *testing.T, e *env) string {
	t.Helper()
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e.svc.Addr()
}

// postTo sends a keyed request to the real listener and returns its status
// and body.
func postTo(t *testing.T, addr, path, key, body string, timeout time.Duration) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", key)
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The attack: 2,000 connections that never send a byte, from one address,
// no key needed. A keyed client must still get through, at once.
func TestKeyedClientGetsThroughTwoThousandSilentConnections(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", "sk-ant-api03-SILENT")
	addr := startOn(t, e)
	for range 2000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("silent connection: %v", err)
		}
		t.Cleanup(func() { c.Close() })
	}
	start := time.Now()
	if code, body := postTo(t, addr, "/v1/messages", e.key, messageBody, 5*time.Second); code != http.StatusOK {
		t.Fatalf("keyed request beside 2,000 silent connections: %d %s", code, body)
	}
	t.Logf("keyed request answered in %v beside 2,000 silent connections", time.Since(start))
}

// trickle writes one byte every interval to c until done is closed.
func trickle(c net.Conn, interval time.Duration, done <-chan struct{}) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}
}

// closedWithin reads c until it is closed and reports whether that
// happened within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil // EOF: the server closed it; a timeout is an error
}

// The attack: a request without a key whose body trickles in a byte at a
// time. Sluice refuses it without reading the body; the connection must
// not stay open while the body keeps coming.
func TestTrickledBodyWithoutKeyIsCut(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.UnauthTimeout = 500 * time.Millisecond }))
	addr := startOn(t, e)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "POST /v1/messages HTTP/1.1\r\nHost: "+addr+"\r\nContent-Length: 100000\r\n\r\n")
	done := make(chan struct{})
	defer close(done)
	go trickle(c, 200*time.Millisecond, done)
	if !closedWithin(c, 5*time.Second) {
		t.Fatal("a refused request's trickled body held its connection open for 5s")
	}
}

// chunkedTrickle opens a keyed chunked POST on a raw connection and sends
// one byte of body every interval until done.
func chunkedTrickle(t *testing.T, addr, key string, interval time.Duration, done <-chan struct{}) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_, _ = io.WriteString(c, "POST /v1/messages HTTP/1.1\r\nHost: "+addr+"\r\nX-Api-Key: "+key+
		"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			if _, err := io.WriteString(c, "1\r\n{\r\n"); err != nil {
				return
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

// The attack: one key holder trickles nine chunked bodies (each reserving
// the body limit) to fill the body budget; another key's POST must not
// wait for them.
func TestTrickledBodiesOfOneKeyDoNotBlockAnother(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) {
		c.BodyLimit, c.BodyMemory = 1<<20, 8<<20
		c.BodyReadTimeout = 30 * time.Second
	}))
	e.addKey("a", "sk-ant-api03-BUDGET")
	_, mallory, err := e.svc.CreateKey(context.Background(), api.KeyOptions{Name: "mallory"})
	if err != nil {
		t.Fatal(err)
	}
	addr := startOn(t, e)
	done := make(chan struct{})
	defer close(done)
	conns := make([]net.Conn, 9)
	for i := range conns {
		conns[i] = chunkedTrickle(t, addr, mallory, 5*time.Second, done)
	}
	start := time.Now()
	if code, body := postTo(t, addr, "/v1/messages", e.key, messageBody, 3*time.Second); code != http.StatusOK {
		t.Fatalf("another key's POST beside nine trickled bodies: %d %s", code, body)
	}
	t.Logf("answered in %v", time.Since(start))
}

// The attack: a keyed body that sends a byte just often enough to beat the
// idle deadline. Below the minimum rate it is cut once the grace is over.
func TestKeyedBodyBelowMinimumRateIsCut(t *testing.T) {
	e := newEnv(t, withConfig(func(c *proxy.Config) {
		c.BodyReadTimeout = time.Second
		c.BodyMinRate = 100
	}))
	e.addKey("a", "sk-ant-api03-SLOW")
	addr := startOn(t, e)
	done := make(chan struct{})
	defer close(done)
	c := chunkedTrickle(t, addr, e.key, 200*time.Millisecond, done) // 5 B/s, each byte well within the idle second
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("a body at 5 B/s under a 100 B/s minimum was answered 200")
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("a body at 5 B/s under a 100 B/s minimum held on for %v", took)
	}
}

// The attack: the user turns the proxy off; another local user binds the
// port on either loopback and receives the clients' keys and prompts.
// Off, Sluice keeps both bound and tells clients why it does not answer.
func TestProxyOffKeepsThePortAndAnswers503(t *testing.T) {
	port := testkit.FreePort(t)
	e := newEnv(t, withConfig(func(c *proxy.Config) { c.Host = "127.0.0.1"; c.Port = port }))
	e.addKey("a", "sk-ant-api03-OFF")
	addr := startOn(t, e)
	if err := e.svc.StopProxy(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e.svc.ProxyRunning() {
		t.Fatal("ProxyRunning after StopProxy")
	}
	for _, host := range []string{"127.0.0.1", "::1"} {
		squat, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err == nil {
			squat.Close()
			t.Errorf("another program bound %s:%d while the proxy was off", host, port)
		}
	}
	code, body := postTo(t, addr, "/v1/messages", e.key, messageBody, 5*time.Second)
	var anth struct {
		Type  string                   `json:"type"`
		Error struct{ Message string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &anth)
	if code != http.StatusServiceUnavailable || anth.Type != "error" || !strings.Contains(anth.Error.Message, "`sluice proxy on`") {
		t.Errorf("/v1/messages while off: %d %s", code, body)
	}
	code, body = postTo(t, addr, "/v1/chat/completions", e.key, `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`, 5*time.Second)
	var oai struct {
		Error struct{ Message string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &oai)
	if code != http.StatusServiceUnavailable || strings.Contains(body, `"type":"error"`) || !strings.Contains(oai.Error.Message, "proxy is off") {
		t.Errorf("/v1/chat/completions while off: %d %s", code, body)
	}
	if _, err := http.Get("http://" + addr + "/health"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.StartProxy(context.Background()); err != nil {
		t.Fatalf("proxy on after off: %v", err)
	}
	if code, body := postTo(t, addr, "/v1/messages", e.key, messageBody, 5*time.Second); code != http.StatusOK {
		t.Fatalf("proxy on again: %d %s", code, body)
	}
}

// The attack: a key guesser dials from a new loopback address for every
// guess (127.0.0.2, 127.0.0.3, ...), each of which used to start the
// brute-force delay afresh. All of loopback is one peer.
func TestBruteForceDelayCoversAllOfLoopback(t *testing.T) {
	e := newEnv(t)
	addr := startOn(t, e)
	var last time.Duration
	for i := range 10 {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: src}).DialContext}}
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/messages", strings.NewReader(messageBody))
		req.Header.Set("X-Api-Key", "sk-sluice-guess")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = time.Since(start)
	}
	// Five free failures, then 100 ms more each: the tenth waits 500 ms.
	if last < 400*time.Millisecond {
		t.Fatalf("the tenth wrong key, from a tenth loopback address, was answered in %v: no delay", last)
	}
}
