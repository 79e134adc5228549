package proxy

import (
	"context"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// limitFor narrows the pool's "all accounts limited" to what the request's
// client key may use: the pool counts every account's reset, and a key
// scoped to some accounts must be told when one of its own frees up (for
// the request's model, when a model-scoped bench applies). nil when none
// of the key's accounts is limited: its own were tried and failed, which
// is not a rate limit.
func (s *Service) limitFor(ctx context.Context, model string, limited *pool.LimitedError) *pool.LimitedError {
	allowed := s.keyScope(requestKey(ctx))
	if allowed == nil {
		return limited
	}
	until, id := s.pool.EarliestReset(model, allowed)
	if until.IsZero() {
		return nil
	}
	return &pool.LimitedError{Until: until, AccountID: id}
}

// whoseAccounts opens the "all limited" message: all of Sluice's accounts,
// or, for a scoped key, the ones it may use (others may well be free).
func (s *Service) whoseAccounts(ctx context.Context) string {
	if k := requestKey(ctx); k != nil {
		scoped, name := s.keyScope(k) != nil, s.keys.set.Record(k).Name
		if scoped {
			return fmt.Sprintf("All the accounts Sluice client key %q may use are", name)
		}
	}
	return "All Sluice accounts are"
}
