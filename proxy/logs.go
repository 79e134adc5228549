package proxy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/journal"
)

// ErrNoSuchRequest reports a request id the journal does not hold (never
// written, or pruned).
var ErrNoSuchRequest = errors.New("no such request in the journal")

// LogFilter selects requests for `sluice logs` and the window's Logs tab.
// Zero fields do not filter.
type LogFilter struct {
	Account   string    `json:"account,omitempty"` // account name or id
	Model     string    `json:"model,omitempty"`
	Status    string    `json:"status,omitempty"` // "2xx", "4xx" or "5xx"
	ClientKey string    `json:"client_key,omitempty"`
	Session   string    `json:"session,omitempty"`
	Project   string    `json:"project,omitempty"`
	Text      string    `json:"text,omitempty"` // in the path or the error
	Since     time.Time `json:"since,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	// Cursor continues a listing: LogPage.Next of the previous page.
	Cursor string `json:"cursor,omitempty"`
	// WrittenAfter keeps requests journaled after the one with this Seq:
	// `sluice logs --follow` passes the LastSeq of what it has shown.
	WrittenAfter int64 `json:"written_after,omitempty"`
	Limit        int   `json:"limit,omitempty"` // 0 means 100, at most 1000
}

// maxLogLimit bounds one page.
const maxLogLimit = 1000

// LogEntry is one request as listed, with its account's current name
// (empty when no account served it; the id when the account is gone).
type LogEntry struct {
	journal.Record
	AccountName string `json:"account,omitempty"`
}

// LogPage is one page of requests, newest first.
type LogPage struct {
	Entries []LogEntry `json:"entries"`
	// Next is the cursor of the following (older) page; empty at the end.
	Next string `json:"next,omitempty"`
	// LastSeq is the highest Seq on the page, to follow from (0 if empty).
	LastSeq int64 `json:"last_seq,omitempty"`
	// SearchStopped says a text filter looked through its bound
	// (journal.TextScanRows requests) before filling the page: the page
	// may hold fewer entries than asked, and Next continues the search
	// after the last request looked at.
	SearchStopped bool `json:"search_stopped,omitempty"`
}

// Logs lists journaled requests, newest first, a page at a time. Paging is
// by (time, seq), so requests arriving meanwhile neither shift nor repeat
// the pages already read.
func (s *Service) Logs(ctx context.Context, f LogFilter) (LogPage, error) {
	q, err := s.logQuery(ctx, f)
	if err != nil {
		return LogPage{}, err
	}
	rs, stop, err := s.db.Search(ctx, q)
	if err != nil {
		return LogPage{}, fmt.Errorf("proxy: %w", err)
	}
	names := s.accountNames(ctx)
	p := LogPage{Entries: make([]LogEntry, len(rs))}
	for i, r := range rs {
		p.Entries[i] = LogEntry{Record: r, AccountName: nameOf(names, r.AccountID)}
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

func (s *Service) logQuery(ctx context.Context, f LogFilter) (journal.Query, error) {
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

// RequestDetail is one request in full, with its payload when one was
// captured and is still kept.
type RequestDetail struct {
	LogEntry
	Payload *PayloadView `json:"payload,omitempty"`
	// PayloadError says why a stored payload could not be read (its key
	// is gone from the keyring, or it was tampered with); the record
	// itself is still returned.
	PayloadError string `json:"payload_error,omitempty"`
}

// PayloadView is a captured payload, decrypted. Secrets were redacted
// before it was stored.
type PayloadView struct {
	Request           string `json:"request"`
	Response          string `json:"response"`
	RequestTruncated  bool   `json:"request_truncated"`
	ResponseTruncated bool   `json:"response_truncated"`
}

// Request returns one request in full; ErrNoSuchRequest when the journal
// does not hold it.
func (s *Service) Request(ctx context.Context, id string) (RequestDetail, error) {
	r, err := s.db.Record(ctx, id)
	if errors.Is(err, journal.ErrNotFound) {
		return RequestDetail{}, fmt.Errorf("proxy: request %q: %w", id, ErrNoSuchRequest)
	}
	if err != nil {
		return RequestDetail{}, fmt.Errorf("proxy: %w", err)
	}
	d := RequestDetail{LogEntry: LogEntry{Record: r, AccountName: nameOf(s.accountNames(ctx), r.AccountID)}}
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
	d.Payload = &PayloadView{Request: string(req), Response: string(resp),
		RequestTruncated: p.RequestTruncated, ResponseTruncated: p.ResponseTruncated}
	return d, nil
}

// UsageQuery selects usage for `sluice usage` and the window's Usage tab.
// It reads the daily rollups only: ranges are whole UTC days.
type UsageQuery struct {
	Since   time.Time `json:"since,omitzero"`
	Until   time.Time `json:"until,omitzero"`
	Account string    `json:"account,omitempty"` // name or id
	Model   string    `json:"model,omitempty"`
	Project string    `json:"project,omitempty"`
	Session string    `json:"session,omitempty"` // a client session id
	// By groups the rows: any of "day", "account", "model", "project",
	// "session", "key".
	By []string `json:"by,omitempty"`
}

// UsageRow is one group's usage, with the account's and client key's
// current names when grouped by them. Its WindowShare (the quota ledger)
// is the fraction of each window the group spent, summed over the
// requests whose limit headers said so: never for API-key accounts, whose
// limits are per-minute buckets, not windows.
type UsageRow struct {
	journal.UsageRow
	AccountName string `json:"account,omitempty"`
	KeyName     string `json:"key,omitempty"`
}

// UsageReport is usage by group plus the total over the range.
type UsageReport struct {
	Rows  []UsageRow     `json:"rows"`
	Total journal.Totals `json:"total"`
}

// Usage aggregates requests, errors, tokens by kind and cost over a range.
func (s *Service) Usage(ctx context.Context, q UsageQuery) (UsageReport, error) {
	jq := journal.UsageQuery{Since: q.Since, Until: q.Until, Model: q.Model, Project: q.Project, Session: q.Session, By: q.By}
	if q.Account != "" {
		id, err := s.accountID(ctx, q.Account)
		if err != nil {
			return UsageReport{}, err
		}
		jq.AccountID = id
	}
	rows, err := s.db.Usage(ctx, jq)
	if err != nil {
		return UsageReport{}, fmt.Errorf("proxy: %w", err)
	}
	names := s.accountNames(ctx)
	rep := UsageReport{Rows: make([]UsageRow, len(rows))}
	for i, r := range rows {
		rep.Rows[i] = UsageRow{UsageRow: r}
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
