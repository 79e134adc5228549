package vault

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mode says which Anthropic login a PKCE flow performs.
type Mode string

const (
	// ModeMax signs in with a Claude subscription (Pro/Max) and yields an
	// OAuth credential.
	ModeMax Mode = "max"
	// ModeConsole signs in to the Anthropic Console and yields an API key
	// created for the account.
	ModeConsole Mode = "console"
)

// Endpoints are the URLs and client parameters of Anthropic's OAuth server.
// Every one is a setting so tests can point them at a local fake.
type Endpoints struct {
	MaxAuthorizeURL     string // default https://claude.ai/oauth/authorize
	ConsoleAuthorizeURL string // default https://console.anthropic.com/oauth/authorize
	TokenURL            string // default https://platform.claude.com/v1/oauth/token
	APIKeyURL           string // default https://api.anthropic.com/api/oauth/claude_cli/create_api_key
	ManualRedirectURL   string // default https://platform.claude.com/oauth/code/callback
	ClientID            string // default 9d1c250a-e61b-44d9-88ed-5944d1962f5e
	Scopes              string // default "org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"
}

// DefaultEndpoints returns Anthropic's current production endpoints.
func DefaultEndpoints() Endpoints {
	return Endpoints{
		MaxAuthorizeURL:     "https://claude.ai/oauth/authorize",
		ConsoleAuthorizeURL: "https://console.anthropic.com/oauth/authorize",
		TokenURL:            "https://platform.claude.com/v1/oauth/token",
		APIKeyURL:           "https://api.anthropic.com/api/oauth/claude_cli/create_api_key",
		ManualRedirectURL:   "https://platform.claude.com/oauth/code/callback",
		ClientID:            "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
		Scopes:              "org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload",
	}
}

// withDefaults fills the empty fields from DefaultEndpoints.
func (e Endpoints) withDefaults() Endpoints {
	d := DefaultEndpoints()
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&e.MaxAuthorizeURL, d.MaxAuthorizeURL}, {&e.ConsoleAuthorizeURL, d.ConsoleAuthorizeURL},
		{&e.TokenURL, d.TokenURL}, {&e.APIKeyURL, d.APIKeyURL}, {&e.ManualRedirectURL, d.ManualRedirectURL},
		{&e.ClientID, d.ClientID}, {&e.Scopes, d.Scopes},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return e
}

// ErrStateMismatch reports an authorization response whose state is not the
// one the flow sent: a stale tab, a mistyped paste, or a forged request.
var ErrStateMismatch = errors.New("vault: OAuth state mismatch (the sign-in response belongs to another attempt); start the sign-in again")

// OAuthError is an error answered by the authorization server, either as an
// error= redirect parameter or as a token endpoint error (RFC 6749 §4.1.2.1
// and §5.2). It carries no secrets.
type OAuthError struct {
	Op          string // "authorize", "token exchange", "refresh", "create API key"
	Status      int    // HTTP status; 0 for an error= redirect
	Code        string // e.g. "invalid_grant", "access_denied"
	Description string // the server's error_description, shortened
}

// Error describes the failure with the server's code and description.
func (e *OAuthError) Error() string {
	msg := "vault: OAuth " + e.Op + " failed"
	if e.Status != 0 {
		msg += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// OAuth performs Anthropic's PKCE logins and token refreshes.
type OAuth struct {
	// Endpoints to use; empty fields take their DefaultEndpoints value.
	Endpoints Endpoints
	// HTTP sends the requests; nil means a client with a 30 s timeout.
	HTTP *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// Session is one started PKCE flow. It holds the verifier, so it is kept in
// memory only and prints without it.
type Session struct {
	Mode         Mode
	RedirectURI  string
	AuthorizeURL string // the URL the user opens in a browser
	State        string // the state sent; the response must echo it
	verifier     string
}

// String describes the session without its verifier.
func (s *Session) String() string {
	return fmt.Sprintf("vault.Session{%s, %s}", s.Mode, s.RedirectURI)
}

// Format keeps every fmt verb from printing the verifier.
func (s *Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Begin starts a PKCE flow: it makes a verifier and state and the authorize
// URL that sends the user's approval to redirectURI.
func (o *OAuth) Begin(mode Mode, redirectURI string) (*Session, error) {
	ep := o.Endpoints.withDefaults()
	var base string
	switch mode {
	case ModeMax:
		base = ep.MaxAuthorizeURL
	case ModeConsole:
		base = ep.ConsoleAuthorizeURL
	default:
		return nil, fmt.Errorf("vault: unknown login mode %q (valid: %s, %s)", mode, ModeMax, ModeConsole)
	}
	if redirectURI == "" {
		return nil, errors.New("vault: begin login: empty redirect URI")
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("vault: begin login: parse authorize URL: %w", err)
	}
	verifier, err := newVerifier()
	if err != nil {
		return nil, err
	}
	state, err := randomToken(32)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("code", "true")
	q.Set("client_id", ep.ClientID)
	q.Set("response_type", "code")
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", ep.Scopes)
	q.Set("code_challenge", ChallengeS256(verifier))
	q.Set("code_challenge_method", "S256")
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return &Session{Mode: mode, RedirectURI: redirectURI, AuthorizeURL: u.String(), State: state, verifier: verifier}, nil
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
}

// Exchange trades the authorization code for tokens. state must be the one
// the authorization response carried; it is checked against the session's
// before anything is sent. In console mode it goes on to create an API key
// and returns that instead of the tokens.
func (o *OAuth) Exchange(ctx context.Context, s *Session, code, state string) (Credential, error) {
	if s == nil || s.verifier == "" {
		return Credential{}, errors.New("vault: token exchange: session not started with Begin")
	}
	if !equalConstantTime(state, s.State) {
		return Credential{}, ErrStateMismatch
	}
	if code == "" {
		return Credential{}, errors.New("vault: token exchange: empty authorization code")
	}
	ep := o.Endpoints.withDefaults()
	var tr tokenResponse
	err := o.postJSON(ctx, "token exchange", ep.TokenURL, "", map[string]string{
		"grant_type":    "authorization_code",
		"code":          code,
		"state":         state,
		"client_id":     ep.ClientID,
		"redirect_uri":  s.RedirectURI,
		"code_verifier": s.verifier,
	}, &tr)
	if err != nil {
		return Credential{}, err
	}
	if tr.AccessToken == "" {
		return Credential{}, errors.New("vault: token exchange: response has no access_token")
	}
	if s.Mode == ModeConsole {
		key, err := o.CreateAPIKey(ctx, tr.AccessToken)
		if err != nil {
			return Credential{}, err
		}
		return Credential{Kind: KindAPIKey, APIKey: key}, nil
	}
	return o.credential(tr, ""), nil
}

// CreateAPIKey creates an Anthropic API key with a Console access token.
func (o *OAuth) CreateAPIKey(ctx context.Context, accessToken string) (string, error) {
	var resp struct {
		RawKey string `json:"raw_key"`
	}
	if err := o.postJSON(ctx, "create API key", o.Endpoints.withDefaults().APIKeyURL, accessToken, nil, &resp); err != nil {
		return "", err
	}
	if resp.RawKey == "" {
		return "", errors.New("vault: create API key: response has no raw_key")
	}
	return resp.RawKey, nil
}

// Refresh obtains a new access token. The server usually rotates the
// refresh token too; the returned credential holds the one to keep (the old
// one when none was issued). A refused refresh token (invalid_grant) yields
// an error wrapping ErrNeedsLogin.
func (o *OAuth) Refresh(ctx context.Context, refreshToken string) (Credential, error) {
	if refreshToken == "" {
		return Credential{}, fmt.Errorf("vault: refresh: no refresh token: %w", ErrNeedsLogin)
	}
	ep := o.Endpoints.withDefaults()
	var tr tokenResponse
	err := o.postJSON(ctx, "refresh", ep.TokenURL, "", map[string]string{
		"grant_type":    "refresh_token",
		"refresh_token": refreshToken,
		"client_id":     ep.ClientID,
	}, &tr)
	var oe *OAuthError
	if errors.As(err, &oe) && oe.Code == "invalid_grant" {
		return Credential{}, fmt.Errorf("%w: %w", ErrNeedsLogin, err)
	}
	if err != nil {
		return Credential{}, err
	}
	if tr.AccessToken == "" {
		return Credential{}, errors.New("vault: refresh: response has no access_token")
	}
	return o.credential(tr, refreshToken), nil
}

// credential turns a token response into an OAuth credential.
func (o *OAuth) credential(tr tokenResponse, oldRefresh string) Credential {
	c := Credential{Kind: KindOAuth, AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken}
	if c.RefreshToken == "" {
		c.RefreshToken = oldRefresh
	}
	if tr.ExpiresIn > 0 {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		c.ExpiresAt = now().Add(time.Duration(tr.ExpiresIn) * time.Second).UnixMilli()
	}
	return c
}

// maxResponse bounds what is read of an OAuth response.
const maxResponse = 1 << 20

// postJSON POSTs body as JSON (no body when nil) and decodes a 2xx answer
// into out. Error answers become *OAuthError; neither the request nor the
// response body is ever quoted, as both carry secrets.
func (o *OAuth) postJSON(ctx context.Context, op, endpoint, bearer string, body any, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("vault: OAuth %s: encode request: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, rd)
	if err != nil {
		return fmt.Errorf("vault: OAuth %s: build request: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	client := http.Client{Timeout: 30 * time.Second}
	if o.HTTP != nil {
		client = *o.HTTP
	}
	// A redirect would re-send the code and verifier, or the refresh
	// token, to wherever the server points: refuse every one.
	client.CheckRedirect = refuseRedirect
	resp, err := client.Do(req)
	if err != nil {
		// url.Error quotes the URL, which holds no secrets here.
		return fmt.Errorf("vault: OAuth %s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("vault: OAuth %s: read response: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errorResponse(op, resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("vault: OAuth %s: response is not the expected JSON (HTTP %d)", op, resp.StatusCode)
	}
	return nil
}

// errorResponse reads an RFC 6749 §5.2 error body; Anthropic's API error
// shape ({"error":{"type","message"}}) is understood too.
func errorResponse(op string, status int, data []byte) error {
	oe := &OAuthError{Op: op, Status: status}
	var std struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(data, &std) == nil && len(std.Error) > 0 {
		var code string
		var api struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(std.Error, &code) == nil {
			oe.Code, oe.Description = code, std.Description
		} else if json.Unmarshal(std.Error, &api) == nil {
			oe.Code, oe.Description = api.Type, api.Message
		}
	}
	oe.Code, oe.Description = shorten(oe.Code, 64), shorten(oe.Description, 200)
	return oe
}

// errRedirect is returned for any redirect on an OAuth call.
var errRedirect = errors.New("the OAuth server answered with a redirect, which Sluice refuses")

func refuseRedirect(*http.Request, []*http.Request) error { return errRedirect }

// shorten trims s to at most n bytes on a rune boundary, and strips control
// characters: the text comes from an outside party (the OAuth server, or
// whoever calls the loopback callback) and may reach a terminal.
func shorten(s string, n int) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
