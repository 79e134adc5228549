package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestStringMasksEachKind(t *testing.T) {
	cases := []struct{ in, secret, keep string }{
		{"key sk-ant-api03-AbC_123-xyz done", "AbC_123-xyz", "sk-ant-" + Mask},
		{"token sk-ant-oat01-TOKENVALUE", "TOKENVALUE", "sk-ant-" + Mask},
		{"sk-sluice-0123456789abcdefABCDEF", "0123456789abcdef", "sk-sluice-" + Mask},
		{"Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi", "Bearer " + Mask},
		{`{"x-api-key": "plainkeyvalue123"}`, "plainkeyvalue123", Mask},
		{"X-Api-Key=abcdefgh1234", "abcdefgh1234", Mask},
	}
	for _, c := range cases {
		got := String(c.in)
		if strings.Contains(got, c.secret) || !strings.Contains(got, c.keep) {
			t.Errorf("String(%q) = %q", c.in, got)
		}
	}
	for _, s := range []string{"", "plain text", "bearer", "the sk-sluice- prefix alone", "status 401"} {
		if got := String(s); got != s {
			t.Errorf("String(%q) changed it to %q", s, got)
		}
	}
}

func TestHandlerRedactsMessageAttrsAndErrors(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log = log.With("k", "sk-sluice-WITHSECRET1")
	log.Debug("got sk-ant-api03-MSGSECRET1", "err", errors.New("bad Bearer ERRSECRET12"),
		slog.Group("g", "v", "x-api-key: GROUPSECRET1"), "n", 3)
	out := buf.String()
	for _, s := range []string{"WITHSECRET1", "MSGSECRET1", "ERRSECRET12", "GROUPSECRET1"} {
		if strings.Contains(out, s) {
			t.Errorf("%s logged: %s", s, out)
		}
	}
	if !strings.Contains(out, "n=3") {
		t.Errorf("other attributes lost: %s", out)
	}
}
