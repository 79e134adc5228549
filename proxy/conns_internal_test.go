package proxy

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// Over the unauthenticated cap the oldest unauthenticated connection is
// closed to make room; a keyed one never is; with every slot keyed, a new
// connection is refused.
func TestConnCapsEvictOldestUnauthenticated(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	caps := newConnCaps(connLimit{Total: 3, Unauth: 2, UnauthPeer: 2}, slog.New(slog.DiscardHandler))
	ln := &cappedListener{Listener: raw, connCaps: caps}
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	next := func() net.Conn {
		select {
		case c := <-accepted:
			return c
		case <-time.After(5 * time.Second):
			t.Fatal("no connection accepted")
			return nil
		}
	}
	closed := func(c net.Conn) bool {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := c.Read(make([]byte, 1))
		return err == io.EOF
	}
	a := dial()
	sa := next()
	caps.keyed(sa.(*cappedConn)) // a's request carried a good key
	b := dial()
	next()
	c := dial()
	next()
	d := dial() // over the unauthenticated cap of 2: b, the oldest, goes
	next()
	if !closed(b) {
		t.Fatal("the oldest unauthenticated connection was not closed to make room")
	}
	_ = c
	_ = d
	caps.mu.Lock()
	total, unauth := caps.total, caps.unauth.Len()
	caps.mu.Unlock()
	if total != 3 || unauth != 2 {
		t.Fatalf("total %d, unauthenticated %d; want 3 and 2", total, unauth)
	}
	_ = a.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := a.Read(make([]byte, 1)); err == io.EOF {
		t.Fatal("a keyed connection was closed to make room")
	}
}
