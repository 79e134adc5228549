package proxy_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The bare Go side of the ratio harness: the least a Go reverse proxy can
// do, in the same rounds as Sluice and nginx, so the cost of net/http
// itself (its goroutines, syscalls, scheduler) is measured rather than
// guessed. It is net/http/httputil.ReverseProxy with an http.Transport set
// as Sluice's upstream transport is for the mode (keep-alive pool of 256;
// over TLS the fake's CA trusted and HTTP/2 forced), answers flushed as
// they come (FlushInterval -1), and the credential header an API-key
// account needs. No journal, no pool of accounts, no guards. It runs in
// its own child process (the test binary re-executed, as the engine is,
// with the same GOMAXPROCS and GOGC), so its CPU time and RssAnon read
// from /proc are its own.
var (
	harnessBareFlag = flag.Bool("harness.bare", true, "a bare Go reverse proxy (httputil.ReverseProxy) in the same rounds and slow streams")
	harnessBareProf = flag.String("harness.barecpuprofile", "", "write the bare Go proxy's CPU profile here (TLS runs: with -tls before the extension)")
)

// harnessBareEnv, set in a harness child, makes it the bare Go proxy
// instead of the engine.
const harnessBareEnv = "SLUICE_HARNESS_BARE"

// bareAccount is the API-key account the bare proxy sends every request
// as: one of the engine's, so the fake's scripted behaviours (the slow
// streams' pacing) apply to both.
var bareAccount = loadAccounts[0]

// bareProxy is the bare proxy's handler for upstream (a URL; https when
// ca names the PEM file of the certificate to trust).
func bareProxy(upstream, ca string) (*httputil.ReverseProxy, error) {
	up, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("bare proxy: upstream: %w", err)
	}
	// As proxy.newTransport: DefaultTransport's dialer and timeouts, a
	// pool of 256 idle connections, HTTP/2 where TLS offers it.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	tr.IdleConnTimeout = time.Hour
	tr.ResponseHeaderTimeout = 10 * time.Minute
	tr.ForceAttemptHTTP2 = true
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("bare proxy: CA file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("bare proxy: CA file %s holds no PEM certificate", ca)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(up)
			pr.Out.Header.Set("X-Api-Key", bareAccount) // replaces the client's key
		},
		Transport:     tr,
		FlushInterval: -1,
	}, nil
}

// harnessBare is the bare proxy child: it serves on a loopback port it
// prints ("ADDR ...") until its stdin closes, then writes its CPU profile
// and exits.
func harnessBare(t *testing.T) {
	rp, err := bareProxy(os.Getenv("SLUICE_TEST_UPSTREAM"), os.Getenv("SLUICE_HARNESS_CA"))
	if err != nil {
		t.Fatal(err)
	}
	harnessChildRuntime(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 0 {
			r.Body = &sizedBody{ReadCloser: r.Body, left: r.ContentLength}
		}
		rp.ServeHTTP(w, r)
	})
	go func() { _ = (&http.Server{Handler: h}).Serve(l) }()
	fmt.Println("ADDR", l.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the harness closes it
	pprof.StopCPUProfile()
	os.Exit(0)
}

// sizedBody ends a request body at its Content-Length without reading
// the server's body again. Without it a bare ReverseProxy cuts streams
// over HTTP/1.1 (golang/go#40747): having written Content-Length bytes,
// the transport reads the body once more to check it ends; when the
// answer's headers were already written to the client, the server has
// closed the inbound body, that read fails, and the transport drops the
// upstream connection with the answer on it ("read error during body
// copy: use of closed network connection", the client gets an unexpected
// EOF; 164 of ~4,000 streams at c=1 in the first run). Sluice reads the
// body into a buffer first, nginx too; this is the cheapest fix, no copy.
type sizedBody struct {
	io.ReadCloser
	left int64
}

func (b *sizedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if err == nil && b.left <= 0 {
		err = io.EOF
	}
	return n, err
}

// bareChild is a running bare proxy child.
type bareChild struct {
	cmd   *exec.Cmd
	addr  string
	stdin io.Closer
	done  chan struct{} // closed when the child exited; err is then its Wait's error
	err   error
}

// startBare starts the bare proxy child in front of h's fake, failing the
// test if it prints no address. It is stopped (stop) at the end of the
// run, and killed at the end of the test in any case.
func startBare(t *testing.T, h *harnessRun) *bareChild {
	t.Helper()
	prof := *harnessBareProf
	if prof != "" && h.o.tls {
		ext := filepath.Ext(prof)
		prof = strings.TrimSuffix(prof, ext) + "-tls" + ext
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+h.o.test+"$")
	cmd.Env = append(os.Environ(), harnessChildEnv+"="+t.TempDir(), harnessBareEnv+"=1",
		"SLUICE_TEST_UPSTREAM="+h.fake.URL, "SLUICE_HARNESS_CA="+h.ca,
		"SLUICE_HARNESS_CPUPROFILE="+prof, "SLUICE_HARNESS_GOGC="+strconv.Itoa(*harnessGOGC))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bare proxy: %v", err)
	}
	b := &bareChild{cmd: cmd, stdin: stdin, done: make(chan struct{})}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			b.addr = a
			break
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, stdout) // nothing more is expected; never block the child
		b.err = cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-b.done })
	if b.addr != "" {
		return b
	}
	t.Fatal("bare proxy child printed no address")
	return nil
}

// pid is the bare proxy's process.
func (b *bareChild) pid() int { return b.cmd.Process.Pid }

// stop closes the child's stdin and waits up to 10 s for it to write its
// profile and exit.
func (b *bareChild) stop() error {
	_ = b.stdin.Close()
	select {
	case <-b.done:
		if b.err != nil {
			return fmt.Errorf("bare proxy child: %w", b.err)
		}
		return nil
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		return fmt.Errorf("bare proxy child did not exit within 10 s of its stdin closing")
	}
}
