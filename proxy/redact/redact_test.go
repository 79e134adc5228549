package redact

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactPatterns(t *testing.T) {
	tests := []struct {
		name, in, secret, keep string
	}{
		{"api key", `key sk-ant-api03-AbC_d-123xyz in a prompt`, "AbC_d-123xyz", "in a prompt"},
		{"oauth token", `"tok":"sk-ant-oat01-QWERTY987"`, "QWERTY987", `"tok":"sk-ant-`},
		{"client key", `use sk-sluice-9f8e7d6c5b4a please`, "9f8e7d6c5b4a", "please"},
		{"bearer header", "Authorization: Bearer eyJhbGciOi.payload.sig\n", "eyJhbGciOi", "Authorization: Bearer "},
		{"bearer lower", "authorization: bearer abc.DEF-ghi_123", "abc.DEF", "authorization: bearer "},
		{"x-api-key header", "X-Api-Key: plainsecretvalue\r\n", "plainsecretvalue", "X-Api-Key: "},
		{"x-api-key json", `{"x-api-key": "k3y-v4lue", "a": 1}`, "k3y-v4lue", `"a": 1`},
		{"x-api-key query", `?x-api-key=zzzsecret&b=2`, "zzzsecret", "&b=2"},
		{"json access token", `{"access_token":"at-123\"q","expires_in":3600}`, "at-123", `"expires_in":3600`},
		{"json refresh token", `{"refresh_token" : "rt-456"}`, "rt-456", `"refresh_token"`},
		{"json password", `{"password":"hunter2"}`, "hunter2", `"password"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in)
			if strings.Contains(got, tt.secret) {
				t.Errorf("String(%q) = %q still holds %q", tt.in, got, tt.secret)
			}
			if !strings.Contains(got, Mask) {
				t.Errorf("String(%q) = %q, no mask", tt.in, got)
			}
			if !strings.Contains(got, tt.keep) {
				t.Errorf("String(%q) = %q lost %q", tt.in, got, tt.keep)
			}
			if !Contains([]byte(tt.in)) || Contains([]byte(got)) {
				t.Errorf("Contains disagrees: in %v, out %v", Contains([]byte(tt.in)), Contains([]byte(got)))
			}
		})
	}
}

func TestRedactLeavesOrdinaryTextAlone(t *testing.T) {
	for _, s := range []string{
		`{"model":"claude-sonnet-4","messages":[{"role":"user","content":"ask about sk-ant"}]}`,
		"the bearer of bad news",
		`{"max_tokens":1024,"stream":true}`,
		"",
	} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestRedactDoesNotModifyInput(t *testing.T) {
	in := []byte("x sk-ant-api03-secretsecret y")
	orig := string(in)
	_ = Bytes(in)
	if string(in) != orig {
		t.Fatalf("input modified: %q", in)
	}
}

func TestHandlerRedactsLogs(t *testing.T) {
	var buf strings.Builder
	log := slog.New(Handler(slog.NewTextHandler(&buf, nil))).With("key", "sk-ant-api03-WITHSECRET1")
	log.WithGroup("g").Info("token sk-sluice-MSGSECRET2 seen",
		"err", errors.New("bad header: x-api-key: ERRSECRET3"),
		"n", 42,
		slog.Group("inner", "auth", "Bearer GROUPSECRET4abcdef"))
	out := buf.String()
	for _, s := range []string{"WITHSECRET1", "MSGSECRET2", "ERRSECRET3", "GROUPSECRET4"} {
		if strings.Contains(out, s) {
			t.Errorf("log line holds %s: %s", s, out)
		}
	}
	if !strings.Contains(out, "g.n=42") || !strings.Contains(out, "token sk-sluice-"+Mask+" seen") {
		t.Errorf("log line lost its content: %s", out)
	}
}
