package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// maxLogLimit bounds one page.
const maxLogLimit = 1000

// Logs lists journaled requests, newest first, a page at a time. Paging is
// by (time, seq), so requests arriving meanwhile neither shift nor repeat
// the pages already read.
func (s *Service) Logs(ctx context.Context, f api.LogFilter) (api.LogPage, error) {
	q, err := s.logQuery(ctx, f)
	if err != nil {
		return api.LogPage{}, err
	}
	rs, stop, err := s.db.Search(ctx, q)
	if err != nil {
		return api.LogPage{}, fmt.Errorf("proxy: %w", err)
	}
	names := s.accountNames(ctx)
	p := api.LogPage{Entries: make([]api.LogEntry, len(rs))}
	for i, r := range rs {
		p.Entries[i] = api.LogEntry{Record: r, AccountName: nameOf(names, r.AccountID), Unpriced: s.unpricedCost(r.Model, r.CostMicros, r.InputTokens+r.OutputTokens)}
		p.LastSeq = max(p.LastSeq, r.Seq)
	}
	switch {
	case len(rs) == q.Limit:
		p.Next = journal.CursorOf(rs[len(rs)-1]).String()
	case !stop.IsZero():
		p.Next, p.SearchStopped = stop.String(), true
	}
	return p, nil
}

func (s *Service) logQuery(ctx context.Context, f api.LogFilter) (journal.Query, error) {
	q := journal.Query{Since: f.Since, Until: f.Until, Model: f.Model, ClientKeyID: f.ClientKey,
		Session: f.Session, Project: f.Project, Text: f.Text, WrittenAfter: f.WrittenAfter, Limit: f.Limit}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, maxLogLimit)
	switch strings.ToLower(f.Status) {
	case "":
	case "2xx", "2":
		q.StatusClass = 2
	case "3xx", "3":
		q.StatusClass = 3
	case "4xx", "4":
		q.StatusClass = 4
	case "5xx", "5":
		q.StatusClass = 5
	default:
		return q, fmt.Errorf("proxy: status filter %q: want 2xx, 3xx, 4xx or 5xx", f.Status)
	}
	c, err := journal.ParseCursor(f.Cursor)
	if err != nil {
		return q, fmt.Errorf("proxy: %w", err)
	}
	q.After = c
	if f.Account != "" {
		id, err := s.accountID(ctx, f.Account)
		if err != nil {
			return q, err
		}
		q.AccountID = id
	}
	return q, nil
}

// accountID resolves an account name, or takes an id as is: history
// outlives accounts, so a removed account's id still filters.
func (s *Service) accountID(ctx context.Context, nameOrID string) (string, error) {
	a, err := s.db.AccountByName(ctx, nameOrID)
	if errors.Is(err, journal.ErrNotFound) {
		return nameOrID, nil
	}
	if err != nil {
		return "", fmt.Errorf("proxy: %w", err)
	}
	return a.ID, nil
}

// accountNames maps account ids to names; empty on error (names are a
// convenience, the ids are in the records).
func (s *Service) accountNames(ctx context.Context) map[string]string {
	as, err := s.db.Accounts(ctx)
	if err != nil {
		s.log.Warn("reading account names failed", "err", err)
	}
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.ID] = a.Name
	}
	return m
}

func nameOf(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return id
}

// Request returns one request in full; ErrNoSuchRequest when the journal
// does not hold it.
func (s *Service) Request(ctx context.Context, id string) (api.RequestDetail, error) {
	r, err := s.db.Record(ctx, id)
	if errors.Is(err, journal.ErrNotFound) {
		return api.RequestDetail{}, fmt.Errorf("proxy: request %q: %w", id, api.ErrNoSuchRequest)
	}
	if err != nil {
		return api.RequestDetail{}, fmt.Errorf("proxy: %w", err)
	}
	d := api.RequestDetail{LogEntry: api.LogEntry{Record: r, AccountName: nameOf(s.accountNames(ctx), r.AccountID),
		Unpriced: s.unpricedCost(r.Model, r.CostMicros, r.InputTokens+r.OutputTokens)}}
	if !r.HasPayload {
		return d, nil
	}
	p, err := s.db.Payload(ctx, id)
	if errors.Is(err, journal.ErrNotFound) {
		d.HasPayload = false // pruned meanwhile
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("proxy: %w", err)
	}
	aead, err := s.payloadAEAD(false)
	if err != nil {
		d.PayloadError = err.Error()
		return d, nil
	}
	req, err1 := unseal(aead, id, p.Request)
	resp, err2 := unseal(aead, id, p.Response)
	if err := errors.Join(err1, err2); err != nil {
		d.PayloadError = err.Error()
		return d, nil
	}
	d.Payload = &api.PayloadView{Request: string(req), Response: string(resp),
		RequestTruncated: p.RequestTruncated, ResponseTruncated: p.ResponseTruncated}
	return d, nil
}

// Usage aggregates requests, errors, tokens by kind and cost over a range.
func (s *Service) Usage(ctx context.Context, q api.UsageQuery) (api.UsageReport, error) {
	jq := journal.UsageQuery{Since: q.Since, Until: q.Until, Model: q.Model, Project: q.Project, Session: q.Session, By: q.By}
	if q.Account != "" {
		id, err := s.accountID(ctx, q.Account)
		if err != nil {
			return api.UsageReport{}, err
		}
		jq.AccountID = id
	}
	rows, err := s.db.Usage(ctx, jq)
	if err != nil {
		return api.UsageReport{}, fmt.Errorf("proxy: %w", err)
	}
	names := s.accountNames(ctx)
	rep := api.UsageReport{Rows: make([]api.UsageRow, len(rows))}
	for i, r := range rows {
		rep.Rows[i] = api.UsageRow{UsageRow: r, Unpriced: s.unpricedCost(r.Model, r.CostMicros, r.InputTokens+r.OutputTokens)}
		if r.AccountID != "" {
			rep.Rows[i].AccountName = nameOf(names, r.AccountID)
		}
		if r.ClientKey != "" {
			rep.Rows[i].KeyName = s.keyNameOf(ctx, r.ClientKey)
		}
		rep.Total.Add(r.Totals)
	}
	return rep, nil
}
