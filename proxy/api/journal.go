package api

import (
	"errors"
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

// LogEntry is one request as listed, with its account's current name
// (empty when no account served it; the id when the account is gone).
type LogEntry struct {
	journal.Record
	AccountName string `json:"account,omitempty"`
	// Unpriced: the model has no price, so cost_micros is unknown, not 0.
	// Costs are API-equivalent value on subscription accounts.
	Unpriced bool `json:"unpriced,omitempty"`
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
	// Unpriced: the row's model has no price; its cost is unknown, not 0.
	Unpriced bool `json:"unpriced,omitempty"`
}

// UsageReport is usage by group plus the total over the range.
type UsageReport struct {
	Rows  []UsageRow     `json:"rows"`
	Total journal.Totals `json:"total"`
}

// CleanupOptions are `sluice logs cleanup`'s: delete now, beyond the
// settings.
type CleanupOptions struct {
	// OlderThan deletes records (or only payloads) older than this; zero
	// deletes them all. Negative applies just the retention settings.
	OlderThan time.Duration `json:"older_than_ns"`
	// PayloadsOnly keeps the records and deletes only their payloads.
	PayloadsOnly bool `json:"payloads_only"`
}

// CleanupResult says what a cleanup freed.
type CleanupResult struct {
	Records     int64 `json:"records"`  // request records deleted
	Payloads    int64 `json:"payloads"` // payloads deleted (with or without their record)
	Audit       int64 `json:"audit"`    // audit entries deleted
	BytesBefore int64 `json:"bytes_before"`
	BytesAfter  int64 `json:"bytes_after"` // database plus WAL, after compaction
	Freed       int64 `json:"freed"`       // BytesBefore - BytesAfter, at least 0
}

// AuditFilter selects audit entries for `sluice audit` and the window.
type AuditFilter struct {
	Since time.Time `json:"since,omitzero"`
	// Kind is an exact kind, or a prefix ending in "." ("account.").
	Kind string `json:"kind,omitempty"`
	// Cursor continues a listing: AuditPage.Next of the previous page.
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"` // 0 means 100
}

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Entries []journal.AuditEntry `json:"entries"`
	Next    string               `json:"next,omitempty"` // cursor of the next page; empty at the end
}

// Settings are the journal's user settings, kept in the database so the
// window and the CLI edit the same values and they survive a restart.
type Settings struct {
	// RequestMaxAge is how long request records are kept; negative keeps
	// them forever. Default: Config.Retention (30 days). Audit entries are
	// kept as long, but at least AuditMinAge (90 days).
	RequestMaxAge time.Duration `json:"request_max_age_ns"`
	// PayloadMaxAge is how long captured payloads are kept; negative keeps
	// them as long as their record. Default 7 days.
	PayloadMaxAge time.Duration `json:"payload_max_age_ns"`
	// MaxDBBytes caps the database: the oldest payloads, then the oldest
	// records, go when it is exceeded. Negative: no cap. Default 500 MB.
	MaxDBBytes int64 `json:"max_db_bytes"`
	// Capture stores request and response bodies, redacted and encrypted.
	// Off by default: prompts are private and large.
	Capture bool `json:"capture"`
	// CaptureMaxBytes caps each captured body (default 256 KB); longer ones
	// are cut and marked truncated.
	CaptureMaxBytes int `json:"capture_max_bytes"`
	// QuotaWarnings are the window thresholds that raise a warning, in
	// percent ("75,90"), or "off" (also turns off the pace warning); ""
	// is DefaultQuotaWarnings.
	QuotaWarnings string `json:"quota_warnings,omitempty"`
}
