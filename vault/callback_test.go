package vault_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

// The redirect URI says localhost; a browser may reach it over ::1. Where
// the machine has an IPv6 loopback the callback answers there too (so no
// other local user can hold [::1]:PORT), and both sides close afterwards.
func TestLoginCallbackOnBothLoopbacks(t *testing.T) {
	ipv6 := true
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		ipv6 = false
	} else {
		ln.Close()
	}
	host := "127.0.0.1"
	if ipv6 {
		host = "::1"
	}
	srv := oauthtest.New(t)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var redirect *url.URL
	open := func(u string) error {
		resp, err := noFollow.Get(u) // the user approves: the server redirects
		if err != nil {
			return err
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			return err
		}
		redirect = loc
		loc.Host = net.JoinHostPort(host, loc.Port())
		cb, err := http.Get(loc.String())
		if err != nil {
			return err
		}
		return cb.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o := &vault.OAuth{Endpoints: srv.Endpoints(), HTTP: srv.Client()}
	if _, err := o.Login(ctx, vault.LoginOptions{Mode: vault.ModeMax, OpenBrowser: open, Out: discard{}}); err != nil {
		t.Fatalf("login through %s: %v", host, err)
	}
	for _, h := range []string{"127.0.0.1", "::1"} {
		if conn, err := net.Dial("tcp", net.JoinHostPort(h, redirect.Port())); err == nil {
			conn.Close()
			t.Errorf("callback still listening on %s after login", h)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
