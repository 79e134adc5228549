// Package redact removes credentials from text bound for logs, error
// messages and audit entries: Anthropic keys and tokens (sk-ant-...), Sluice
// client keys (sk-sluice-...), Bearer tokens and x-api-key values. It is the
// one place that knows what a secret looks like.
package redact

import (
	"context"
	"log/slog"
	"regexp"
)

// Mask replaces each secret found.
const Mask = "[REDACTED]"

// secret matches the credentials Sluice handles, with their prefix kept
// where it says what kind of secret was there. Key bodies are base62/64
// with - and _.
var secret = regexp.MustCompile(`(?i)(sk-ant-[a-z0-9]+-|sk-sluice-|\bbearer\s+|x-api-key["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/=-]{4,}`)

// String returns s with every credential replaced by its prefix and Mask.
func String(s string) string {
	if len(s) < 8 {
		return s
	}
	return secret.ReplaceAllString(s, "${1}"+Mask)
}

// Handler wraps h so that the message and every string or error attribute
// is redacted before h sees it.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ next slog.Handler }

func (h handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = attr(a)
	}
	return handler{h.next.WithAttrs(clean)}
}

func (h handler) WithGroup(name string) slog.Handler { return handler{h.next.WithGroup(name)} }

// attr redacts one attribute, groups included.
func attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, x := range g {
			clean[i] = attr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, String(err.Error()))
		}
		if s, ok := v.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, String(s.String()))
		}
	}
	return a
}
