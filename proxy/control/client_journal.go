package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
)

// Logs lists request records, newest first, a page at a time.
func (c *Client) Logs(ctx context.Context, f proxy.LogFilter) (proxy.LogPage, error) {
	return call[proxy.LogPage](ctx, c, mLogs, f)
}

// Request returns one request in full, its payload when one was captured.
func (c *Client) Request(ctx context.Context, id string) (proxy.RequestDetail, error) {
	return call[proxy.RequestDetail](ctx, c, mRequest, idReq{id})
}

// Usage aggregates tokens, requests and cost from the daily rollups.
func (c *Client) Usage(ctx context.Context, q proxy.UsageQuery) (proxy.UsageReport, error) {
	return call[proxy.UsageReport](ctx, c, mUsage, q)
}

// Cleanup deletes old records or payloads now and reports what it freed.
func (c *Client) Cleanup(ctx context.Context, o proxy.CleanupOptions) (proxy.CleanupResult, error) {
	return call[proxy.CleanupResult](ctx, c, mCleanup, o)
}

// Audit lists audit entries, newest first.
func (c *Client) Audit(ctx context.Context, f proxy.AuditFilter) (proxy.AuditPage, error) {
	return call[proxy.AuditPage](ctx, c, mAudit, f)
}

// Doctor checks the database and the keyring; compact vacuums first.
func (c *Client) Doctor(ctx context.Context, compact bool) (proxy.DoctorReport, error) {
	return call[proxy.DoctorReport](ctx, c, mDoctor, compactReq{compact})
}

// Settings returns the owner's journal settings; the zero value if it
// cannot be reached (as ProxyRunning does, to match the engine's method).
func (c *Client) Settings() proxy.Settings {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	st, _ := call[proxy.Settings](ctx, c, mSettings, none{})
	return st
}

// SettingsContext is Settings with a deadline and its error.
func (c *Client) SettingsContext(ctx context.Context) (proxy.Settings, error) {
	return call[proxy.Settings](ctx, c, mSettings, none{})
}

// UpdateSettings saves new journal settings and returns them as applied.
func (c *Client) UpdateSettings(ctx context.Context, st proxy.Settings) (proxy.Settings, error) {
	return call[proxy.Settings](ctx, c, mSetSettings, st)
}

// Config returns the owner's engine settings in force; the zero value if
// it cannot be reached.
func (c *Client) Config() proxy.Config {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	cfg, _ := call[proxy.Config](ctx, c, mConfig, none{})
	return cfg
}

// Health is what the owner's /health reports.
func (c *Client) Health(ctx context.Context) (proxy.Health, error) {
	return call[proxy.Health](ctx, c, mHealth, none{})
}
