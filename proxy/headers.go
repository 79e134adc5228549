package proxy

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sluice-proxy/sluice/vault"
)

// oauthBeta is the anthropic-beta value OAuth bearer tokens require. It is
// the only thing Sluice adds to what a client sent.
const oauthBeta = "oauth-2025-04-20"

// hopHeaders are connection-scoped (RFC 9110 section 7.6.1) and never
// forwarded in either direction.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// clientOnly are request headers that belong to the client's hop: its own
// credentials, and what the transport sets itself.
var clientOnly = []string{
	"Authorization", "X-Api-Key", "Cookie", "Host", "Content-Length",
	// Replaced by identity in upstreamHeader.
	"Accept-Encoding",
	// Sluice's own tag for the journal (Record.Project): not Anthropic's
	// business.
	projectHeader,
}

// removeHop deletes hop-by-hop headers, including any that Connection names.
func removeHop(h http.Header) {
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// upstreamHeader is the header the upstream receives: the client's own,
// minus its credentials and hop-by-hop fields, plus the account's credential.
func upstreamHeader(in http.Header, c vault.Credential) http.Header {
	h := in.Clone()
	removeHop(h)
	for _, name := range clientOnly {
		h.Del(name)
	}
	// Bodies come uncompressed, so the usage meter reads plain text. Set
	// explicitly, the transport does not decode either: a hostile upstream
	// sending a gzip bomb anyway has it relayed compressed, as it came,
	// never inflated in Sluice's memory.
	h.Set("Accept-Encoding", "identity")
	switch c.Kind {
	case vault.KindOAuth:
		h.Set("Authorization", "Bearer "+c.AccessToken)
		addBeta(h, oauthBeta)
	default:
		h.Set("X-Api-Key", c.APIKey)
	}
	return h
}

// addBeta appends a value to anthropic-beta unless it is already there.
func addBeta(h http.Header, beta string) {
	var vals []string
	for _, v := range h.Values("Anthropic-Beta") {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b == beta {
				return
			} else if b != "" {
				vals = append(vals, b)
			}
		}
	}
	h.Set("Anthropic-Beta", strings.Join(append(vals, beta), ","))
}

// copyResponseHeader copies the upstream's response header to the client,
// unchanged but for hop-by-hop fields. The value slices are shared, not
// copied (a copy per header per answer showed in the load profile): src is
// an upstream response's header, which nothing changes after this, and
// dst's values are only ever replaced (Set) or deleted, never edited in
// place; an Add would append past the shared slice's length, which src
// does not see. A Vary the guards already set (Origin, for a page's
// request) is kept beside the upstream's, as a cache must see both.
func copyResponseHeader(dst, src http.Header) {
	for k, vv := range src {
		if k == "Vary" && len(dst[k]) > 0 {
			vv = append(slices.Clip(dst[k]), vv...)
		}
		dst[k] = vv
	}
	removeHop(dst)
}
