package oauthtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/sluice-proxy/sluice/vault/oauthtest"
)

func post(t *testing.T, srv *oauthtest.Server, body map[string]string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := srv.Client().Post(srv.Endpoints().TokenURL, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error
}

func TestTokenEndpointRejects(t *testing.T) {
	srv := oauthtest.New(t)
	for name, tc := range map[string]struct {
		body   map[string]string
		status int
		code   string
	}{
		"unknown code": {map[string]string{"grant_type": "authorization_code", "code": "nope", "code_verifier": "v",
			"client_id": oauthtest.ClientID}, 400, "invalid_grant"},
		"wrong client": {map[string]string{"grant_type": "authorization_code", "code": "nope", "client_id": "other"}, 401, "invalid_client"},
		"unknown refresh token": {map[string]string{"grant_type": "refresh_token", "refresh_token": "nope",
			"client_id": oauthtest.ClientID}, 400, "invalid_grant"},
		"unknown grant": {map[string]string{"grant_type": "password", "client_id": oauthtest.ClientID}, 400, "unsupported_grant_type"},
	} {
		if status, code := post(t, srv, tc.body); status != tc.status || code != tc.code {
			t.Errorf("%s: %d %q, want %d %q", name, status, code, tc.status, tc.code)
		}
	}
}

func TestCreateAPIKeyNeedsConsoleToken(t *testing.T) {
	srv := oauthtest.New(t)
	c := srv.Issue() // a subscription token
	req, _ := http.NewRequest(http.MethodPost, srv.Endpoints().APIKeyURL, nil)
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("subscription token created a key: %d", resp.StatusCode)
	}
}
