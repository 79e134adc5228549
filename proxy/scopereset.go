package proxy

import (
	"context"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// limitFor narrows the pool's "all accounts limited" to what the request's
// client key may use: the pool counts every account's reset, and a key
// scoped to some accounts must be told when one of its own frees up (for
// the request's model, when a model-scoped bench applies). nil when none
// of the key's accounts is limited: its own were tried and failed, which
// is not a rate limit.
func (s *Service) limitFor(ctx context.Context, model string, limited *pool.LimitedError) *pool.LimitedError {
	k := requestKey(ctx)
	if k == nil {
		return limited
	}
	s.keys.mu.RLock()
	scoped := k.allowed != nil
	s.keys.mu.RUnlock()
	if !scoped {
		return limited
	}
	until, id := s.pool.EarliestReset(model, func(id string) bool { return s.keyAllows(ctx, id) })
	if until.IsZero() {
		return nil
	}
	return &pool.LimitedError{Until: until, AccountID: id}
}
