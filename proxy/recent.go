package proxy

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// RequestView is one logged request as the window's Logs tab shows it. It
// carries no credential, header or payload.
type RequestView struct {
	ID           string
	Time         time.Time
	Account      string // the account's name; its id when it was removed; "" when none served it
	Model        string
	Method       string
	Path         string
	Status       int
	InputTokens  int64
	OutputTokens int64
	CostMicros   int64
	Duration     time.Duration
	FirstByte    time.Duration
	Error        string
}

// RecentRequests returns up to limit of the latest logged requests, newest
// first. It is a stopgap for the Logs tab until the journal's filtered
// queries land; requests still in the writer's queue are not there yet.
func (s *Service) RecentRequests(ctx context.Context, limit int) ([]RequestView, error) {
	recs, err := s.db.Records(ctx, journal.Query{Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("read request log: %w", err)
	}
	accts, err := s.db.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	names := make(map[string]string, len(accts))
	for _, a := range accts {
		names[a.ID] = a.Name
	}
	out := make([]RequestView, 0, len(recs))
	for _, r := range recs {
		name := names[r.AccountID]
		if name == "" {
			name = r.AccountID
		}
		out = append(out, RequestView{
			ID: r.ID, Time: r.Time, Account: name, Model: r.Model, Method: r.Method, Path: r.Path,
			Status: r.Status, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
			CostMicros: r.CostMicros, Duration: r.Duration, FirstByte: r.FirstByte, Error: r.Error,
		})
	}
	return out, nil
}
