package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy"
)

// Keys lists the client keys, revoked ones included.
func (c *Client) Keys(ctx context.Context) ([]proxy.KeyView, error) {
	return call[[]proxy.KeyView](ctx, c, mKeys, none{})
}

// CreateKey makes a client key and returns its secret, shown only now.
func (c *Client) CreateKey(ctx context.Context, o proxy.KeyOptions) (proxy.KeyView, string, error) {
	r, err := call[createdKey](ctx, c, mCreateKey, o)
	return r.Key, r.Secret, err
}

// UpdateKey changes a live key's name, scope or limits.
func (c *Client) UpdateKey(ctx context.Context, name string, o proxy.KeyOptions) (proxy.KeyView, error) {
	return call[proxy.KeyView](ctx, c, mUpdateKey, updateKeyReq{name, o})
}

// RevokeKey revokes a key at once.
func (c *Client) RevokeKey(ctx context.Context, name string) error {
	return do(ctx, c, mRevokeKey, nameReq{name})
}

// FirstKey returns the key made on first start with its secret, until it
// is dismissed; ok is false after that or when the owner cannot be reached.
func (c *Client) FirstKey() (proxy.KeyView, string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	r, err := call[firstKey](ctx, c, mFirstKey, none{})
	if err != nil {
		return proxy.KeyView{}, "", false
	}
	return r.Key, r.Secret, r.OK
}

// ConnectionKey returns the key connection settings carry and its secret;
// minted reports that the owner had to make a new one (the one before was
// revoked, or there was none).
func (c *Client) ConnectionKey(ctx context.Context) (key proxy.KeyView, secret string, minted bool, err error) {
	r, err := call[connKey](ctx, c, mConnKey, none{})
	return r.Key, r.Secret, r.Minted, err
}

// DismissFirstKey makes the owner forget the first key's secret.
func (c *Client) DismissFirstKey() {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	_ = do(ctx, c, mDismissFirst, none{})
}

// RequireKey reports whether the owner requires client keys; true when it
// cannot be reached, the safe answer to show.
func (c *Client) RequireKey() bool {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	on, err := call[bool](ctx, c, mRequireKey, none{})
	return on || err != nil
}

// SetRequireKey turns the key requirement on or off.
func (c *Client) SetRequireKey(ctx context.Context, on bool) error {
	return do(ctx, c, mSetRequire, boolReq{on})
}

// GuardStats counts what the owner's guards refused; zero if unreachable.
func (c *Client) GuardStats() proxy.GuardStats {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	g, _ := call[proxy.GuardStats](ctx, c, mGuardStats, none{})
	return g
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

// ObservedAccounts lists the credentials seen in passthrough mode; nil if
// the owner cannot be reached.
func (c *Client) ObservedAccounts() []proxy.AccountView {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, _ := call[[]proxy.AccountView](ctx, c, mObserved, none{})
	return v
}
