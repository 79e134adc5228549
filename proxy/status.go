package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Status reports the proxy's state, the accounts' usability and today's
// traffic from the journal.
func (s *Service) Status(ctx context.Context) (api.Status, error) {
	views, err := s.Accounts(ctx)
	if err != nil {
		return api.Status{}, err
	}
	st := api.Status{ProxyRunning: s.ProxyRunning(), Addr: s.Addr(), Accounts: len(views)}
	st.UpstreamError, st.UpstreamErrorSince = s.UpstreamError()
	for _, v := range views {
		if v.Usable() {
			st.Usable++
		} else {
			st.Unusable = append(st.Unusable, api.UnusableAccount{Name: v.Name, State: v.State, Until: v.LimitedUntil, Reason: v.Reason})
		}
	}
	st.Runway, st.Warnings = s.runway(views), s.Warnings()
	now := s.now()
	y, m, d := now.Date()
	// From the records, not the rollups: those hold UTC days, and local
	// midnight is rarely UTC midnight.
	tot, err := s.db.RecordTotals(ctx, time.Date(y, m, d, 0, 0, 0, 0, now.Location()))
	if err != nil {
		return api.Status{}, fmt.Errorf("today's totals: %w", err)
	}
	st.RequestsToday, st.CostTodayMicros = tot.Requests, tot.CostMicros
	return st, nil
}
