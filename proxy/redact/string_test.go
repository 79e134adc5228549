package redact

import "testing"

// String answers as the rules on the copied bytes always did, whether or
// not the pre-check lets it skip them.
func FuzzString(f *testing.F) {
	for _, s := range []string{
		"claude-cli/2.0.14 (external, cli)", "Anthropic/Python 0.69.0",
		"x sk-ant-api03-abcdef", "X-API-KEY: abc", "x-api-\u212Aey: abc", "Bearer abcdefghij",
		"BEARER abcdefghijk", `{"password":"hunter2"}`, "sk-sluice-abc", "ſk-ant-x", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := String(s), string(Bytes([]byte(s))); got != want {
			t.Fatalf("String(%q) = %q, the rules give %q", s, got, want)
		}
	})
}

func BenchmarkStringUserAgent(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = String("claude-cli/2.0.14 (external, cli)")
	}
}
