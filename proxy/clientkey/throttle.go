package clientkey

import (
	"context"
	"fmt"
	"time"
)

// Limit names the cap a refusal hit; it is the reason journaled for the
// request, so `sluice logs` can explain a client's 429.
type Limit string

// The caps a key can carry.
const (
	LimitRPM        Limit = "client key over its requests per minute"
	LimitConcurrent Limit = "client key over its requests in flight"
	LimitDailyCost  Limit = "client key over its daily cost cap"
)

// Refusal is a request a key's limits refused: answer 429 with Message,
// retry after Wait.
type Refusal struct {
	Limit   Limit
	Wait    time.Duration
	Message string
}

// Admit applies k's caps to a request starting at now: requests in
// flight, requests per minute, and whether the day's cost (spent and
// reserved) is still under the cap. On success the caller must call done
// when the request ends. err reports a day's cost that could not be read:
// the request is let through, as a journal hiccup must not lock keys out.
func (s *Set) Admit(ctx context.Context, k *Key, now time.Time) (done func(), refused *Refusal, err error) {
	s.mu.RLock()
	rec, lim := k.rec, k.limiter
	s.mu.RUnlock()
	done = func() {}
	if rec.MaxConcurrent > 0 {
		if k.inflight.Add(1) > int64(rec.MaxConcurrent) {
			k.inflight.Add(-1)
			return nil, &Refusal{LimitConcurrent, time.Second, fmt.Sprintf(
				"Sluice client key %q already has %d requests in flight, its limit.", rec.Name, rec.MaxConcurrent)}, nil
		}
		done = func() { k.inflight.Add(-1) }
	}
	if lim != nil {
		res := lim.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			done()
			return nil, &Refusal{LimitRPM, d, fmt.Sprintf(
				"Sluice client key %q is over its limit of %d requests per minute.", rec.Name, rec.RPM)}, nil
		}
	}
	if rec.DailyCostMicros > 0 {
		k.costMu.Lock()
		err = s.loadDay(ctx, k, now)
		over := err == nil && k.costSpent+k.reserved >= rec.DailyCostMicros
		k.costMu.Unlock()
		if over {
			done()
			return nil, dailyRefusal(rec.Name, rec.DailyCostMicros, now), nil
		}
	}
	return done, nil, err
}

func dailyRefusal(name string, capMicros int64, now time.Time) *Refusal {
	return &Refusal{LimitDailyCost, StartOfDay(now).AddDate(0, 0, 1).Sub(now), fmt.Sprintf(
		"Sluice client key %q reached its daily cost cap of $%.2f; it resets at midnight.", name, float64(capMicros)/1e6)}
}

// Reservation is a request's worst-case cost held against its key's daily
// cap until Settle.
type Reservation struct {
	k      *Key
	day    time.Time
	micros int64
}

// Reserve holds worst() (the request's cost were it to use every token it
// may; called only for a key with a cap) against k's daily cap. It refuses when what the day has spent and
// reserved already reaches the cap; otherwise the request goes ahead even
// if worst alone passes the cap. So parallel requests overshoot the cap by
// at most one request, and a request larger than the whole cap can still
// run once a day. A nil k or a key without a cap reserves nothing but
// still counts the cost at Settle.
func (s *Set) Reserve(ctx context.Context, k *Key, now time.Time, worst func() int64) (*Reservation, *Refusal, error) {
	if k == nil {
		return nil, nil, nil
	}
	s.mu.RLock()
	rec := k.rec
	s.mu.RUnlock()
	r := &Reservation{k: k, day: StartOfDay(now)}
	if rec.DailyCostMicros <= 0 {
		return r, nil, nil
	}
	w := worst()
	k.costMu.Lock()
	defer k.costMu.Unlock()
	if err := s.loadDay(ctx, k, now); err != nil {
		return r, nil, err
	}
	if k.costSpent+k.reserved >= rec.DailyCostMicros {
		return nil, dailyRefusal(rec.Name, rec.DailyCostMicros, now), nil
	}
	r.micros = max(w, 1) // even an unpriced request holds the door for the next
	k.reserved += r.micros
	return r, nil, nil
}

// Settle replaces the reservation by the request's real cost, counted
// toward the day the request started. Safe on a nil Reservation; call it
// once.
func (r *Reservation) Settle(micros int64) {
	if r == nil {
		return
	}
	k := r.k
	k.costMu.Lock()
	defer k.costMu.Unlock()
	if !k.costDay.Equal(r.day) {
		return // a new day (or never loaded): the journal has the cost
	}
	k.reserved -= r.micros
	k.costSpent += micros
}

// Spent counts the cost of a request of k's that reserved nothing (no key
// is fine) toward the day at falls in.
func (s *Set) Spent(k *Key, at time.Time, micros int64) {
	if k == nil || micros == 0 {
		return
	}
	(&Reservation{k: k, day: StartOfDay(at)}).Settle(micros)
}

// loadDay reads k's cost since the day of now began from the journal
// when the day (or the process) is new; k.costMu is held.
func (s *Set) loadDay(ctx context.Context, k *Key, now time.Time) error {
	day := StartOfDay(now)
	if k.costDay.Equal(day) {
		return nil
	}
	spent, err := s.db.KeyCost(ctx, k.id, day)
	if err != nil {
		return fmt.Errorf("read client key %s's cost: %w", k.id, err)
	}
	k.costDay, k.costSpent, k.reserved = day, spent, 0
	return nil
}

// StartOfDay is local midnight before t: daily caps reset then.
func StartOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
