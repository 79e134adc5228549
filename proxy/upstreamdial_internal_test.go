package proxy

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
