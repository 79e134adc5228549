package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// ProxySettings returns the owner's proxy settings in force (strategy,
// session window, retries, allowed origins).
func (c *Client) ProxySettings(ctx context.Context) (api.ProxySettings, error) {
	return call[api.ProxySettings](ctx, c, mProxySet, none{})
}

// UpdateProxySettings changes the owner's proxy settings, applied to its
// next request and kept for its next start.
func (c *Client) UpdateProxySettings(ctx context.Context, ps api.ProxySettings) error {
	return do(ctx, c, mSetProxySet, ps)
}

// Values returns every setting the owner keeps, with those fixed on its
// command line named in Fixed (the registry, api.Registry).
func (c *Client) Values(ctx context.Context) (api.Values, error) {
	return call[api.Values](ctx, c, mValues, none{})
}

// SetSetting changes one setting of the registry as a user types it
// (`sluice settings set KEY VALUE`) and returns the settings in force.
func (c *Client) SetSetting(ctx context.Context, key, value string) (api.Values, error) {
	return call[api.Values](ctx, c, mSetSetting, settingReq{key, value})
}
