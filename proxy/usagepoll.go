package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/pool"
	"github.com/sluice-proxy/sluice/vault"
)

// Subscription accounts learn their limits from response headers, but only
// while requests go through them. The OAuth usage endpoint reports the 5-hour,
// 7-day and per-model windows at any time, so the UI is current and the plan
// guard benches an account another client (claude.ai, the desktop app)
// filled, before Sluice sends it a request that would be paid as extra usage.

const (
	// pollWake is how often the loop wakes to see which accounts are due.
	// Whether one is due is judged on the Service's clock.
	pollWake = time.Minute
	// usageTimeout bounds one poll; the endpoint answers small bodies.
	usageTimeout = 30 * time.Second
	// maxUsageBody caps what is read of the endpoint's answer.
	maxUsageBody = 1 << 20
	// maxUsageHold caps the endpoint's retry-after, so a corrupt value cannot
	// stop polling for days.
	maxUsageHold = 24 * time.Hour
	// maxReadsPerHour caps the reads of one account's usage in any hour,
	// whatever asks (schedule, bench, reset, `sluice accounts refresh`):
	// the endpoint's budget is shared with Claude Code's own /usage, and
	// users of peer tools report about 30 reads an hour per account before
	// it answers 429 (issue 16, 2026-12).
	maxReadsPerHour = 20
	// maxBenchedEvery is how far the benched cadence backs off while the
	// answer does not change.
	maxBenchedEvery = 10 * time.Minute
)

// usagePoller is the Service's usage-endpoint schedule. Its zero value is
// ready: the maps and the semaphore are made on first use.
type usagePoller struct {
	mu   sync.Mutex
	due  map[string]time.Time // account id -> next regular poll
	hold map[string]time.Time // account id -> no poll before (the endpoint's retry-after)
	fail map[string]int       // account id -> consecutive failed polls (benched cadence backoff)
	last map[string]time.Time // account id -> last poll
	// reads are each account's reads in the last hour, oldest first: the
	// sliding-window budget (maxReadsPerHour).
	reads map[string][]time.Time
	// same counts the polls in a row whose answer did not change, and seen
	// is the last answer (a digest of its windows): the benched cadence
	// doubles with same.
	same map[string]int
	seen map[string]string
	// reset is the end of an account's bench as last seen; the first pass
	// after it polls once, to learn the new windows at once.
	reset map[string]time.Time
	sem   chan struct{}      // one poll pass at a time, so no account is polled twice
	stop  context.CancelFunc // ends the running loop; nil when none runs
	done  chan struct{}      // closed when the running loop returned
}

// PollUsage polls the usage endpoint now for every OAuth account that is not
// waiting for a login, regardless of the regular interval, and feeds the
// answers to the pool (they show in Accounts). An account the endpoint told
// to back off (429 and retry-after) is skipped until then. The error, if
// any, names the accounts whose poll failed and why; it holds no secret.
func (s *Service) PollUsage(ctx context.Context) error {
	return s.pollUsage(ctx, true)
}

// startPoller starts the polling loop (StartProxy). It does nothing when the
// loop already runs.
func (s *Service) startPoller() {
	p := &s.poller
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.stop, p.done = cancel, make(chan struct{})
	go s.pollLoop(ctx, p.done)
}

// stopPoller ends the polling loop and waits for it (StopProxy). A poll in
// flight is cancelled. It never takes Service.mu, so StopProxy may hold it.
func (s *Service) stopPoller() {
	p := &s.poller
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// pollLoop polls the accounts that are due: at once, then every pollWake,
// and whenever the accounts change, so a new login shows its usage without
// waiting for the next wake.
func (s *Service) pollLoop(ctx context.Context, done chan struct{}) {
	defer close(done)
	events, unsubscribe := s.events.subscribe()
	defer unsubscribe()
	every := min(pollWake, s.cfg.BenchedPollInterval)
	wake := time.NewTimer(0)
	defer wake.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake.C:
			wake.Reset(every)
		case ev := <-events:
			if ev.Kind != api.EventAccounts {
				continue
			}
		}
		// Failures were logged per account; the loop tries again when due.
		_ = s.pollUsage(ctx, false)
	}
}

// pollUsage polls the OAuth accounts that may be polled: those due (every
// one when force), and never one held by the endpoint's retry-after.
func (s *Service) pollUsage(ctx context.Context, force bool) error {
	p := &s.poller
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	var errs []error
	live := map[string]bool{}
	for _, st := range s.pool.Snapshot() {
		a := st.Account
		if a.Kind != string(vault.KindOAuth) {
			continue
		}
		live[a.ID] = true
		benched := st.State == pool.StateLimited || len(st.Scoped) > 0
		var every time.Duration
		if benched {
			every = s.cfg.BenchedPollInterval
			p.noteReset(a.ID, benchEnd(st, s.now()))
		}
		now := s.now()
		due := p.mayPoll(a.ID, now, force, every) || p.afterReset(a.ID, now)
		// Headers from traffic first: an account whose limits a response
		// refreshed since the last poll needs no regular read.
		fresh := !force && !benched && p.polledBefore(a.ID, st.Limits.UpdatedAt) && now.Sub(st.Limits.UpdatedAt) < s.cfg.UsageInterval
		if a.NeedsLogin || st.State == pool.StateNeedsLogin || !due || fresh || !p.withinBudget(a.ID, now) {
			continue
		}
		if err := s.pollAccount(ctx, a, benched); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, err)
		}
	}
	p.forget(live)
	return errors.Join(errs...)
}

// pollAccount asks the usage endpoint about one account and applies the
// answer. Whatever happens, the account is not polled again before the
// interval (BenchedPollInterval while it is benched, doubled per failure);
// a 429 holds it at least until the endpoint's retry-after.
func (s *Service) pollAccount(ctx context.Context, a pool.Account, benched bool) (err error) {
	var hold time.Time
	defer func() {
		if ctx.Err() == nil { // a cancelled poll learned nothing; it stays due
			fails := s.poller.result(a.ID, err == nil)
			next := s.cfg.UsageInterval
			if benched {
				next = min(s.cfg.BenchedPollInterval<<min(fails+s.poller.unchanged(a.ID), 16), maxBenchedEvery)
			}
			s.poller.polled(a.ID, s.now(), s.now().Add(next), hold)
		}
	}()
	cred, err := s.tokens.Credential(ctx, a.ID)
	if err != nil {
		if ctx.Err() == nil {
			s.credentialFailed(ctx, a, err)
		}
		return fmt.Errorf("usage of %q: no usable credential", a.Name)
	}
	if cred.Kind != vault.KindOAuth || cred.AccessToken == "" {
		return fmt.Errorf("usage of %q: the account holds no OAuth access token", a.Name)
	}
	rctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, s.cfg.UsageURL, nil)
	if err != nil {
		return fmt.Errorf("usage of %q: bad usage URL", a.Name)
	}
	req.Header.Set("Authorization", "Bearer "+cred.AccessToken)
	req.Header.Set("Anthropic-Beta", oauthBeta)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "sluice/"+s.cfg.Version)
	s.poller.read(a.ID, s.now())
	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("usage poll failed", "account", a.Name, "err", netReason(err))
		}
		return fmt.Errorf("usage of %q: %s", a.Name, netReason(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUsageBody))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		wait := retryAfter(resp.Header.Get("Retry-After"), s.now())
		if wait <= 0 {
			wait = s.cfg.UsageInterval
		}
		hold = s.now().Add(min(wait, maxUsageHold))
		s.log.Debug("usage endpoint asked to back off", "account", a.Name, "retry_after", wait)
		return fmt.Errorf("usage of %q: the usage endpoint is rate limited; next poll after %s", a.Name, wait.Round(time.Second))
	case resp.StatusCode != http.StatusOK:
		s.log.Warn("usage poll refused", "account", a.Name, "status", resp.StatusCode)
		return fmt.Errorf("usage of %q: the usage endpoint answered %d", a.Name, resp.StatusCode)
	case err != nil:
		s.log.Warn("usage poll cut short", "account", a.Name)
		return fmt.Errorf("usage of %q: the answer was cut short", a.Name)
	}
	l, err := pool.ParseUsage(body)
	if err != nil {
		s.log.Warn("usage poll answer unreadable", "account", a.Name, "err", err)
		return fmt.Errorf("usage of %q: %w", a.Name, err)
	}
	s.poller.answered(a.ID, usageDigest(l))
	s.pool.ApplyUsage(a.ID, l)
	s.log.Debug("usage polled", "account", a.Name, "five_hour", l.FiveHour.Utilization, "seven_day", l.SevenDay.Utilization)
	return nil
}

// retryAfter reads a retry-after value: delay seconds or an HTTP date.
// Zero means none could be read.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(maxUsageHold/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.Sub(now)
	}
	return 0
}

func (p *usagePoller) acquire(ctx context.Context) error {
	p.mu.Lock()
	if p.sem == nil {
		p.sem = make(chan struct{}, 1)
	}
	sem := p.sem
	p.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *usagePoller) release() { <-p.sem }

// mayPoll reports whether id may be polled at now: never while the endpoint
// holds it, and only when due unless forced. A benched account (every > 0)
// is due every, doubled per failed poll, after its last poll, even when its
// regular poll lies further ahead: it may have been benched since.
func (p *usagePoller) mayPoll(id string, now time.Time, force bool, every time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.hold[id]) {
		return false
	}
	if every > 0 {
		every = min(every<<min(p.fail[id]+p.same[id], 16), maxBenchedEvery)
		if last, ok := p.last[id]; ok && !now.Before(last.Add(every)) {
			return true
		}
	}
	return force || !now.Before(p.due[id])
}

// polled records a poll of id at now: the next regular one is due at next, and
// none may happen before hold (zero: no hold).
func (p *usagePoller) polled(id string, now, next, hold time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.due == nil {
		p.due, p.hold, p.last = map[string]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
	}
	p.due[id] = next
	p.last[id] = now
	if hold.IsZero() {
		delete(p.hold, id)
	} else {
		p.hold[id] = hold
	}
}

// result counts consecutive failed polls of id and returns the count.
func (p *usagePoller) result(id string, ok bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail == nil {
		p.fail = map[string]int{}
	}
	if ok {
		delete(p.fail, id)
		return 0
	}
	p.fail[id]++
	return p.fail[id]
}

// forget drops the schedule of accounts that are gone.
func (p *usagePoller) forget(live map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id := range p.due {
		if !live[id] {
			delete(p.due, id)
			delete(p.hold, id)
			delete(p.fail, id)
			delete(p.last, id)
			delete(p.reads, id)
			delete(p.same, id)
			delete(p.seen, id)
			delete(p.reset, id)
		}
	}
}
