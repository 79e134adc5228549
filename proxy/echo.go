package proxy

import (
	"log/slog"
	"net/http"
	"strings"
)

// scrubEcho drops upstream response headers that repeat the credential the
// request carried: a hostile or broken upstream (or a debugging proxy)
// echoing the account's key or token must not hand it to the client.
type scrubEcho struct {
	next http.RoundTripper
	log  *slog.Logger
}

// minSecret is the shortest credential worth looking for: shorter values
// would match innocent headers.
const minSecret = 16

// RoundTrip sends req and scrubs the response's header.
func (t scrubEcho) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	var secrets []string
	if k := req.Header.Get("X-Api-Key"); len(k) >= minSecret {
		secrets = append(secrets, k)
	}
	if a := req.Header.Get("Authorization"); len(a) > 7 && len(a[7:]) >= minSecret && strings.EqualFold(a[:7], "bearer ") {
		secrets = append(secrets, a[7:])
	}
	if len(secrets) == 0 {
		return resp, nil
	}
	for name, vv := range resp.Header {
		for _, v := range vv {
			if containsAny(v, secrets) {
				delete(resp.Header, name)
				t.log.Warn("upstream echoed the account's credential in a response header; dropped it", "header", name)
				break
			}
		}
	}
	return resp, nil
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
