package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// ProxySettings returns the owner's proxy settings in force (strategy,
// session window, retries, allowed origins); the zero value if it cannot
// be reached.
func (c *Client) ProxySettings() api.ProxySettings {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ps, _ := call[api.ProxySettings](ctx, c, mProxySet, none{})
	return ps
}

// ProxySettingsContext is ProxySettings with a deadline and its error.
func (c *Client) ProxySettingsContext(ctx context.Context) (api.ProxySettings, error) {
	return call[api.ProxySettings](ctx, c, mProxySet, none{})
}

// UpdateProxySettings changes the owner's proxy settings, applied to its
// next request and kept for its next start.
func (c *Client) UpdateProxySettings(ctx context.Context, ps api.ProxySettings) error {
	return do(ctx, c, mSetProxySet, ps)
}
