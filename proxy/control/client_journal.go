package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Logs lists request records, newest first, a page at a time.
func (c *Client) Logs(ctx context.Context, f api.LogFilter) (api.LogPage, error) {
	return call[api.LogPage](ctx, c, mLogs, f)
}

// Request returns one request in full, its payload when one was captured.
func (c *Client) Request(ctx context.Context, id string) (api.RequestDetail, error) {
	return call[api.RequestDetail](ctx, c, mRequest, idReq{id})
}

// Usage aggregates tokens, requests and cost from the daily rollups.
func (c *Client) Usage(ctx context.Context, q api.UsageQuery) (api.UsageReport, error) {
	return call[api.UsageReport](ctx, c, mUsage, q)
}

// Cleanup deletes old records or payloads now and reports what it freed.
func (c *Client) Cleanup(ctx context.Context, o api.CleanupOptions) (api.CleanupResult, error) {
	return call[api.CleanupResult](ctx, c, mCleanup, o)
}

// Audit lists audit entries, newest first.
func (c *Client) Audit(ctx context.Context, f api.AuditFilter) (api.AuditPage, error) {
	return call[api.AuditPage](ctx, c, mAudit, f)
}

// Doctor checks the database and the keyring; compact vacuums first.
func (c *Client) Doctor(ctx context.Context, compact bool) (proxy.DoctorReport, error) {
	return call[proxy.DoctorReport](ctx, c, mDoctor, compactReq{compact})
}

// Settings returns the owner's journal settings.
func (c *Client) Settings(ctx context.Context) (api.Settings, error) {
	return call[api.Settings](ctx, c, mSettings, none{})
}

// UpdateSettings saves new journal settings and returns them as applied.
func (c *Client) UpdateSettings(ctx context.Context, st api.Settings) (api.Settings, error) {
	return call[api.Settings](ctx, c, mSetSettings, st)
}

// Config returns the owner's engine settings in force.
func (c *Client) Config(ctx context.Context) (proxy.Config, error) {
	return call[proxy.Config](ctx, c, mConfig, none{})
}

// Health is what the owner's /health reports.
func (c *Client) Health(ctx context.Context) (proxy.Health, error) {
	return call[proxy.Health](ctx, c, mHealth, none{})
}
