package proxy

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// burst sends n requests at once through rt to base and fails the test
// on any error.
func burst(t *testing.T, rt http.RoundTripper, base string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, base+"/v1/messages",
				strings.NewReader(`{"max_tokens":16,"messages":[{"role":"user","content":"hi"}],"model":"claude-sonnet-4-5","stream":true}`))
			if err != nil {
				errs <- err
				return
			}
			req.Header.Set("X-Api-Key", "sk-ant-api03-burst")
			resp, err := rt.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- &os.PathError{Op: "status", Path: resp.Status}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// A burst of streams to an HTTP/2 upstream with no connection open yet
// shares one: one TLS handshake where the bare transport started a dial
// for every request that found no connection free.
func TestBurstToHTTP2UpstreamDialsOnce(t *testing.T) {
	fake, tr := tlsFake(t, upstreamIdle())
	fake.Delay = 20 * time.Millisecond // streams overlap
	burst(t, &oneDial{next: tr}, fake.URL, 64)
	if hs, _, accepted := fake.TLSStats(); hs != 1 || accepted != 1 {
		t.Errorf("64 streams at once: %d handshakes, %d connections; want 1", hs, accepted)
	}
}

// An upstream that speaks HTTP/1.1 over TLS carries one request per
// connection: once its first handshake said so, its requests dial in
// parallel. The server holds every later handshake until n-1 have begun
// (the burst's first request takes the idle connection), which a gate on
// its dials would never let happen.
func TestBurstToHTTP1TLSUpstreamDialsInParallel(t *testing.T) {
	const n = 8
	var mu sync.Mutex
	hellos := 0
	all := make(chan struct{})
	wait := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		select {
		case <-all:
		case <-ctx.Done():
		}
	}
	learnt := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-learnt:
			wait() // hold the connection: the burst needs one per request
		default:
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"type":"message","usage":{"input_tokens":1,"output_tokens":1}}`)
	}))
	srv.TLS = &tls.Config{
		NextProtos: []string{"http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			mu.Lock()
			hellos++
			first := hellos == 1
			if hellos == n {
				close(all)
			}
			mu.Unlock()
			if !first {
				wait()
			}
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := newTransport(ca, upstreamIdle())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdleConnections)
	rt := &oneDial{next: tr}
	burst(t, rt, srv.URL, 1) // learns the host speaks HTTP/1.1
	close(learnt)
	start := time.Now()
	burst(t, rt, srv.URL, n)
	select {
	case <-all:
	default:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%d handshakes begun together, want %d: dials to an HTTP/1.1 upstream were serialised (%v)", hellos, n, time.Since(start))
	}
}

// A host whose dial failed takes no turns until a connection is had
// again: the requests waiting for the failed dial go at once, each on its
// own dial, instead of each waiting out its own dial in turn (a
// blackholed upstream would make the n-th wait n dial timeouts). The
// dialer fails the first dial, then holds every later one until n-1 are
// in flight together, which turns would never allow.
func TestRequestsWaitingOnAFailedDialGoAtOnce(t *testing.T) {
	const n = 6
	var mu sync.Mutex
	dials := 0
	first := make(chan struct{})
	all := make(chan struct{})
	var alone atomic.Int32 // dials that gave up waiting for the others
	tr, err := newTransport("", upstreamIdle())
	if err != nil {
		t.Fatal(err)
	}
	tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
		mu.Lock()
		dials++
		d := dials
		if d == n {
			close(all)
		}
		mu.Unlock()
		if d == 1 {
			<-first // the others queue behind this dial's turn
			return nil, errors.New("connection timed out")
		}
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		select {
		case <-all:
		case <-ctx.Done():
			alone.Add(1)
		}
		return nil, errors.New("connection refused")
	}
	rt := &oneDial{next: tr}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, "https://upstream.invalid/v1/models", nil)
			if _, err := rt.RoundTrip(req); err == nil {
				t.Error("a dial that failed gave a response")
			}
		})
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if h := rt.host("upstream.invalid"); len(h.turn) == 1 {
			break // the first request holds the turn, in its dial
		}
		if time.Now().After(deadline) {
			t.Fatal("no request took the host's turn")
		}
	}
	close(first)
	wg.Wait()
	if a := alone.Load(); a > 0 {
		t.Fatalf("%d of %d dials ran alone: requests waiting on a failed dial dialled in turn", a, n-1)
	}
}
