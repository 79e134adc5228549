package proxy

import (
	"net/http"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// errNoAPIKeyAccount: 403, an OpenAI-style request with no account it may
// use: subscriptions are left out (api.ProxySettings.OpenAISubscriptions)
// and no other account is configured for the client. A retry cannot help
// until the user adds one or allows subscriptions.
var errNoAPIKeyAccount = &httpError{status: http.StatusForbidden, kind: errPermission, noRetry: true,
	reason: journal.ReasonNoAPIKeyAccount,
	msg: "Sluice sends OpenAI-style requests to Console API-key accounts only, and has none this client may use: " +
		"Anthropic bills third-party apps on a Claude subscription as extra usage, or refuses them. " +
		"Add an API-key account with `sluice accounts add-key NAME` (the key read from stdin), " +
		"or allow subscriptions with `sluice settings set openai-subscriptions on`."}

// openaiScope narrows req's account scope for an OpenAI-style request to
// the accounts that are not subscriptions, unless the user allows
// subscriptions. It is a filter given to the pool's pick, like a client
// key's scope, so the earliest reset and every other answer count only
// these accounts.
func (s *Service) openaiScope(req *request) error {
	if s.proxySettings().OpenAISubscriptions {
		return nil
	}
	among := map[string]bool{}
	for _, st := range s.pool.Snapshot() {
		if !api.Kind(st.Kind).Subscription() && (req.scope == nil || req.scope[st.ID]) {
			among[st.ID] = true
		}
	}
	if len(among) == 0 {
		return errNoAPIKeyAccount
	}
	req.scope, req.apiKeysOnly = among, true
	return nil
}
