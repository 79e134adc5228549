package api

// KindUpstream is an Anthropic-compatible endpoint other than Anthropic's
// own (a company gateway, LiteLLM, OpenRouter's Anthropic endpoint, a
// provider speaking the Messages API), reached with an API key at its own
// base URL.
const KindUpstream Kind = "upstream"

// Subscription reports whether accounts of kind k draw on a Claude
// subscription's windows. It is the one predicate for "subscription or
// not": the OpenAI route prefers accounts for which it is false.
func (k Kind) Subscription() bool { return k == KindOAuth }

// The ways a compatible upstream takes its key (UpstreamAccount.Auth).
const (
	AuthXAPIKey = "x-api-key" // x-api-key: KEY, as Anthropic's API
	AuthBearer  = "bearer"    // Authorization: Bearer KEY
)

// ModelMap rewrites a requested model for one compatible upstream: a
// request whose model matches Pattern ('*' matches any run of characters)
// is sent with Model instead. The first matching map wins.
type ModelMap struct {
	Pattern string `json:"pattern"`
	Model   string `json:"model"`
}

// UpstreamAccount is what adding a compatible upstream account takes,
// besides its key (which travels apart, into the keyring).
type UpstreamAccount struct {
	Name    string `json:"name"`
	BaseURL string `json:"base_url"` // https, or http on a loopback address
	// Auth is AuthXAPIKey (the default when empty) or AuthBearer.
	Auth string     `json:"auth,omitempty"`
	Maps []ModelMap `json:"maps,omitempty"`
	// Models are the models (patterns allowed) the upstream serves as
	// asked, unmapped. The account serves only models it maps or lists.
	Models []string `json:"models,omitempty"`
}

// UpstreamView is what the faces show of a compatible upstream account.
type UpstreamView struct {
	Host   string     `json:"host"` // the base URL's host[:port]
	Auth   string     `json:"auth"`
	Maps   []ModelMap `json:"maps,omitempty"`
	Models []string   `json:"models,omitempty"`
}

// UpstreamAdded is the result of adding a compatible upstream: the new
// account, how its key was checked, and why it could not be, if so.
type UpstreamAdded struct {
	Account AccountView `json:"account"`
	// Check names the call that checked the key: "GET /v1/models" or
	// "POST /v1/messages"; "" when none answered.
	Check string `json:"check,omitempty"`
	// Unverified says why the key could not be checked; the account was
	// added anyway, as add-key does.
	Unverified string `json:"unverified,omitempty"`
}
