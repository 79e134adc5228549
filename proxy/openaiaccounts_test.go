package proxy_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

// OpenAI-style requests go to API-key accounts, even when a subscription
// would be picked first (lower priority number, fewer requests); only
// once the user allows it do they reach a subscription.
func TestOpenAIRouteUsesAPIKeyAccounts(t *testing.T) {
	e := newEnv(t)
	e.addOAuth("max", oauthToken)
	e.addKey("console", accountKey)
	if err := e.svc.SetPriority(context.Background(), "console", 10); err != nil {
		t.Fatal(err)
	}
	c := openaiClient(e)
	for range 3 {
		if _, err := c.Chat.Completions.New(context.Background(), chatParams()); err != nil {
			t.Fatalf("chat completion: %v", err)
		}
	}
	for _, r := range e.fake.Received() {
		if r.Credential != accountKey {
			t.Fatalf("an OpenAI-style request reached the subscription account")
		}
	}
	// Anthropic clients still use the subscription first.
	e.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, nil).Body.Close()
	if got := e.fake.Received(); got[len(got)-1].Credential != oauthToken {
		t.Errorf("a /v1/messages request did not go to the preferred subscription")
	}
}

// With only subscriptions, the OpenAI client learns why in its own shape,
// nothing is sent upstream; allowing subscriptions lets it through.
func TestOpenAIRouteWithoutAPIKeyAccount(t *testing.T) {
	e := newEnv(t)
	e.addOAuth("max", oauthToken)
	c := openaiClient(e)
	_, err := c.Chat.Completions.New(context.Background(), chatParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an OpenAI API error, got %v", err)
	}
	if apiErr.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", apiErr.StatusCode)
	}
	for _, want := range []string{"API-key account", "sluice accounts add-key", "sluice settings set openai-subscriptions on"} {
		if !strings.Contains(apiErr.Message, want) {
			t.Errorf("message %q does not say %q", apiErr.Message, want)
		}
	}
	if n := len(e.fake.Received()); n != 0 {
		t.Fatalf("the upstream received %d requests", n)
	}
	ps := e.svc.ProxySettings()
	if ps.OpenAISubscriptions {
		t.Fatal("openai-subscriptions is on by default")
	}
	ps.OpenAISubscriptions = true
	if err := e.svc.UpdateProxySettings(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat.Completions.New(context.Background(), chatParams()); err != nil {
		t.Fatalf("with subscriptions allowed: %v", err)
	}
	if got := e.fake.Received(); len(got) != 1 || got[0].Credential != oauthToken {
		t.Errorf("the allowed request did not reach the subscription")
	}
}
