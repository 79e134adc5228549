package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
)

// ProxySettings returns the owner's proxy settings in force (strategy,
// session window, retries, allowed origins); the zero value if it cannot
// be reached.
func (c *Client) ProxySettings() proxy.ProxySettings {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ps, _ := call[proxy.ProxySettings](ctx, c, mProxySet, none{})
	return ps
}

// ProxySettingsContext is ProxySettings with a deadline and its error.
func (c *Client) ProxySettingsContext(ctx context.Context) (proxy.ProxySettings, error) {
	return call[proxy.ProxySettings](ctx, c, mProxySet, none{})
}

// UpdateProxySettings changes the owner's proxy settings, applied to its
// next request and kept for its next start.
func (c *Client) UpdateProxySettings(ctx context.Context, ps proxy.ProxySettings) error {
	return do(ctx, c, mSetProxySet, ps)
}
