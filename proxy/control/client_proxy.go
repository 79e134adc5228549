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
