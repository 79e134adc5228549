package openai

import "testing"

func TestTranslateError(t *testing.T) {
	cases := []struct {
		name   string
		status int
		in     string
		want   string
	}{
		{"auth", 401, `{"type":"error","error":{"type":"authentication_error","message":"set a key"}}`,
			`{"error":{"message":"set a key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{"rate limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			`{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{"invalid", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`,
			`{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`},
		{"too large", 413, `{"type":"error","error":{"type":"request_too_large","message":"big"}}`,
			`{"error":{"message":"big","type":"invalid_request_error","param":null,"code":"request_too_large"}}`},
		{"overloaded", 529, `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`,
			`{"error":{"message":"busy","type":"server_error","param":null,"code":"overloaded_error"}}`},
		{"already OpenAI's", 400, `{"error":{"message":"m","type":"t","param":"n","code":null}}`,
			`{"error":{"message":"m","type":"t","param":"n","code":null}}`},
		{"not JSON", 502, `<html>bad gateway</html>`,
			`{"error":{"message":"The Anthropic API answered Bad Gateway (relayed by Sluice).","type":"server_error","param":null,"code":"api_error"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertJSON(t, TranslateError(tc.status, []byte(tc.in)), tc.want)
		})
	}
}
