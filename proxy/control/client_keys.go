package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// Keys lists the client keys, revoked ones included.
func (c *Client) Keys(ctx context.Context) ([]api.KeyView, error) {
	return call[[]api.KeyView](ctx, c, mKeys, none{})
}

// CreateKey makes a client key and returns its secret, shown only now.
func (c *Client) CreateKey(ctx context.Context, o api.KeyOptions) (api.KeyView, string, error) {
	r, err := call[createdKey](ctx, c, mCreateKey, o)
	return r.Key, r.Secret, err
}

// UpdateKey changes a live key's name, scope or limits.
func (c *Client) UpdateKey(ctx context.Context, name string, o api.KeyOptions) (api.KeyView, error) {
	return call[api.KeyView](ctx, c, mUpdateKey, updateKeyReq{name, o})
}

// RevokeKey revokes a key at once.
func (c *Client) RevokeKey(ctx context.Context, name string) error {
	return do(ctx, c, mRevokeKey, nameReq{name})
}

// FirstKey returns the key made on first start with its secret, until it
// is dismissed; ok is false after that.
func (c *Client) FirstKey(ctx context.Context) (api.KeyView, string, bool, error) {
	r, err := call[firstKey](ctx, c, mFirstKey, none{})
	return r.Key, r.Secret, r.OK, err
}

// ConnectionKey returns the key connection settings carry and its secret;
// minted reports that the owner had to make a new one (the one before was
// revoked, or there was none).
func (c *Client) ConnectionKey(ctx context.Context) (key api.KeyView, secret string, minted bool, err error) {
	r, err := call[connKey](ctx, c, mConnKey, none{})
	return r.Key, r.Secret, r.Minted, err
}

// DismissFirstKey makes the owner forget the first key's secret.
func (c *Client) DismissFirstKey(ctx context.Context) error {
	return do(ctx, c, mDismissFirst, none{})
}

// RequireKey reports whether the owner requires client keys.
func (c *Client) RequireKey(ctx context.Context) (bool, error) {
	return call[bool](ctx, c, mRequireKey, none{})
}

// SetRequireKey turns the key requirement on or off.
func (c *Client) SetRequireKey(ctx context.Context, on bool) error {
	return do(ctx, c, mSetRequire, boolReq{on})
}

// GuardStats counts what the owner's guards refused.
func (c *Client) GuardStats(ctx context.Context) (proxy.GuardStats, error) {
	return call[proxy.GuardStats](ctx, c, mGuardStats, none{})
}

// ClearLimit lifts an account's limit by hand.
func (c *Client) ClearLimit(ctx context.Context, name string) error {
	return do(ctx, c, mClearLimit, nameReq{name})
}

// SetHeadroom stops using an account at percent of a window kind; 0 or 100
// removes the cap.
func (c *Client) SetHeadroom(ctx context.Context, name, kind string, percent float64) error {
	return do(ctx, c, mHeadroom, headroomReq{name, kind, percent})
}

// SetPlanGuard turns an account's plan-limits-only guard on or off.
func (c *Client) SetPlanGuard(ctx context.Context, name string, on bool) error {
	return do(ctx, c, mPlanGuard, planGuardReq{name, on})
}

// ObservedAccounts lists the credentials seen in passthrough mode.
func (c *Client) ObservedAccounts(ctx context.Context) ([]api.AccountView, error) {
	return call[[]api.AccountView](ctx, c, mObserved, none{})
}
