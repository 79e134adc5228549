// Package oauthtest is a fake Anthropic authorization server for tests. Its
// authorize endpoint approves at once (it redirects to redirect_uri with a
// code and the state, as if the user had clicked "Authorize"), so a test's
// OpenBrowser func can simply GET the URL and let the client follow the
// redirect to the loopback callback. The token endpoint checks the code, the
// PKCE verifier (S256) and the client id, issues and rotates tokens, and can
// be told to fail.
package oauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/vault"
)

// ClientID is the client id the server accepts (vault's default).
const ClientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"

// Server is a running fake authorization server, closed by t.Cleanup.
type Server struct {
	*httptest.Server // URL is the base of every endpoint

	exchanges, refreshes, apiKeys atomic.Int64

	mu           sync.Mutex
	expiresIn    time.Duration
	authorizeErr string
	refreshErr   errorAnswer
	tokenErr     errorAnswer
	codes        map[string]grant
	access       map[string]grant // access token -> its grant
	refresh      map[string]grant // live refresh tokens
	keys         map[string]bool
}

// grant is what an authorization code or token was issued for.
type grant struct {
	challenge, redirectURI, state, scope string
	console                              bool
}

type errorAnswer struct {
	status int
	code   string
}

// New starts a server; it is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		expiresIn: time.Hour,
		codes:     map[string]grant{}, access: map[string]grant{},
		refresh: map[string]grant{}, keys: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /max/oauth/authorize", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, false) })
	mux.HandleFunc("GET /console/oauth/authorize", func(w http.ResponseWriter, r *http.Request) { s.authorize(w, r, true) })
	mux.HandleFunc("GET /oauth/code/callback", s.manualCallback)
	mux.HandleFunc("POST /v1/oauth/token", s.token)
	mux.HandleFunc("POST /api/oauth/claude_cli/create_api_key", s.createAPIKey)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// Endpoints points every vault endpoint at this server.
func (s *Server) Endpoints() vault.Endpoints {
	ep := vault.DefaultEndpoints()
	ep.MaxAuthorizeURL = s.URL + "/max/oauth/authorize"
	ep.ConsoleAuthorizeURL = s.URL + "/console/oauth/authorize"
	ep.TokenURL = s.URL + "/v1/oauth/token"
	ep.APIKeyURL = s.URL + "/api/oauth/claude_cli/create_api_key"
	ep.ManualRedirectURL = s.URL + "/oauth/code/callback"
	return ep
}

// SetExpiresIn sets the expires_in of the tokens issued from now on.
func (s *Server) SetExpiresIn(d time.Duration) { s.mu.Lock(); s.expiresIn = d; s.mu.Unlock() }

// DenyAuthorize makes the authorize endpoint redirect with error=code (for
// example "access_denied"); "" approves again.
func (s *Server) DenyAuthorize(code string) { s.mu.Lock(); s.authorizeErr = code; s.mu.Unlock() }

// FailRefresh makes refresh requests fail with this status and error code,
// e.g. (400, "invalid_grant") or (500, "server_error"); status 0 restores
// normal answers. Failed refreshes are still counted.
func (s *Server) FailRefresh(status int, code string) {
	s.mu.Lock()
	s.refreshErr = errorAnswer{status, code}
	s.mu.Unlock()
}

// FailExchange does the same for authorization code exchanges.
func (s *Server) FailExchange(status int, code string) {
	s.mu.Lock()
	s.tokenErr = errorAnswer{status, code}
	s.mu.Unlock()
}

// RefreshCalls counts refresh_token requests, failed ones included.
func (s *Server) RefreshCalls() int64 { return s.refreshes.Load() }

// ExchangeCalls counts authorization_code requests, failed ones included.
func (s *Server) ExchangeCalls() int64 { return s.exchanges.Load() }

// APIKeyCalls counts create_api_key requests.
func (s *Server) APIKeyCalls() int64 { return s.apiKeys.Load() }

// Issue mints a subscription credential as a completed login would, without
// the browser steps: for tests that start from a stored account.
func (s *Server) Issue() vault.Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh, exp := s.issueLocked(grant{scope: "user:inference"})
	return vault.Credential{Kind: vault.KindOAuth, AccessToken: access, RefreshToken: refresh,
		ExpiresAt: time.Now().Add(exp).UnixMilli()}
}

// ValidAccessToken reports whether tok is an access token this server
// issued (rotation does not revoke earlier access tokens).
func (s *Server) ValidAccessToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.access[tok]
	return ok
}

// ValidAPIKey reports whether key was created by create_api_key.
func (s *Server) ValidAPIKey(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys[key]
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request, console bool) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Scheme == "" {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	for _, p := range []struct{ name, want string }{
		{"client_id", ClientID}, {"response_type", "code"}, {"code_challenge_method", "S256"}, {"code", "true"},
	} {
		if q.Get(p.name) != p.want {
			http.Error(w, "invalid "+p.name, http.StatusBadRequest)
			return
		}
	}
	if q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("scope") == "" {
		http.Error(w, "missing code_challenge, state or scope", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	s.mu.Lock()
	if s.authorizeErr != "" {
		back.Set("error", s.authorizeErr)
		back.Set("error_description", "the user did not approve")
	} else {
		code := "code-" + random()
		s.codes[code] = grant{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"),
			state: q.Get("state"), scope: q.Get("scope"), console: console}
		back.Set("code", code)
	}
	s.mu.Unlock()
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// manualCallback is the page the paste flow ends on; it shows code#state.
func (s *Server) manualCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Error(w, "error: "+e, http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><body><p>Paste this code into Sluice:</p><code>%s</code></body></html>",
		html.EscapeString(q.Get("code")+"#"+q.Get("state")))
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", "body is not a JSON object of strings")
		return
	}
	if req["client_id"] != ClientID {
		writeError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req["grant_type"] {
	case "authorization_code":
		s.exchanges.Add(1)
		if s.tokenErr.status != 0 {
			writeError(w, s.tokenErr.status, s.tokenErr.code, "forced failure")
			return
		}
		g, ok := s.codes[req["code"]]
		delete(s.codes, req["code"]) // a code is good for one attempt
		switch {
		case !ok:
			writeError(w, http.StatusBadRequest, "invalid_grant", "unknown or used authorization code")
		case vault.ChallengeS256(req["code_verifier"]) != g.challenge:
			writeError(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match code_challenge")
		case req["redirect_uri"] != g.redirectURI:
			writeError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorize request")
		case req["state"] != g.state:
			writeError(w, http.StatusBadRequest, "invalid_request", "state differs from the authorize request")
		default:
			s.writeTokens(w, g)
		}
	case "refresh_token":
		s.refreshes.Add(1)
		if s.refreshErr.status != 0 {
			writeError(w, s.refreshErr.status, s.refreshErr.code, "forced failure")
			return
		}
		g, ok := s.refresh[req["refresh_token"]]
		if !ok {
			writeError(w, http.StatusBadRequest, "invalid_grant", "refresh token not found or already used")
			return
		}
		delete(s.refresh, req["refresh_token"]) // rotation: each refresh token works once
		s.writeTokens(w, g)
	default:
		writeError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

// issueLocked mints an access and a refresh token for g; s.mu is held.
func (s *Server) issueLocked(g grant) (access, refresh string, expiresIn time.Duration) {
	access, refresh = "sk-ant-oat01-fake-"+random(), "sk-ant-ort01-fake-"+random()
	s.access[access] = g
	s.refresh[refresh] = g
	return access, refresh, s.expiresIn
}

func (s *Server) writeTokens(w http.ResponseWriter, g grant) {
	access, refresh, exp := s.issueLocked(g)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "access_token": access, "refresh_token": refresh,
		"expires_in": int64(exp / time.Second), "scope": g.scope,
	})
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) {
	s.apiKeys.Add(1)
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	g, known := s.access[tok]
	switch {
	case !ok || !known:
		writeError(w, http.StatusUnauthorized, "authentication_error", "invalid bearer token")
	case !g.console || !strings.Contains(g.scope, "org:create_api_key"):
		writeError(w, http.StatusForbidden, "permission_error", "only Console logins with org:create_api_key may create keys")
	default:
		key := "sk-ant-api03-fake-" + random()
		s.keys[key] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"raw_key": key})
	}
}

func writeError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
