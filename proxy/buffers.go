package proxy

import (
	"context"
	"errors"
	"io"
	"math/bits"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// Buffer reuse on the request path. In the load harness (json, c=32,
// ~20 KB bodies) two short-lived buffers were 67% of the bytes the engine
// allocated per request: the request body (37%) and the transport's copy
// buffer for writing it upstream (30%). With a live heap of a few MiB every
// such byte brings the next GC cycle closer: ~50 cycles a second.

// Request bodies are read into buffers from size-classed pools, two
// classes per power of two (16, 24, 32, 48 KiB ... 1 MiB), so a body
// wastes at most a third of its buffer (a 20 KB body takes 24 KiB); larger
// bodies are allocated as before.
const (
	minBodyShift = 14 // 16 KiB
	maxBodyShift = 20 // 1 MiB
)

var bodyPools [2*(maxBodyShift-minBodyShift) + 1]sync.Pool

// bodyClass is the pool index for a buffer of at least n bytes, or -1 when
// no class holds it.
func bodyClass(n int) int {
	if n <= 0 || n > 1<<maxBodyShift {
		return -1
	}
	k := max(bits.Len(uint(n-1)), minBodyShift) // n <= 1<<k
	i := 2 * (k - minBodyShift)
	if k > minBodyShift && n <= 3<<(k-2) {
		i-- // the class between 1<<(k-1) and 1<<k
	}
	return i
}

// bodyClassSize is the capacity of class i's buffers.
func bodyClassSize(i int) int {
	k := minBodyShift + (i+1)/2
	if i%2 == 1 {
		return 3 << (k - 2)
	}
	return 1 << k
}

// bodyBuf is a request body read once and shared by the readers of every
// upstream attempt. It returns to its pool only when the handler is done
// with it and every reader given to the transport has been closed: the
// transport may close (and stop reading) a request body after RoundTrip has
// returned, so the handler's end alone does not free it.
type bodyBuf struct {
	b     []byte
	class int          // pool index, -1 when not pooled
	refs  atomic.Int32 // the handler's reference and one per open reader
	held  atomic.Bool  // the handler's reference is still held
}

// readBody reads a request body in one buffer when its length is
// declared: io.ReadAll's doubling was over half the bytes the engine
// allocated per request in the load harness. The caller must release it.
func readBody(r io.Reader, declared, limit int64) (*bodyBuf, error) {
	bb := &bodyBuf{class: -1}
	bb.refs.Store(1)
	bb.held.Store(true)
	if declared <= 0 || declared > limit {
		b, err := io.ReadAll(r)
		bb.b = b
		return bb, err
	}
	// Room for one more byte, to see EOF without growing.
	want := int(declared) + 1
	var buf []byte
	if c := bodyClass(want); c >= 0 {
		if p, ok := bodyPools[c].Get().(*[]byte); ok {
			buf = (*p)[:0]
		} else {
			buf = make([]byte, 0, bodyClassSize(c))
		}
		bb.class = c
	} else {
		buf = make([]byte, 0, want)
	}
	for {
		if len(buf) == cap(buf) {
			// More than declared: the server stops at Content-Length, so
			// this is a limit reader's probe; grow off the pool.
			buf = append(buf, 0)[:len(buf)]
			bb.class = -1
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bb.b = buf
			return bb, err
		}
	}
	bb.b = buf
	return bb, nil
}

// reader is a new reader of the body for one upstream request; the
// transport closes it when done.
func (bb *bodyBuf) reader() io.ReadCloser {
	bb.refs.Add(1)
	return &bodyReader{bb: bb}
}

// drop lets go of the handler's reference, once: when the handler ends,
// or as soon as an answer is being relayed, since no attempt follows it.
// A stream then holds no copy of its request for its whole life.
func (bb *bodyBuf) drop() {
	if bb.held.CompareAndSwap(true, false) {
		bb.release()
	}
}

// release drops one reference; the last one returns the buffer.
func (bb *bodyBuf) release() {
	if bb.refs.Add(-1) != 0 || bb.class < 0 {
		return
	}
	b := bb.b[:0]
	bb.b = nil
	bodyPools[bb.class].Put(&b)
}

// errBodyClosed is what a body reader returns once the transport closed it.
var errBodyClosed = errors.New("proxy: request body read after close")

// bodyReader reads a bodyBuf. Read and Close exclude each other, so once
// Close has returned nothing reads the buffer again, whichever goroutine
// of the transport still holds the reader.
type bodyReader struct {
	mu  sync.Mutex
	bb  *bodyBuf // nil once closed or read to the end
	off int
	eof bool // read to the end: the buffer is let go, Read says io.EOF
}

// Read lets go of the buffer as soon as its last byte is read: the HTTP/2
// transport closes a request body only when its stream ends, so an open
// stream would otherwise hold its whole request (24 KiB per open stream
// at the harness's 20 KB bodies, docs/BENCHMARKS.md round 6). A retry
// reads through a new reader (GetBody), taken while the handler still
// holds its reference.
func (r *bodyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bb == nil {
		if r.eof {
			return 0, io.EOF
		}
		return 0, errBodyClosed
	}
	n := copy(p, r.bb.b[r.off:])
	r.off += n
	if r.off >= len(r.bb.b) {
		bb := r.bb
		r.bb, r.eof = nil, true
		bb.release()
		if n == 0 {
			return 0, io.EOF
		}
	}
	return n, nil
}

func (r *bodyReader) Close() error {
	r.mu.Lock()
	bb := r.bb
	r.bb = nil
	r.mu.Unlock()
	if bb != nil {
		bb.release()
	}
	return nil
}

// copyConn is an upstream connection whose ReadFrom copies through a
// pooled buffer. The HTTP/1 transport writes a request body with
// io.Copy(conn, LimitReader(body)); a bare *net.TCPConn then allocates a
// buffer the size of the body for every request (neither splice nor
// sendfile applies to a body in memory).
type copyConn struct{ net.Conn }

func (c copyConn) ReadFrom(r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	return io.CopyBuffer(writerOnly{c.Conn}, r, *bp)
}

// writerOnly hides a connection's own ReadFrom from io.CopyBuffer.
type writerOnly struct{ io.Writer }

// pooledCopyDialer wraps dial so its connections write bodies through
// copyConn. TLS wraps the connection, so only plain-HTTP upstreams (a
// local gateway, the test fakes) take this path; HTTP/2 pools its own.
func pooledCopyDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return copyConn{c}, nil
	}
}

// setBody gives an upstream request the request's body: a new reader of
// its buffer, and another for each time the transport asks to resend it.
func (req *request) setBody(up *http.Request) {
	up.ContentLength = int64(len(req.body))
	if len(req.body) == 0 {
		up.Body, up.GetBody = http.NoBody, nil
		return
	}
	bb := req.bb
	up.Body = bb.reader()
	up.GetBody = func() (io.ReadCloser, error) { return bb.reader(), nil }
}
