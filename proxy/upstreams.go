package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/vault"
)

// upstreamRoute is where a compatible upstream account's requests go and
// how: its base URL, how its key is sent, its model maps and models.
type upstreamRoute struct {
	base   *url.URL
	auth   string
	maps   []journal.ModelMap
	models []string
}

// serves is the account's model set for the pool: the patterns it maps
// and the models it lists. Never nil, so an upstream with neither serves
// nothing rather than everything.
func (rt *upstreamRoute) serves() []string {
	out := make([]string, 0, len(rt.maps)+len(rt.models))
	for _, m := range rt.maps {
		out = append(out, m.Pattern)
	}
	return append(out, rt.models...)
}

// mapModel is the model to send for model: the first matching map's, or
// model itself.
func (rt *upstreamRoute) mapModel(model string) string {
	for _, m := range rt.maps {
		if pool.MatchModel(m.Pattern, model) {
			return m.Model
		}
	}
	return model
}

// routeOf builds an account's route from its stored configuration; nil
// when the base URL is no longer acceptable (the account then serves
// nothing, rather than sending its key elsewhere).
func routeOf(ctx context.Context, u journal.Upstream) *upstreamRoute {
	base, err := checkBaseURL(ctx, u.BaseURL)
	if err != nil {
		return nil
	}
	return &upstreamRoute{base: base, auth: u.Auth, maps: u.Maps, models: u.Models}
}

// upstreamRoutes is the routes of the compatible upstream accounts by id,
// replaced whole when the accounts change (syncPool).
type upstreamRoutes map[string]*upstreamRoute

// route is account id's upstream route, nil for Anthropic's own accounts.
func (s *Service) route(id string) *upstreamRoute {
	if m := s.upRoutes.Load(); m != nil {
		return (*m)[id]
	}
	return nil
}

// loadRoutes reads the upstream accounts' configuration and sets each
// pool account's model set: an upstream account serves only what it maps
// or lists.
func (s *Service) loadRoutes(ctx context.Context, accts []pool.Account) error {
	ups, err := s.db.Upstreams(ctx)
	if err != nil {
		return fmt.Errorf("load upstream accounts: %w", err)
	}
	routes := upstreamRoutes{}
	for i := range accts {
		a := &accts[i]
		if a.Kind != string(api.KindUpstream) {
			continue
		}
		a.Models = []string{}
		u, ok := ups[a.ID]
		if !ok {
			s.log.Warn("compatible upstream account without its configuration; not used", "account", a.Name)
			continue
		}
		rt := routeOf(ctx, u)
		if rt == nil {
			s.log.Warn("compatible upstream account's base URL refused; not used", "account", a.Name)
			continue
		}
		routes[a.ID] = rt
		a.Models = rt.serves()
	}
	s.upRoutes.Store(&routes)
	return nil
}

// toUpstream points up, built for Anthropic's API, at account acct's
// compatible upstream if it is one: the base URL joined with the client's
// path, the key sent as the upstream takes it, and the request's model
// mapped. For Anthropic's own accounts it undoes what an earlier attempt
// on an upstream set in the journal record: the client's model is never
// rewritten for them.
func (s *Service) toUpstream(up *http.Request, req *request, acct pool.Account, cred vault.Credential) error {
	rt := s.route(acct.ID)
	if rt == nil {
		if acct.Kind == string(api.KindUpstream) {
			return errors.New("compatible upstream account without a route")
		}
		if req.rec.ModelAsked != "" {
			req.rec.Model, req.rec.ModelAsked = req.rec.ModelAsked, ""
		}
		return nil
	}
	u := *up.URL
	u.Scheme, u.Host = rt.base.Scheme, rt.base.Host
	if bp := strings.TrimSuffix(rt.base.Path, "/"); bp != "" {
		u.Path = bp + up.URL.Path
		u.RawPath = strings.TrimSuffix(rt.base.EscapedPath(), "/") + up.URL.EscapedPath()
	}
	up.URL, up.Host = &u, u.Host
	if rt.auth == api.AuthBearer {
		up.Header.Del("X-Api-Key")
		up.Header.Set("Authorization", "Bearer "+cred.APIKey)
	}
	if to := rt.mapModel(req.model); to != req.model {
		body, ok := replaceModel(req.body, to)
		if !ok {
			return errors.New("the request's model could not be rewritten")
		}
		setBytesBody(up, body)
		req.rec.Model, req.rec.ModelAsked = to, req.model
	} else if req.rec.ModelAsked != "" {
		req.rec.Model, req.rec.ModelAsked = req.rec.ModelAsked, ""
	}
	return nil
}

// checkBaseURL accepts an upstream's base URL: https, or plain http only
// to a loopback address (127.0.0.0/8, ::1, or "localhost" when it resolves
// to loopback only), where no network sees the key. No user, query or
// fragment: the key is the only credential, and paths are joined to it.
func checkBaseURL(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("the base URL %q is not an absolute URL such as https://host/path", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("the base URL must have no user, query or fragment: the key goes in a header")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopbackUpstream(ctx, u.Hostname()) {
			return nil, fmt.Errorf("the base URL must be https: plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost), not %s", u.Hostname())
		}
	default:
		return nil, fmt.Errorf("the base URL must be https (plain http only on loopback), not %s", u.Scheme)
	}
	return u, nil
}

// loopbackUpstream reports whether host is a loopback address, or localhost
// resolving to loopback addresses only.
func loopbackUpstream(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	if !strings.EqualFold(host, "localhost") {
		return false
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// upstreamView is what the faces show of account id's upstream.
func (s *Service) upstreamView(id string) *api.UpstreamView {
	rt := s.route(id)
	if rt == nil {
		return nil
	}
	v := &api.UpstreamView{Host: rt.base.Host, Auth: rt.auth, Models: rt.models}
	for _, m := range rt.maps {
		v.Maps = append(v.Maps, api.ModelMap{Pattern: m.Pattern, Model: m.Model})
	}
	return v
}
