package pool

import (
	"errors"
	"testing"
)

func TestMatchModel(t *testing.T) {
	for _, c := range []struct {
		pattern, model string
		want           bool
	}{
		{"claude-sonnet-*", "claude-sonnet-4-5", true},
		{"claude-sonnet-*", "claude-opus-4-1", false},
		{"glm-4.6", "glm-4.6", true},
		{"glm-4.6", "glm-4.60", false},
		{"*", "anything", true},
		{"*", "", false},
		{"anthropic/*-4-*", "anthropic/claude-sonnet-4-5", true},
		{"a*b*b", "ab", false},
		{"a*b*b", "abb", true},
		{"*haiku*", "claude-3-5-haiku-20241022", true},
	} {
		if got := MatchModel(c.pattern, c.model); got != c.want {
			t.Errorf("MatchModel(%q, %q) = %v, want %v", c.pattern, c.model, got, c.want)
		}
	}
}

// An account with a model set is picked only for the models it serves,
// ahead of its priority; for any other, the pool passes it by.
func TestPickSkipsAccountsThatCannotServeTheModel(t *testing.T) {
	p, err := New(Options{Strategy: "priority"})
	if err != nil {
		t.Fatal(err)
	}
	p.SetAccounts([]Account{
		{ID: "glm", Name: "glm", Kind: "upstream", Priority: 0, Models: []string{"claude-sonnet-*", "glm-*"}},
		{ID: "claude", Name: "claude", Kind: "api-key", Priority: 1},
	})
	for model, want := range map[string]string{
		"claude-sonnet-4-5": "glm", "glm-4.6": "glm", "claude-opus-4-1": "claude", "": "claude",
	} {
		a, err := p.Pick("s", model, nil)
		if err != nil || a.ID != want {
			t.Errorf("Pick(%q) = %q, %v; want %q", model, a.ID, err, want)
		}
	}
	if _, err := p.Pick("s", "claude-opus-4-1", map[string]bool{"claude": true}); !errors.Is(err, ErrNoAccounts) {
		t.Errorf("opus with only the upstream left: %v, want ErrNoAccounts", err)
	}
}
