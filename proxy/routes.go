package proxy

import (
	"encoding/json"
	"net"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// routes builds the handler: guards first, then the dialect routes.
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	v1 := s.requireKey(s.limitBody(http.HandlerFunc(s.forward)))
	local := s.requireKey(http.HandlerFunc(s.notServedHandler))
	mux.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if notServed(r) { // OpenAI paths Sluice does not translate: never forwarded
			local.ServeHTTP(w, r)
			return
		}
		v1.ServeHTTP(w, r)
	}))
	s.openaiRoutes(mux, v1)
	// Claude Code reports telemetry to its base URL. Sluice answers and
	// discards it: forwarding it would send the user's usage data to
	// Anthropic under an account it was never meant for.
	mux.HandleFunc("/api/event_logging/", discard)
	mux.HandleFunc("/api/claude_code/metrics", discard)
	mux.Handle("/", s.requireKey(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// 404, as the API answers a path it does not serve.
		requestOf(r).err = &httpError{status: http.StatusNotFound, kind: errNotFound,
			msg: "Sluice does not serve " + r.Method + " " + sanitize(r.URL.Path) + "; API requests go to /v1/..."}
	})))
	return s.serve(s.guard(mux))
}

// guard applies the checks every request passes before routing.
func (s *Service) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestOf(r)
		// Every response, the upstream's included, is data, never a
		// document a browser should sniff into something runnable.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// DNS rebinding: a web page at evil.example that resolves to
		// 127.0.0.1 reaches us with Host: evil.example. Only loopback
		// names are ours.
		if !loopbackHost(r.Host) {
			// 421 Misdirected Request: this server is not the one the
			// Host header names.
			s.refuse(r, "Host is not loopback")
			req.err = &httpError{status: http.StatusMisdirectedRequest, kind: errPermission,
				msg: "Sluice only answers requests addressed to localhost or a loopback address"}
			return
		}
		// Unclean paths (//, /./, /../) are refused rather than cleaned
		// and redirected: nothing odd is forwarded under an account.
		if p := r.URL.Path; p == "" || path.Clean(p) != p && p != path.Clean(p)+"/" {
			s.refuse(r, "malformed path")
			req.err = &httpError{status: http.StatusNotFound, kind: errNotFound, msg: "malformed path " + sanitize(r.URL.Path)}
			return
		}
		// Browsers mark requests a web page makes to another site, even
		// those that carry no Origin (an <img> or a form GET): refuse them
		// unless the page's origin is allowed.
		allowed := s.proxySettings().AllowedOrigins // changed live (proxysettings.go)
		if site := r.Header.Get("Sec-Fetch-Site"); (site == "cross-site" || site == "same-site") &&
			!slices.Contains(allowed, r.Header.Get("Origin")) {
			// 403: a web page may not use the user's accounts.
			s.refuse(r, "cross-site request")
			req.err = &httpError{status: http.StatusForbidden, kind: errPermission, msg: "requests from web pages are not allowed"}
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if !slices.Contains(allowed, origin) {
				s.refuse(r, "foreign Origin")
				req.err = &httpError{status: http.StatusForbidden, kind: errPermission,
					msg: "cross-origin requests from " + sanitize(origin) + " are not allowed"}
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "authorization, x-api-key, content-type, anthropic-version, anthropic-beta, x-claude-code-session-id")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func discard(w http.ResponseWriter, _ *http.Request) {
	ownHeaders(w.Header())
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}\n"))
}

// Health is what GET /health reports. It holds no secret.
type Health struct {
	Status         string `json:"status"`
	Version        string `json:"version"`
	UsableAccounts int    `json:"usable_accounts"`
	Accounts       int    `json:"accounts"`
	// DroppedRecords counts request records the journal could not keep
	// (queue full, disk full, database read-only) since start: requests
	// are served regardless, so this is how the loss shows.
	DroppedRecords int64 `json:"dropped_records"`
	// UpstreamError says why the Anthropic API cannot be reached, since
	// UpstreamErrorSince (status "degraded"), until a request gets through.
	UpstreamError      string    `json:"upstream_error,omitempty"`
	UpstreamErrorSince time.Time `json:"upstream_error_since,omitzero"`
}

// Health reports the engine's state.
func (s *Service) Health() Health {
	snap := s.pool.Snapshot()
	h := Health{Status: "ok", Version: s.cfg.Version, Accounts: len(snap), UsableAccounts: s.UsableAccounts(),
		DroppedRecords: s.records.Dropped()}
	h.UpstreamError, h.UpstreamErrorSince = s.UpstreamError()
	switch {
	case h.UsableAccounts == 0:
		h.Status = "no_usable_accounts"
	case h.UpstreamError != "":
		h.Status = "degraded"
	}
	return h
}

func (s *Service) health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ownHeaders(w.Header())
	_ = json.NewEncoder(w).Encode(s.Health())
}
