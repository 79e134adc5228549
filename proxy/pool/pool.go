// Package pool holds the pooled accounts, their limit windows, the selection
// strategies and quarantine. It does no I/O: the proxy reports what the
// upstream said (Observe, AddUsage, ApplyUsage) and asks which account to use
// next (Pick). All methods are safe for concurrent use.
package pool

import (
	"cmp"
	"errors"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Account is one pooled account as configured by the user. Credentials live
// in the vault, never here.
type Account struct {
	ID       string
	Name     string
	Kind     string // "api-key" or "oauth"
	Priority int    // lower is preferred
	Paused   bool
	// PlanGuard keeps the account within its subscription: once a response
	// shows requests would be paid as extra usage, it is benched until the
	// plan window resets (rules on Observe and ApplyUsage). The proxy turns it on
	// by default for oauth accounts.
	PlanGuard bool
	// NeedsLogin is set by the proxy when the vault has no usable credential.
	NeedsLogin bool
	// Headroom stops the account once a window of the given kind
	// (KindSession, KindWeekly, ...) reaches this utilization (0..1), until
	// that window resets, so the user keeps room for their own use of the
	// subscription. Nil or no entry: no cap. Shared, never modified.
	Headroom map[string]float64
	// Models, when not nil, are the only models the account serves
	// (patterns, see MatchModel): a compatible upstream's. Pick skips it
	// for any other. Shared, never modified.
	Models []string
}

// State is an account's condition as the UI shows it.
type State string

// The states, in the order they win when several apply.
const (
	StatePaused     State = "paused"
	StateNeedsLogin State = "needs-login"
	StateLimited    State = "limited"
	StateWarning    State = "warning" // allowed_warning, or drawing extra usage without PlanGuard
	StateOK         State = "ok"
)

// Status is a snapshot of one account for the UI and the CLI.
type Status struct {
	Account
	State        State
	LimitedUntil time.Time // zero unless State is limited
	Reason       string    // why the account is limited or needs login
	// Scoped lists the model families the account is benched for while it
	// serves others (a model-scoped window was rejected).
	Scoped []ScopedLimit
	Limits Limits
	// WindowRequests and WindowTokens count AddUsage calls in the current
	// 5-hour window (Anthropic's, or 5h from first use when unknown).
	WindowRequests, WindowTokens int64
	LastUsed                     time.Time // last time Pick chose it
}

// ErrNoAccounts is returned by Pick when no account is configured, or every
// account is paused, needs login or was excluded by the caller.
var ErrNoAccounts = errors.New("pool: no usable account")

// LimitedError is returned by Pick when every otherwise usable account is
// rate limited. Until is the earliest moment one of them frees up, so the
// proxy can tell the client when to come back (retry-after).
type LimitedError struct {
	Until     time.Time
	AccountID string // the account that frees up first
}

// Error names the moment the first account frees up.
func (e *LimitedError) Error() string {
	return "pool: all accounts are rate limited until " + e.Until.UTC().Format(time.RFC3339)
}

// Options configure a Pool. Zero values take the documented defaults.
type Options struct {
	// Strategy names the selection strategy: "session" (default),
	// "priority", "round-robin", "least-used" or "drain-soonest". See
	// strategy.go. Round-robin and least-used spread requests over API-key
	// accounts only; sessions on subscription accounts stay pinned.
	Strategy string
	// Custom, when set, replaces the named Strategy. It is called with the
	// pool's lock held: it must be quick and must not call the Pool.
	Custom Strategy
	// SessionTTL is how long a session key stays pinned to its account after
	// its last request (sliding). Default 5h, the length of the usage window
	// the prompt cache is worth most in.
	SessionTTL time.Duration
	// Now is the clock (default time.Now). Every limit and reset is judged
	// against it, so tests can move time without sleeping.
	Now func() time.Time
	// Rand returns a number in [0,1) for backoff jitter (default
	// math/rand/v2.Float64). Called with the pool's lock held.
	Rand func() float64
	// OnChange is called after an account's limits, quarantine, login state
	// or usage changed, on the goroutine that reported it and never with the
	// pool's lock held, so it may call back into the Pool.
	OnChange func(accountID string)
	// MinBackoff and MaxBackoff bound the quarantine used when the upstream
	// gives no reset: MinBackoff doubles per consecutive failure up to
	// MaxBackoff, with jitter. Defaults 1s and 30min.
	MinBackoff, MaxBackoff time.Duration
	// OnShare receives the parts of a request's window share that settled
	// after its End (ledger.go), with the ref given to End; never called
	// with the pool's lock held.
	OnShare func(ref any, s Share)
}

// Pool chooses accounts and tracks their limits. Create it with New.
type Pool struct {
	mu       sync.Mutex
	now      func() time.Time
	rand     func() float64
	onChange func(string)
	onShare  func(any, Share)
	minB     time.Duration
	maxB     time.Duration
	strategy Strategy

	order   []*entry          // members sorted by priority, name, id
	byID    map[string]*entry // members
	pending map[string]*entry // imported state of ids not (yet) members

	// Scratch for Pick, reused under the lock so picking allocates nothing.
	cands   []Candidate
	candEnt []*entry

	// The last parse of each account's limit headers (headercache.go).
	parsed  sync.Map // account id -> *parsedHeaders
	hdrSeed maphash.Seed
}

// entry is one account's mutable state.
type entry struct {
	acct   Account
	limits Limits
	// mergedSum is the limit headers' sum (limitHeadersSum) whose parse
	// was the last thing merged into limits, 0 when something else set
	// them since: Observe skips merging the same parse again (merged).
	mergedSum uint64

	until  time.Time // quarantined (limited) until
	reason string
	// benchKey and benchUtil name the window whose rejection set until, so
	// a usage poll that sees it reopen lifts the bench early.
	benchKey  string
	benchUtil float64
	// spendLimited: until is the end of the month (a spend limit), which
	// may lie beyond maxResetAhead.
	spendLimited bool
	scoped       map[string]scopedBench // model family -> bench
	backoff      int                    // consecutive backoff quarantines since the last success
	avoid        time.Time              // after a 5xx or network error: other accounts first, until then
	transient    time.Time              // a transient 429 was retried; until then, another is a throttle
	// guardUntil is the bench the plan guard set (until, when nothing
	// extended it since): turning the guard off lifts it (guard.go).
	guardUntil time.Time

	loginNeeded bool // the upstream answered 401/403
	loginReason string

	winReq, winTok int64
	winEnd         time.Time
	lastUsed       time.Time

	inflight []*Charge        // requests begun and not ended (ledger.go)
	pace     map[string]*ring // recent samples by WindowKey (pace.go)
}

// New returns an empty Pool; add accounts with SetAccounts.
func New(opts Options) (*Pool, error) {
	p := &Pool{
		now:      opts.Now,
		rand:     opts.Rand,
		onChange: opts.OnChange,
		onShare:  opts.OnShare,
		minB:     opts.MinBackoff,
		maxB:     opts.MaxBackoff,
		byID:     make(map[string]*entry),
		hdrSeed:  maphash.MakeSeed(),
		pending:  make(map[string]*entry),
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.rand == nil {
		p.rand = rand.Float64
	}
	if p.minB <= 0 {
		p.minB = time.Second
	}
	if p.maxB <= 0 {
		p.maxB = 30 * time.Minute
	}
	if p.maxB < p.minB {
		p.maxB = p.minB
	}
	ttl := opts.SessionTTL
	if ttl <= 0 {
		ttl = 5 * time.Hour
	}
	if opts.Custom != nil {
		p.strategy = opts.Custom
		return p, nil
	}
	s, err := newStrategy(opts.Strategy, ttl, p.now)
	if err != nil {
		return nil, err
	}
	p.strategy = s
	return p, nil
}

// SetAccounts replaces the membership. State (limits, quarantine, counters)
// of ids still present is kept; state of removed ids is dropped. An account
// whose NeedsLogin goes from true to false has just been logged in again, so
// a 401/403 seen earlier no longer holds. Empty and duplicate ids are ignored.
func (p *Pool) SetAccounts(accts []Account) {
	p.mu.Lock()
	defer p.mu.Unlock()
	byID := make(map[string]*entry, len(accts))
	order := make([]*entry, 0, len(accts))
	for _, a := range accts {
		if a.ID == "" || byID[a.ID] != nil {
			continue
		}
		e := p.byID[a.ID]
		if e == nil {
			e = p.pending[a.ID]
			delete(p.pending, a.ID)
		}
		if e == nil {
			e = &entry{}
		}
		if e.acct.NeedsLogin && !a.NeedsLogin {
			e.loginNeeded, e.loginReason = false, ""
		}
		if e.acct.PlanGuard && !a.PlanGuard {
			e.liftGuard()
		}
		e.acct = a
		byID[a.ID] = e
		order = append(order, e)
	}
	slices.SortFunc(order, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(a.acct.Priority, b.acct.Priority),
			cmp.Compare(a.acct.Name, b.acct.Name), cmp.Compare(a.acct.ID, b.acct.ID))
	})
	p.byID, p.order = byID, order
	p.parsed.Range(func(id, _ any) bool { // removed accounts' header parses go too
		if byID[id.(string)] == nil {
			p.parsed.Delete(id)
		}
		return true
	})
}

// Pick returns the account for the next request of sessionKey (may be empty)
// for model (the request's "model", may be empty), skipping exclude (the
// accounts this request already failed on) and accounts benched for the
// model's family or past their headroom cap for a window that applies to
// it. It returns ErrNoAccounts or a *LimitedError when nothing can serve.
//
// Accounts that just answered 5xx or failed on the network are used only
// when no other account is available, so a retry lands elsewhere if it can.
func (p *Pool) Pick(sessionKey, model string, exclude map[string]bool) (Account, error) {
	return p.PickAmong(sessionKey, model, nil, exclude)
}

// PickAmong is Pick among the accounts in among (by id; nil: all), the ones
// a client key may use: an account outside it is neither chosen nor
// counted, so a *LimitedError names when the first of these frees up.
// among is a set, not a callback, so nothing of the caller's runs under
// the pool's lock.
func (p *Pool) PickAmong(sessionKey, model string, among, exclude map[string]bool) (Account, error) {
	p.mu.Lock()
	now := p.now()
	family := Family(model)
	var (
		earliest   time.Time
		earliestID string
		avoided    bool
	)
	p.cands, p.candEnt = p.cands[:0], p.candEnt[:0]
	for pass := 0; pass < 2 && len(p.cands) == 0; pass++ {
		for _, e := range p.order {
			if e.acct.Paused || e.acct.NeedsLogin || e.loginNeeded || (among != nil && !among[e.acct.ID]) {
				continue
			}
			if !e.acct.Serves(model) {
				continue
			}
			// A limited account counts toward the earliest reset even when
			// this request excluded it (it failed over from it): the client
			// then learns when to come back.
			if until := e.blockedUntil(family, now); !until.IsZero() {
				if earliest.IsZero() || until.Before(earliest) {
					earliest, earliestID = until, e.acct.ID
				}
				continue
			}
			if exclude[e.acct.ID] {
				continue
			}
			if pass == 0 && e.avoid.After(now) {
				avoided = true
				continue
			}
			p.cands = append(p.cands, e.candidate(family, now))
			p.candEnt = append(p.candEnt, e)
		}
		if !avoided {
			break
		}
	}
	if len(p.cands) == 0 {
		p.mu.Unlock()
		if !earliest.IsZero() {
			return Account{}, &LimitedError{Until: earliest, AccountID: earliestID}
		}
		return Account{}, ErrNoAccounts
	}
	i := p.strategy.Choose(p.cands, sessionKey)
	if i < 0 || i >= len(p.cands) {
		i = 0
	}
	e := p.candEnt[i]
	e.lastUsed = now
	a := e.acct
	p.mu.Unlock()
	return a, nil
}

// Snapshot returns every account's status, ordered by priority, then name.
func (p *Pool) Snapshot() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := make([]Status, len(p.order))
	for i, e := range p.order {
		out[i] = e.status(now)
	}
	return out
}

// Status returns one account's status.
func (p *Pool) Status(accountID string) (Status, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[accountID]
	if e == nil {
		return Status{}, false
	}
	return e.status(p.now()), true
}

func (e *entry) status(now time.Time) Status {
	e.roll(now)
	s := Status{
		Account:        e.acct,
		State:          StateOK,
		Limits:         e.limits, // Extra is never mutated in place, so sharing it is safe
		WindowRequests: e.winReq,
		WindowTokens:   e.winTok,
		LastUsed:       e.lastUsed,
		Scoped:         e.scopedStatus(now),
	}
	switch {
	case e.acct.Paused:
		s.State = StatePaused
	case e.loginNeeded:
		s.State, s.Reason = StateNeedsLogin, e.loginReason
	case e.acct.NeedsLogin:
		s.State, s.Reason = StateNeedsLogin, "no usable credential; log in again"
	case e.until.After(now):
		s.State, s.LimitedUntil, s.Reason = StateLimited, e.until, e.reason
	case e.headroomUntil("", now).After(now):
		s.State, s.LimitedUntil = StateLimited, e.headroomUntil("", now)
		s.Reason = "kept in reserve: a window reached the account's headroom cap"
	case e.limits.warning(now):
		s.State = StateWarning
	}
	return s
}

func (e *entry) candidate(family string, now time.Time) Candidate {
	e.roll(now)
	return Candidate{
		Account:        e.acct,
		Warning:        e.limits.warning(now),
		FiveHour:       e.limits.fiveHourUtil(now),
		Binding:        e.limits.binding(family, now),
		WeeklyReset:    e.limits.weeklyReset(family, now),
		WindowRequests: e.winReq,
		WindowTokens:   e.winTok,
		LastUsed:       e.lastUsed,
	}
}

// blockedUntil is when e may serve a request of family again: its whole
// bench, its bench for the family, or the reset of a window past its
// headroom cap; zero when it may serve now.
func (e *entry) blockedUntil(family string, now time.Time) time.Time {
	var t time.Time
	if e.until.After(now) {
		t = e.until
	}
	if u := e.scopedUntil(family, now); u.After(t) {
		t = u
	}
	if u := e.headroomUntil(family, now); u.After(t) {
		t = u
	}
	return t
}

// roll zeroes the window counters once their 5-hour window has ended.
func (e *entry) roll(now time.Time) {
	if !e.winEnd.IsZero() && !now.Before(e.winEnd) {
		e.winReq, e.winTok, e.winEnd = 0, 0, time.Time{}
	}
}

// changed reports id to OnChange; call it without the lock held.
func (p *Pool) changed(id string) {
	if p.onChange != nil && id != "" {
		p.onChange(id)
	}
}
