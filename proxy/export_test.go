package proxy

import "context"

// PollDue runs one pass of the usage poll loop (the accounts that are due,
// within budget), so tests can drive the schedule with a fake clock.
func (s *Service) PollDue(ctx context.Context) error { return s.pollUsage(ctx, false) }

// FlushRefusals writes the refusals tallied for the audit log now, as the
// end of the minute would.
func (s *Service) FlushRefusals(ctx context.Context) { s.flushRefusals(ctx) }
