package proxy

import "context"

// PollDue runs one pass of the usage poll loop (the accounts that are due,
// within budget), so tests can drive the schedule with a fake clock.
func (s *Service) PollDue(ctx context.Context) error { return s.pollUsage(ctx, false) }

// FlushRefusals writes the refusals tallied for the audit log now, as the
// end of the minute would.
func (s *Service) FlushRefusals(ctx context.Context) { s.flushRefusals(ctx) }

// GovernMemoryGOGC is governMemory, for the harness's experiments with
// the GOGC the engine runs with while its limit is set.
func GovernMemoryGOGC(lookupEnv func(string) (string, bool), limit int64, gogcOn int) func() {
	return governMemory(lookupEnv, limit, gogcOn)
}
