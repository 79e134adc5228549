package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// AddUpstream adds an Anthropic-compatible upstream account: u says where
// and how, key goes to the keyring. The key is checked first (checkUpstreamKey):
// a refused key is an error wrapping api.ErrKeyRefused and adds nothing; a
// key that could not be checked is added, and the result says why.
func (s *Service) AddUpstream(ctx context.Context, u api.UpstreamAccount, key string) (api.UpstreamAdded, error) {
	key = strings.TrimSpace(key)
	if err := checkName(u.Name); err != nil {
		return api.UpstreamAdded{}, err
	}
	if err := checkAPIKey(key); err != nil {
		return api.UpstreamAdded{}, err
	}
	cfg, err := upstreamConfig(ctx, u)
	if err != nil {
		return api.UpstreamAdded{}, err
	}
	if _, err := s.db.AccountByName(ctx, u.Name); err == nil {
		return api.UpstreamAdded{}, fmt.Errorf("%q: %w", u.Name, api.ErrAccountExists)
	}
	rt := routeOf(ctx, cfg)
	var out api.UpstreamAdded
	out.Check, err = s.checkUpstreamKey(ctx, rt, key)
	var unverified *api.KeyUnverifiedError
	switch {
	case errors.As(err, &unverified):
		out.Unverified = unverified.Err.Error()
	case err != nil:
		return api.UpstreamAdded{}, err
	}
	out.Account, err = s.addAccountWith(ctx, u.Name, vault.Credential{Kind: vault.KindUpstream, APIKey: key},
		func(ctx context.Context, id string) error { return s.db.SaveUpstream(ctx, id, cfg) })
	if err != nil {
		return api.UpstreamAdded{}, err
	}
	return out, nil
}

// upstreamConfig checks what the user gave and makes it the stored form.
func upstreamConfig(ctx context.Context, u api.UpstreamAccount) (journal.Upstream, error) {
	base, err := checkBaseURL(ctx, u.BaseURL)
	if err != nil {
		return journal.Upstream{}, err
	}
	cfg := journal.Upstream{BaseURL: strings.TrimSuffix(base.String(), "/"), Auth: u.Auth}
	switch u.Auth {
	case "":
		cfg.Auth = api.AuthXAPIKey
	case api.AuthXAPIKey, api.AuthBearer:
	default:
		return journal.Upstream{}, fmt.Errorf("auth must be %s or %s, not %q", api.AuthXAPIKey, api.AuthBearer, u.Auth)
	}
	for _, m := range u.Maps {
		if !modelPattern(m.Pattern) || !modelName(m.Model) {
			return journal.Upstream{}, fmt.Errorf("the map %q=%q is not PATTERN=MODEL with model names ('*' allowed in the pattern)", m.Pattern, m.Model)
		}
		cfg.Maps = append(cfg.Maps, journal.ModelMap{Pattern: m.Pattern, Model: m.Model})
	}
	for _, m := range u.Models {
		if !modelPattern(m) {
			return journal.Upstream{}, fmt.Errorf("%q is not a model name ('*' allowed)", m)
		}
		cfg.Models = append(cfg.Models, m)
	}
	if len(cfg.Maps) == 0 && len(cfg.Models) == 0 {
		return journal.Upstream{}, errors.New("give at least one --map or --models: a compatible upstream serves only the models it maps or lists")
	}
	return cfg, nil
}

// modelPattern reports whether p is a model name in which '*' may stand
// for any run of characters.
func modelPattern(p string) bool {
	return p == "*" || modelName(strings.ReplaceAll(p, "*", "x"))
}

// probeModel is the model a one-token check asks for: the first map's
// target, else the first listed model without a wildcard.
func (rt *upstreamRoute) probeModel() string {
	if len(rt.maps) > 0 {
		return rt.maps[0].Model
	}
	for _, m := range rt.models {
		if !strings.Contains(m, "*") {
			return m
		}
	}
	return ""
}

// checkUpstreamKey asks the upstream whether key is good: GET /v1/models,
// or, where the endpoint does not serve that (404, 405), a one-token
// POST /v1/messages for the probe model. It returns which call answered,
// and nil, an error wrapping api.ErrKeyRefused (401, 403), or a
// *api.KeyUnverifiedError. The key appears in no error.
func (s *Service) checkUpstreamKey(ctx context.Context, rt *upstreamRoute, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	const list, probe = "GET /v1/models", "POST /v1/messages"
	status, msg, err := s.probeUpstream(ctx, rt, key, http.MethodGet, "/v1/models", nil)
	check := list
	if err == nil && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) {
		model := rt.probeModel()
		if model == "" {
			return "", &api.KeyUnverifiedError{Err: errors.New("the upstream does not serve GET /v1/models, and no model without '*' was given to try POST /v1/messages with")}
		}
		body, _ := json.Marshal(map[string]any{"model": model, "max_tokens": 1,
			"messages": []map[string]string{{"role": "user", "content": "ping"}}})
		check = probe
		status, msg, err = s.probeUpstream(ctx, rt, key, http.MethodPost, "/v1/messages", body)
	}
	switch {
	case err != nil:
		return "", &api.KeyUnverifiedError{Err: fmt.Errorf("%s: %s", check, netReason(err))}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		if msg == "" {
			msg = http.StatusText(status)
		}
		return check, fmt.Errorf("%w (%s answered %d: %s)", api.ErrKeyRefused, check, status, msg)
	case status >= 200 && status < 300:
		return check, nil
	}
	return "", &api.KeyUnverifiedError{Err: fmt.Errorf("%s answered %d %s", check, status, http.StatusText(status))}
}

// probeUpstream sends one check request to rt with key; it returns the
// status and the error message of the answer, the key scrubbed from it.
func (s *Service) probeUpstream(ctx context.Context, rt *upstreamRoute, key, method, path string, body []byte) (int, string, error) {
	u := *rt.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("check key: %w", err)
	}
	req.Header.Set("Anthropic-Version", "2023-06-01")
	req.Header.Set("Content-Type", "application/json")
	if rt.auth == api.AuthBearer {
		req.Header.Set("Authorization", "Bearer "+key)
	} else {
		req.Header.Set("X-Api-Key", key)
	}
	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg := ""
	if resp.StatusCode >= 400 {
		b, _ := io.ReadAll(io.LimitReader(anthropicShaped(resp, key).Body, maxRefusal))
		msg = foreignMessage(b)
		msg = strings.ReplaceAll(msg, key, "[redacted]")
	}
	return resp.StatusCode, msg, nil
}
