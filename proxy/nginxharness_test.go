package proxy_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The nginx side of the ratio harness: when nginx is installed (on PATH,
// in /usr/sbin, or named by SLUICE_NGINX; "off" skips it), the same rounds
// also go through an nginx reverse proxy in front of the same fake
// upstream, so Sluice's CPU per
// request and memory can be set beside a proxy that is the goal. Without
// nginx the harness runs as before and says nginx was skipped; nothing in
// CI depends on it (the short harness test runs without nginx).

// nginxConf is a minimal, fair reverse proxy: loopback only, keepalive to
// the upstream, no response buffering (so streams flow event by event, as
// through Sluice), request bodies held in memory (a 20 KB body would
// otherwise go to a temp file), an access log buffered as Sluice's
// journal batches its records. Two workers: Sluice's engine runs with
// GOMAXPROCS 2 on this 2-core machine.
const nginxConf = `daemon off;
master_process on;
worker_processes %d;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 4096; }
http {
	access_log %[2]s/access.log combined buffer=64k flush=1s;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	upstream fake {
		server %[3]s;
		keepalive 512;
	}
	server {
		listen %[4]s;
		client_max_body_size 32m;
		client_body_buffer_size 256k;
		keepalive_requests 100000;
		location / {
			proxy_pass %[5]s://fake;
			proxy_http_version 1.1;%[6]s
			proxy_set_header Connection "";
			proxy_buffering off;
			proxy_read_timeout 60s;
		}
	}
}
`

// nginxTLS is the upstream half of nginxConf for a fake over TLS: the
// fake's certificate trusted and verified (httptest's is for
// example.com), sessions resumed. nginx speaks HTTP/1.1 to upstreams, one
// request per connection at a time (keepalive reuses them), where Sluice
// multiplexes streams over HTTP/2.
const nginxTLS = `
			proxy_ssl_trusted_certificate %s;
			proxy_ssl_verify on;
			proxy_ssl_name example.com;
			proxy_ssl_server_name on;
			proxy_ssl_session_reuse on;`

// nginxWorkers is worker_processes: one per core of this machine, as
// Sluice's engine gets one P per core.
const nginxWorkers = 2

// nginxProxy is a running nginx: its address and master pid.
type nginxProxy struct {
	addr string
	cmd  *exec.Cmd
}

// nginxPath is the nginx binary to measure, or "" when none is installed
// or SLUICE_NGINX is "off".
func nginxPath() string {
	if p := os.Getenv("SLUICE_NGINX"); p == "off" {
		return ""
	} else if p != "" {
		return p
	}
	p, err := exec.LookPath("nginx")
	if err != nil {
		// Debian installs it in /usr/sbin, which a user's PATH may lack.
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			return "/usr/sbin/nginx"
		}
		return ""
	}
	return p
}

// startNginx writes a config in a temp dir and runs nginx in the
// foreground in front of upstream (a URL; https with ca, the PEM file of
// the certificate it must trust), failing the test if it does not listen
// within 10 s. It is stopped at the end of the test.
func startNginx(t *testing.T, bin, upstream, ca string) *nginxProxy {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	// A free loopback port: taken and released (nginx cannot listen on :0
	// and tell us which port it got).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	tlsConf := ""
	if u.Scheme == "https" {
		tlsConf = fmt.Sprintf(nginxTLS, ca)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, nginxWorkers, dir, u.Host, addr, u.Scheme, tlsConf), 0o600); err != nil {
		t.Fatal(err)
	}
	// -e: the error log before the config is read (not /var/log/nginx).
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	n := &nginxProxy{addr: addr, cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // SIGINT: fast shutdown of master and workers
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not listen on %s: %v\n%s", addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// pids are nginx's master and its worker processes (the master's children).
func (n *nginxProxy) pids(t *testing.T) []int {
	master := n.cmd.Process.Pid
	out := []int{master}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) > 1 && f[1] == strconv.Itoa(master) {
			out = append(out, pid)
		}
	}
	return out
}

// readProcs sums CPU time and memory over a group of processes (nginx's
// master and workers): what the proxy as a whole costs.
func readProcs(t *testing.T, pids []int) procStat {
	var sum procStat
	for _, pid := range pids {
		ps := readProc(t, pid)
		sum.cpu += ps.cpu
		sum.rssAnon += ps.rssAnon
		sum.rssFile += ps.rssFile
		sum.vmHWM += ps.vmHWM
	}
	return sum
}
