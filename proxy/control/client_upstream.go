package control

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// mAddUpstream adds an Anthropic-compatible upstream account.
const mAddUpstream = "accounts.add-upstream"

// addUpstreamReq carries the account and its key over the private socket.
type addUpstreamReq struct {
	Account api.UpstreamAccount `json:"account"`
	Key     string              `json:"key"`
}

// AddUpstream adds an Anthropic-compatible upstream account; the key
// travels over the private socket to the owner, which checks it against
// the upstream and puts it in the keyring. A refused key is an error
// (errors.Is api.ErrKeyRefused); one that could not be checked is added,
// and the result's Unverified says why.
func (c *Client) AddUpstream(ctx context.Context, u api.UpstreamAccount, key string) (api.UpstreamAdded, error) {
	return call[api.UpstreamAdded](ctx, c, mAddUpstream, addUpstreamReq{Account: u, Key: key})
}
