package pool

import (
	"math"
	"time"
)

// Pace: how fast an account spends a window, and when it runs out.

// Sample is one observation of a window's utilization.
type Sample struct {
	Time        time.Time
	Utilization float64
	ResetsAt    time.Time
}

// Pace tuning. The span is what "recent" means; the half-life weights it
// towards the last minutes, so a burst shows within a few requests and an
// idle quarter of an hour fades out. Samples closer than sampleEvery
// replace each other, so a busy account keeps the whole span in the ring.
const (
	PaceSpan     = 30 * time.Minute
	paceHalfLife = 10 * time.Minute
	sampleEvery  = 20 * time.Second
	ringSize     = 96 // > PaceSpan / sampleEvery
	// minPaceSpan is the least the samples must span for a 5-hour window:
	// two samples seconds apart say nothing of an hour. A longer window
	// needs a span as much longer (minSpan), up to maxMinSpan.
	minPaceSpan = time.Minute
	// maxMinSpan caps minSpan well within PaceSpan, which bounds the
	// samples a rate is fitted to: a week's window needs 20 minutes.
	maxMinSpan = 20 * time.Minute
	// maxJumpShare is the most of a window's rise one step may make for
	// the rise to count as a pace (steady). Not less: a 20 s bucket takes
	// a burst of requests as one step (the screenshots' account made two
	// of three steps in one).
	maxJumpShare = 0.75
)

// ring holds a window's recent samples, oldest first once full.
type ring struct {
	buf  [ringSize]Sample
	next int // where the next sample goes
	n    int
}

// add records s; a sample within sampleEvery of the last replaces it.
func (r *ring) add(s Sample) {
	if r.n > 0 {
		last := &r.buf[(r.next+ringSize-1)%ringSize]
		if s.Time.Sub(last.Time) < sampleEvery && s.ResetsAt.Equal(last.ResetsAt) {
			// Keep the first time of the bucket, the latest value: the
			// span between samples stays at least sampleEvery.
			last.Utilization = s.Utilization
			return
		}
	}
	r.buf[r.next] = s
	r.next = (r.next + 1) % ringSize
	r.n = min(r.n+1, ringSize)
}

// samples returns the samples oldest first.
func (r *ring) samples() []Sample {
	out := make([]Sample, 0, r.n)
	for i := range r.n {
		out = append(out, r.buf[(r.next-r.n+i+ringSize)%ringSize])
	}
	return out
}

// sessionLength and weeklyLength are how long the windows of KindSession
// and KindWeekly last from their first request to their reset.
const (
	sessionLength = 5 * time.Hour
	weeklyLength  = 7 * 24 * time.Hour
)

// minSpan is the least the samples of a window of kind must span for a
// rate: a minute for the 5-hour window, as much more for a longer one (a
// few minutes of a week said it ran out by morning), capped at
// maxMinSpan. A kind this package does not know is taken as a week's: a
// forecast too late beats one absurdly early.
func minSpan(kind string) time.Duration {
	length := weeklyLength
	if kind == KindSession {
		length = sessionLength
	}
	return min(max(minPaceSpan, time.Duration(float64(minPaceSpan)*float64(length)/float64(sessionLength))), maxMinSpan)
}

// Rate is the window's burn rate in utilization per hour at now: a linear
// fit of the samples of the last PaceSpan that belong to the latest
// sample's window (an earlier window's samples say nothing after a reset),
// each weighted by 2^(-age/10 min). ok is false with fewer than two such
// samples, when they span less than least (minSpan of the window's kind),
// or when they rose but not steadily (steady). The rate may be 0 or
// negative (nothing spent); Forecast ignores those.
func Rate(samples []Sample, now time.Time, least time.Duration) (perHour float64, ok bool) {
	if len(samples) < 2 {
		return 0, false
	}
	latest := samples[len(samples)-1]
	var sw, sx, sy, sxx, sxy float64
	cur := make([]Sample, 0, len(samples))
	for _, s := range samples {
		age := now.Sub(s.Time)
		if age > PaceSpan || age < 0 || !sameWindow(s, latest) {
			continue
		}
		cur = append(cur, s)
		w := math.Exp2(-age.Hours() / paceHalfLife.Hours())
		x := s.Time.Sub(latest.Time).Hours()
		sw += w
		sx += w * x
		sy += w * s.Utilization
		sxx += w * x * x
		sxy += w * x * s.Utilization
	}
	if len(cur) < 2 || latest.Time.Sub(cur[0].Time) < max(least, minPaceSpan) || !steady(cur) {
		return 0, false
	}
	den := sw*sxx - sx*sx
	if den <= 0 {
		return 0, false
	}
	return (sw*sxy - sx*sy) / den, true
}

// steady reports whether samples (one window's, oldest first) that rose
// did so in more than one step, no step making more than maxJumpShare of
// the rise. A single jump is not a pace: a poll that reveals a window
// another client already used, or a 429 that reports a window full, would
// otherwise read as a burn of the whole jump per minute and forecast the
// window spent at once. Samples that did not rise are steady (rate <= 0).
func steady(samples []Sample) bool {
	rise := samples[len(samples)-1].Utilization - samples[0].Utilization
	if rise <= 0 {
		return true
	}
	steps, largest := 0, 0.0
	for i := 1; i < len(samples); i++ {
		if d := samples[i].Utilization - samples[i-1].Utilization; d > 0 {
			steps++
			largest = max(largest, d)
		}
	}
	return steps >= 2 && largest <= maxJumpShare*rise
}

// sameWindow reports whether a and b are samples of one window (their
// resets agree within resetSlack).
func sameWindow(a, b Sample) bool {
	d := a.ResetsAt.Sub(b.ResetsAt)
	return d > -resetSlack && d < resetSlack
}

// Forecast is when a window at utilization util, resetting at resetsAt,
// is spent at perHour: zero when it is not spent before it resets (or the
// reset is unknown and the rate is not positive).
func Forecast(util, perHour float64, resetsAt, now time.Time) time.Time {
	if perHour <= 0 {
		return time.Time{}
	}
	if util >= 1 {
		return now
	}
	left := time.Duration((1 - util) / perHour * float64(time.Hour))
	at := now.Add(left)
	if !resetsAt.IsZero() && !at.Before(resetsAt) {
		return time.Time{}
	}
	return at
}

// WindowPace is a window's pace as the views show it.
type WindowPace struct {
	Key         string    // WindowKey
	Utilization float64   // now (0 once reset)
	ResetsAt    time.Time // zero when unknown
	PerHour     float64   // burn rate; 0 when unknown
	RunsOutAt   time.Time // zero unless spent before it resets at this pace
}

// paceSee records the windows of l that this observation named (seen) in
// e's rings, with their merged values (l). A window seen is recorded, one
// it did not name is not: stamping its stored value with now would date an
// old figure (another source's, or one restored from disk) as fresh, and
// the next real observation would read as a jump. Called with the lock held.
func (e *entry) paceSee(l Limits, seen []Window, now time.Time) {
	for _, w := range l.Windows {
		if isMinuteKind(w.Kind) || !named(seen, w) {
			continue
		}
		k := WindowKey(w)
		if e.pace == nil {
			e.pace = make(map[string]*ring, 2)
		}
		r := e.pace[k]
		if r == nil {
			r = &ring{}
			e.pace[k] = r
		}
		r.add(Sample{Time: now, Utilization: w.Utilization, ResetsAt: w.ResetsAt})
	}
}

// named reports whether ws holds a window with w's key.
func named(ws []Window, w Window) bool {
	k := WindowKey(w)
	for _, s := range ws {
		if WindowKey(s) == k {
			return true
		}
	}
	return false
}

// Pace returns the pace of each of the account's windows (per-minute
// buckets excluded), in the order the account's windows are listed.
func (p *Pool) Pace(accountID string) []WindowPace {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[accountID]
	if e == nil {
		return nil
	}
	return e.windowPace(p.now())
}

func (e *entry) windowPace(now time.Time) []WindowPace {
	var out []WindowPace
	for _, w := range e.limits.Windows {
		if isMinuteKind(w.Kind) {
			continue
		}
		wp := WindowPace{Key: WindowKey(w), Utilization: w.util(now)}
		if w.live(now) {
			wp.ResetsAt = w.ResetsAt
		}
		if r := e.pace[wp.Key]; r != nil && w.live(now) {
			if rate, ok := Rate(r.samples(), now, minSpan(w.Kind)); ok && rate > 0 {
				wp.PerHour = rate
				wp.RunsOutAt = Forecast(wp.Utilization, rate, wp.ResetsAt, now)
			}
		}
		out = append(out, wp)
	}
	return out
}

// Runway is when, at the current pace, every account that can serve a
// model family is spent at once.
type Runway struct {
	Family    string    // "" for any model (account-wide windows only)
	RunsOutAt time.Time // zero when the pool is not spent before a reset
	// Until is when the first spent account's window resets, ending the
	// drought (zero with RunsOutAt).
	Until time.Time
}

// Runway forecasts, for family, the moment every usable account (not
// paused, not needing a login) is spent: an account is spent from the
// earliest forecast run-out of a window that applies to family (or now,
// when such a window is already full or rejected) until that window
// resets. The pool is spent when these spans all overlap: from the latest
// start, if it comes before the earliest end. Zero when any usable account
// is not forecast to run out, or there is no usable account.
func (p *Pool) Runway(family string) Runway {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	rw := Runway{Family: family}
	var from, until time.Time
	n := 0
	for _, e := range p.order {
		if e.acct.Paused || e.acct.NeedsLogin || e.loginNeeded {
			continue
		}
		start, end := e.spentSpan(family, now)
		if start.IsZero() {
			return rw
		}
		n++
		if start.After(from) {
			from = start
		}
		if until.IsZero() || end.Before(until) {
			until = end
		}
	}
	if n == 0 || (!until.IsZero() && !from.Before(until)) {
		return rw
	}
	rw.RunsOutAt, rw.Until = from, until
	return rw
}

// spentSpan is when e is forecast to be spent for family and when that
// ends; zero start when it is not forecast to run out.
func (e *entry) spentSpan(family string, now time.Time) (start, end time.Time) {
	paces := e.windowPace(now)
	for _, w := range e.limits.Windows {
		if isMinuteKind(w.Kind) || !w.AppliesTo(family) {
			continue
		}
		var at time.Time
		switch {
		case w.rejected(now) || w.util(now) >= 1:
			at = now
		default:
			for _, wp := range paces {
				if wp.Key == WindowKey(w) {
					at = wp.RunsOutAt
				}
			}
		}
		if at.IsZero() {
			continue
		}
		if start.IsZero() || at.Before(start) {
			start, end = at, w.ResetsAt
		}
	}
	if b := e.blockedUntil(family, now); !b.IsZero() && (start.IsZero() || now.Before(start)) {
		start, end = now, b
	}
	return start, end
}

// Resets returns the current reset of each of the account's windows, by
// WindowKey (zero when unknown or passed): cheap, for the request path.
func (p *Pool) Resets(accountID string) map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byID[accountID]
	if e == nil {
		return nil
	}
	now := p.now()
	out := make(map[string]time.Time, len(e.limits.Windows))
	for _, w := range e.limits.Windows {
		if !isMinuteKind(w.Kind) && w.live(now) {
			out[WindowKey(w)] = w.ResetsAt
		}
	}
	return out
}
