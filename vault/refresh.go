package vault

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Refresher hands out usable credentials, refreshing OAuth access tokens
// shortly before they expire. It is safe for concurrent use; set its fields
// before the first call.
type Refresher struct {
	// Margin is how long before expiry a token is refreshed (default 5 min).
	Margin time.Duration
	// MinBackoff is how long callers get the last error without a new
	// request after a failed refresh (default 2 s). Each further failure
	// doubles it, up to MaxBackoff (default 5 min).
	MinBackoff, MaxBackoff time.Duration
	// RefreshTimeout bounds one refresh, which runs detached from the
	// caller that started it so its cancellation does not fail the others
	// waiting (default 30 s).
	RefreshTimeout time.Duration

	store *Store
	oauth *OAuth
	now   func() time.Time

	mu       sync.Mutex
	inFlight map[string]*flight
	failures map[string]*failure
}

// flight is one refresh in progress; done is closed when cred/err are set.
type flight struct {
	done chan struct{}
	cred Credential
	err  error
}

// failure remembers a failed refresh for backoff. It is tied to the refresh
// token that failed, so a new login (a new token in the store) is tried at
// once.
type failure struct {
	refreshToken string
	err          error
	count        int
	until        time.Time
}

// NewRefresher returns a Refresher over store and oauth. now is the clock for
// expiry and backoff; nil means time.Now.
func NewRefresher(store *Store, oauth *OAuth, now func() time.Time) *Refresher {
	if now == nil {
		now = time.Now
	}
	return &Refresher{
		Margin: 5 * time.Minute, MinBackoff: 2 * time.Second, MaxBackoff: 5 * time.Minute,
		RefreshTimeout: 30 * time.Second,
		store:          store, oauth: oauth, now: now,
		inFlight: map[string]*flight{}, failures: map[string]*failure{},
	}
}

// Credential returns a usable credential for the account: API keys as stored;
// OAuth access tokens refreshed first when they expire within Margin. One
// refresh runs per account at a time; concurrent callers wait for it and
// share its result. The rotated refresh token is written to the keyring
// before the new access token is returned; when that write fails, the store
// keeps the credential in memory and retries the write on later reads. A
// refused refresh token yields an error wrapping ErrNeedsLogin, unless the
// keyring meanwhile holds a valid credential with another refresh token
// (another process refreshed first). After a failure, callers within the
// backoff window get the same error without a new request; meanwhile an
// access token that has not yet expired is still handed out.
func (r *Refresher) Credential(ctx context.Context, accountID string) (Credential, error) {
	c, err := r.store.Get(accountID)
	if err != nil {
		return Credential{}, err
	}
	if !r.needsRefresh(c) {
		return c, nil
	}

	r.mu.Lock()
	if f, ok := r.failures[accountID]; ok && f.refreshToken == c.RefreshToken && r.now().Before(f.until) {
		r.mu.Unlock()
		return r.fallback(c, f.err)
	}
	f, ok := r.inFlight[accountID]
	if !ok {
		f = &flight{done: make(chan struct{})}
		r.inFlight[accountID] = f
		go r.run(context.WithoutCancel(ctx), accountID, c.RefreshToken, "", f)
	}
	r.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil {
			return r.fallback(c, f.err)
		}
		return f.cred, nil
	case <-ctx.Done():
		return Credential{}, fmt.Errorf("vault: waiting for the token refresh of %q: %w", accountID, ctx.Err())
	}
}

// Rejected refreshes an account's access token that the API refused (a
// 401) although it had not expired, and returns the new credential for a
// retry. Several requests refused at once share one refresh (the same
// single flight as Credential's); a token another caller already replaced
// is not refreshed again. A refused refresh token yields an error
// wrapping ErrNeedsLogin; within a failure's backoff the same error is
// returned without a new request.
func (r *Refresher) Rejected(ctx context.Context, accountID, token string) (Credential, error) {
	c, err := r.store.Get(accountID)
	if err != nil {
		return Credential{}, err
	}
	if c.Kind != KindOAuth || c.RefreshToken == "" {
		return Credential{}, fmt.Errorf("vault: %q has no token to refresh: %w", accountID, ErrNeedsLogin)
	}
	if c.AccessToken != token && !r.needsRefresh(c) {
		return c, nil // replaced already
	}
	r.mu.Lock()
	if f, ok := r.failures[accountID]; ok && f.refreshToken == c.RefreshToken && r.now().Before(f.until) {
		r.mu.Unlock()
		return Credential{}, f.err
	}
	f, ok := r.inFlight[accountID]
	if !ok {
		f = &flight{done: make(chan struct{})}
		r.inFlight[accountID] = f
		go r.run(context.WithoutCancel(ctx), accountID, c.RefreshToken, token, f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		if f.err == nil && f.cred.AccessToken == token {
			return Credential{}, fmt.Errorf("vault: %q: the refused token was not replaced", accountID)
		}
		return f.cred, f.err
	case <-ctx.Done():
		return Credential{}, fmt.Errorf("vault: waiting for the token refresh of %q: %w", accountID, ctx.Err())
	}
}

// needsRefresh reports whether c is an OAuth credential whose access token
// is missing or expires within the margin. Unknown expiry counts as valid.
func (r *Refresher) needsRefresh(c Credential) bool {
	if c.Kind != KindOAuth {
		return false
	}
	if c.AccessToken == "" {
		return true
	}
	return c.ExpiresAt != 0 && !r.now().Add(r.Margin).Before(c.Expiry())
}

// fallback returns a still-valid access token despite a transient refresh
// failure; otherwise the error.
func (r *Refresher) fallback(c Credential, err error) (Credential, error) {
	if !errors.Is(err, ErrNeedsLogin) && c.AccessToken != "" && r.now().Before(c.Expiry()) {
		return c, nil
	}
	return Credential{}, err
}

// run performs one refresh and publishes its result to the waiters.
// callerToken is the refresh token the caller saw (from the cache);
// rejected, when set, is an access token the API refused, refreshed even
// if it has not expired.
func (r *Refresher) run(ctx context.Context, accountID, callerToken, rejected string, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, r.RefreshTimeout)
	defer cancel()
	c, usedToken, err := r.refresh(ctx, accountID, callerToken, rejected)

	r.mu.Lock()
	defer r.mu.Unlock()
	f.cred, f.err = c, err
	delete(r.inFlight, accountID)
	if err == nil {
		delete(r.failures, accountID)
	} else if usedToken != "" {
		fl := r.failures[accountID]
		if fl == nil || fl.refreshToken != usedToken {
			fl = &failure{refreshToken: usedToken}
			r.failures[accountID] = fl
		}
		fl.count++
		fl.err = err
		fl.until = r.now().Add(r.backoff(fl.count))
	}
	close(f.done)
}

// refresh re-reads the account (a refresh that just finished may already
// have stored a fresh token), refreshes it and stores the result. It returns
// the refresh token a failure is recorded under, for the backoff
// bookkeeping: the one it tried, or callerToken when the keyring could not
// be read (a locked or hung keyring must not be read again by every request
// within the window), or "" when there was nothing to refresh.
func (r *Refresher) refresh(ctx context.Context, accountID, callerToken, rejected string) (Credential, string, error) {
	c, err := r.store.getFresh(accountID)
	if err != nil {
		return Credential{}, callerToken, err
	}
	if !r.needsRefresh(c) && (rejected == "" || c.AccessToken != rejected) {
		return c, "", nil
	}
	fresh, err := r.oauth.Refresh(ctx, c.RefreshToken)
	if errors.Is(err, ErrNeedsLogin) {
		// Another Sluice process may have rotated the token between our
		// read and our request: then the keyring holds its valid result.
		if stored, gerr := r.store.getFresh(accountID); gerr == nil &&
			stored.RefreshToken != c.RefreshToken && !r.needsRefresh(stored) && stored.AccessToken != rejected {
			return stored, "", nil
		}
	}
	if err != nil {
		return Credential{}, c.RefreshToken, fmt.Errorf("vault: refresh token of %q: %w", accountID, err)
	}
	if r.store.Put(accountID, fresh) != nil {
		// The server has already rotated the old refresh token away, so
		// fresh is the only usable credential: keep it in memory, where
		// reads serve it and retry the write.
		r.store.keepUnsaved(accountID, fresh)
	}
	return fresh, c.RefreshToken, nil
}

// backoff is MinBackoff doubled per earlier failure, capped at MaxBackoff.
func (r *Refresher) backoff(failures int) time.Duration {
	d := r.MinBackoff
	for i := 1; i < failures && d < r.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.MaxBackoff)
}
