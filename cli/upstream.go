package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// addUpstreamCmd is `sluice accounts add-upstream`: an Anthropic-compatible
// endpoint as an account, its key read from stdin like add-key's.
func (e *env) addUpstreamCmd() *cobra.Command {
	var (
		u      api.UpstreamAccount
		maps   []string
		models []string
	)
	cmd := &cobra.Command{
		Use:   "add-upstream NAME --base-url URL [--auth x-api-key|bearer] [--map PATTERN=MODEL ...] [--models M1,M2]",
		Short: "Add an Anthropic-compatible endpoint as an account (key read from stdin)",
		Long: `Add an Anthropic-compatible endpoint (a gateway, LiteLLM, OpenRouter's
Anthropic endpoint, a provider speaking the Messages API) as an account. Its
key is read from stdin, hidden when typed at a terminal, and kept in the
keyring. Requests go to --base-url joined with the client's path.

--map rewrites the model of a request sent to this account (PATTERN may use
'*'; the first matching map wins); --models lists models it serves as asked.
The account serves only the models it maps or lists; Anthropic's accounts
are never sent a rewritten model. The base URL must be https (plain http only
to 127.0.0.1, ::1 or localhost).

The key is checked on add with GET /v1/models, or, where the endpoint does
not serve that, a one-token POST /v1/messages; a refused key is not added.`,
		Example: `  sluice accounts add-upstream glm --base-url https://gateway.example/api/anthropic \
      --auth bearer --map 'claude-sonnet-*=glm-4.6' --map 'claude-haiku-*=glm-4.5-air' < key.txt`,
		Args: exactArgs("NAME"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			u.Name = args[0]
			for _, m := range maps {
				pat, model, ok := strings.Cut(m, "=")
				if !ok || pat == "" || model == "" {
					return usagef("--map takes PATTERN=MODEL (e.g. 'claude-sonnet-*=glm-4.6'), not %q", m)
				}
				u.Maps = append(u.Maps, api.ModelMap{Pattern: strings.TrimSpace(pat), Model: strings.TrimSpace(model)})
			}
			for _, m := range models {
				if m = strings.TrimSpace(m); m != "" {
					u.Models = append(u.Models, m)
				}
			}
			return e.addUpstream(ctx, eng, u)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&u.BaseURL, "base-url", "", "the endpoint's base URL, e.g. https://host/api/anthropic (required)")
	f.StringVar(&u.Auth, "auth", api.AuthXAPIKey, "how the key is sent: x-api-key or bearer (Authorization: Bearer)")
	f.StringArrayVar(&maps, "map", nil, "PATTERN=MODEL: send MODEL for requested models matching PATTERN (repeatable; first match wins)")
	f.StringSliceVar(&models, "models", nil, "models the endpoint serves as asked (comma-separated; '*' allowed)")
	_ = cmd.MarkFlagRequired("base-url")
	return cmd
}

// addUpstream reads the key from stdin and adds the account.
func (e *env) addUpstream(ctx context.Context, eng Engine, u api.UpstreamAccount) error {
	key, err := e.readKey("API key", u.Name)
	if err != nil {
		return err
	}
	res, err := eng.AddUpstream(ctx, u, key)
	if err != nil {
		return err
	}
	if res.Unverified != "" {
		fmt.Fprintf(e.io.Err, "Warning: the key could not be checked (%s); added anyway.\n", res.Unverified)
	} else {
		fmt.Fprintf(e.io.Out, "The endpoint accepted the key (checked with %s).\n", res.Check)
	}
	fmt.Fprintf(e.io.Out, "Added %s (compatible upstream at %s, priority %d). The key is in the keyring, not in Sluice's database.\n",
		res.Account.Name, upstreamHost(res.Account), res.Account.Priority)
	return nil
}

// upstreamHost is the host an upstream account sends to, "" for others.
func upstreamHost(v api.AccountView) string {
	if v.Upstream == nil {
		return ""
	}
	return v.Upstream.Host
}

// upstreamText shows a compatible upstream in the account list: its host
// and what it serves, e.g. "gw.example claude-sonnet-*=glm-4.6,glm-4.5-air".
func upstreamText(v api.AccountView) string {
	if v.Upstream == nil {
		return "-"
	}
	var p []string
	for _, m := range v.Upstream.Maps {
		p = append(p, m.Pattern+"="+m.Model)
	}
	p = append(p, v.Upstream.Models...)
	return v.Upstream.Host + " " + strings.Join(p, ",")
}
