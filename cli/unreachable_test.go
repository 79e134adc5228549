package cli_test

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// `sluice status` says when the Anthropic API cannot be reached, and why,
// once a request has found out.
func TestStatusReportsAnUnreachableUpstream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = "http://" + dead
	addr, stop := startOwner(t, env)
	defer stop()
	key := createKey(t, env, "upstream-test")
	sluice(t, env, keyA+"\n", "accounts", "add-key", "a") // saved unchecked: nothing answers
	if out := mustRun(t, env, "", "status").out; strings.Contains(out, "Upstream:") {
		t.Fatalf("status reports the upstream before any request tried it:\n%s", out)
	}
	if got := send(t, addr, key, ""); got != http.StatusBadGateway {
		t.Fatalf("request to a dead upstream: %d, want 502", got)
	}
	out := mustRun(t, env, "", "status").out
	if !strings.Contains(out, "Upstream:  unreachable since ") || !strings.Contains(out, "refused") {
		t.Errorf("status does not report the unreachable upstream:\n%s", out)
	}
}
