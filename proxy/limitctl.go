package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// headroomSetting is the journal setting holding every account's headroom
// caps as JSON: {account id: {window kind: percent}}. A setting, not a
// column, so the caps need no schema change and vanish with nothing else.
const headroomSetting = "pool.headroom"

// ClearLimit lifts every bench of the named account (the whole account and
// each model family) and forgets its backoff, for limits Sluice cannot see
// lift: a spend limit raised in the Console, a reset granted by support.
// If the limit still holds, the next request benches the account again.
func (s *Service) ClearLimit(ctx context.Context, name string) error {
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	s.pool.ClearLimit(a.ID)
	s.events.publish(api.Event{Kind: api.EventAccounts, AccountID: a.ID, Time: s.now()})
	return nil
}

// SetHeadroom makes the named account stop serving once a window of kind
// ("session" for the 5-hour window, "weekly" for the 7-day ones, or another
// window kind) reaches percent utilization, until that window resets, so
// the user keeps room for their own claude.ai use. 0 removes the cap. The
// cap is kept in the journal.
func (s *Service) SetHeadroom(ctx context.Context, name, kind string, percent float64) error {
	if kind == "" {
		return fmt.Errorf("headroom needs a window kind (session, weekly, ...)")
	}
	if math.IsNaN(percent) || percent < 0 || percent > 100 {
		return fmt.Errorf("headroom must be a percentage between 0 and 100")
	}
	a, err := s.account(ctx, name)
	if err != nil {
		return err
	}
	all, err := s.headrooms(ctx)
	if err != nil {
		return err
	}
	caps := all[a.ID]
	if percent == 0 || percent == 100 {
		delete(caps, kind)
	} else {
		if caps == nil {
			caps = map[string]float64{}
			all[a.ID] = caps
		}
		caps[kind] = percent
	}
	if len(caps) == 0 {
		delete(all, a.ID)
	}
	b, err := json.Marshal(all)
	if err != nil {
		return fmt.Errorf("encode headroom: %w", err)
	}
	if err := s.db.SetSetting(ctx, headroomSetting, string(b)); err != nil {
		return fmt.Errorf("save headroom: %w", err)
	}
	return s.accountsChanged(ctx, a.ID)
}

// headrooms reads every account's caps, in percent. An unreadable setting
// is treated as none rather than blocking the pool.
func (s *Service) headrooms(ctx context.Context) (map[string]map[string]float64, error) {
	v, ok, err := s.db.Setting(ctx, headroomSetting)
	if err != nil {
		return nil, fmt.Errorf("load headroom: %w", err)
	}
	all := map[string]map[string]float64{}
	if ok && json.Unmarshal([]byte(v), &all) != nil {
		s.log.Warn("headroom setting unreadable; ignoring it")
		all = map[string]map[string]float64{}
	}
	return all, nil
}

// headroomFractions converts one account's caps to the pool's 0..1 form.
func headroomFractions(caps map[string]float64) map[string]float64 {
	if len(caps) == 0 {
		return nil
	}
	out := make(map[string]float64, len(caps))
	for k, p := range caps {
		out[k] = p / 100
	}
	return out
}
