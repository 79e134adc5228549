package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// followInterval is how often `sluice logs --follow` asks for new records.
const followInterval = time.Second

func (e *env) logsCmd() *cobra.Command {
	var (
		f       api.LogFilter
		since   string
		jsonOut bool
		follow  bool
	)
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "List the requests Sluice served, newest first",
		Long: `List journaled requests, newest first. Filters combine.

With --follow, keep printing new requests as they are journaled (oldest
first) until interrupted; with --json each one is a JSON line.`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			if since != "" {
				d, err := api.ParseAge(since)
				if err != nil {
					return usagef("--since %q: %v", since, err)
				}
				f.Since = time.Now().Add(-d)
			}
			if f.Limit < 0 {
				return usagef("--limit must not be negative")
			}
			switch f.Status { // the engine's classes; a typo is a bad command line (exit 2)
			case "", "2xx", "2", "3xx", "3", "4xx", "4", "5xx", "5":
			default:
				return usagef("--status %q: want 2xx, 3xx, 4xx or 5xx", f.Status)
			}
			if f.ClientKey != "" {
				ks, err := eng.Keys(ctx)
				if err != nil {
					return err
				}
				for _, k := range ks {
					if k.Name == f.ClientKey && !k.Revoked {
						f.ClientKey = k.ID // the journal records the key's id
					}
				}
			}
			p, err := eng.Logs(ctx, f)
			if err != nil {
				return err
			}
			if follow {
				return e.follow(ctx, eng, f, p, jsonOut)
			}
			if jsonOut {
				return writeJSON(e.io.Out, p.Entries)
			}
			if len(p.Entries) == 0 {
				fmt.Fprintln(e.io.Out, "No requests match.")
				return nil
			}
			printLogs(e.io.Out, p.Entries, true)
			if p.Next != "" {
				fmt.Fprintf(e.io.Out, "(more: raise --limit, or narrow with --since or a filter)\n")
			}
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.BoolVar(&jsonOut, "json", false, "print JSON")
	fs.IntVar(&f.Limit, "limit", 50, "how many requests (at most 1000)")
	fs.StringVar(&f.Account, "account", "", "only this account (name or id)")
	fs.StringVar(&f.Model, "model", "", "only this model")
	fs.StringVar(&f.Status, "status", "", "only this status class: 2xx, 4xx or 5xx")
	fs.StringVar(&since, "since", "", "only the last period, e.g. 2h or 7d")
	fs.StringVar(&f.Project, "project", "", "only this project (the X-Sluice-Project tag)")
	fs.StringVar(&f.Session, "session", "", "only this client session")
	fs.StringVar(&f.ClientKey, "key", "", "only this client key (its name, or its id from 'sluice keys list --json')")
	fs.BoolVarP(&follow, "follow", "f", false, "keep printing new requests until interrupted")
	cmd.AddCommand(e.logsShowCmd(), e.logsCleanupCmd())
	return cmd
}

// follow prints the first page oldest first, then polls for newer records
// until ctx ends.
func (e *env) follow(ctx context.Context, eng Engine, f api.LogFilter, p api.LogPage, jsonOut bool) error {
	show := func(es []api.LogEntry) {
		es = slices.Clone(es)
		slices.Reverse(es)
		if jsonOut {
			for _, en := range es {
				_ = writeJSONLine(e.io.Out, en)
			}
			return
		}
		printLogs(e.io.Out, es, false)
	}
	show(p.Entries)
	last := p.LastSeq
	f.Cursor = ""
	f.Limit = 1000 // a poll must not drop a burst: take a whole page
	t := time.NewTicker(followInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		f.WrittenAfter = last
		p, err := eng.Logs(ctx, f)
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(p.Entries) > 0 {
			show(p.Entries)
			last = max(last, p.LastSeq)
		}
	}
}

func printLogs(w io.Writer, es []api.LogEntry, header bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if header {
		fmt.Fprintln(tw, "TIME\tID\tACCOUNT\tMODEL\tSTATUS\tIN/OUT TOKENS\tCOST\tDURATION\tERROR")
	}
	for _, en := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d/%d\t%s\t%s\t%s\n",
			en.Time.Local().Format(time.DateTime), term(en.ID), term(orDash(en.AccountName)), term(orDash(en.Model)), en.Status,
			en.InputTokens, en.OutputTokens, costText(en.CostMicros, en.Unpriced, "%.4f"), en.Duration.Round(time.Millisecond), term(string(en.Error)))
	}
	_ = tw.Flush()
}

func (e *env) logsShowCmd() *cobra.Command {
	var payload, jsonOut bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one request in full (with --payload, its captured bodies)",
		Args:  exactArgs("ID"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			d, err := eng.Request(ctx, args[0])
			if errors.Is(err, api.ErrNoSuchRequest) {
				return fmt.Errorf("no request %q in the journal (it may have been cleaned up): see `sluice logs`", args[0])
			}
			if err != nil {
				return err
			}
			if !payload {
				d.Payload = nil
			}
			if jsonOut {
				return writeJSON(e.io.Out, d)
			}
			printRequest(e.io.Out, d, keyLabel(ctx, eng, d.ClientKeyID), payload)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&payload, "payload", false, "include the captured request and response bodies")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

// keyLabel names a client key by the name `sluice keys list` shows, with
// its id (what the journal records and `logs --key` also takes); the bare
// id when the key is gone or the keys cannot be read.
func keyLabel(ctx context.Context, eng Engine, id string) string {
	if id == "" {
		return ""
	}
	ks, err := eng.Keys(ctx)
	if err != nil {
		return id
	}
	for _, k := range ks {
		if k.ID == id {
			return k.Name + " (" + id + ")"
		}
	}
	return id
}

func printRequest(w io.Writer, d api.RequestDetail, key string, payload bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k string, v any) {
		if s := fmt.Sprint(v); s != "" && s != "0" && s != "0s" {
			fmt.Fprintf(tw, "%s:\t%s\n", k, term(s))
		}
	}
	row("ID", d.ID)
	row("Time", d.Time.Local().Format(time.RFC3339))
	row("Request", d.Method+" "+d.Path)
	row("Status", d.Status)
	row("Account", d.AccountName)
	row("Model", d.Model)
	row("Model asked", d.ModelAsked) // a compatible upstream's map sent Model instead
	row("Stream", strconv.FormatBool(d.Stream))
	row("Attempts", d.Attempts)
	row("Failovers", d.Failovers)
	row("Duration", d.Duration.Round(time.Millisecond))
	row("First byte", d.FirstByte.Round(time.Millisecond))
	row("Input tokens", d.InputTokens)
	row("Output tokens", d.OutputTokens)
	row("Cache read", d.CacheRead)
	row("Cache write", d.CacheCreate)
	row("Cost", costText(d.CostMicros, d.Unpriced, "%.6f"))
	row("Ended", d.EndReason)
	row("Lane", d.Lane)
	row("Error", d.Error)
	row("Session", d.Session)
	row("Project", d.Project)
	row("Client key", key)
	row("User agent", d.UserAgent)
	row("Upstream id", d.RequestID)
	_ = tw.Flush()
	switch {
	case !payload:
		if d.HasPayload {
			fmt.Fprintln(w, "A payload was captured: add --payload to see it.")
		}
	case d.PayloadError != "":
		fmt.Fprintf(w, "\nThe captured payload could not be read: %s\n", term(d.PayloadError))
	case d.Payload == nil:
		fmt.Fprintln(w, "\nNo payload was captured for this request (turn capture on with `sluice settings set capture on`).")
	default:
		cut := func(b bool) string {
			if b {
				return " (truncated)"
			}
			return ""
		}
		fmt.Fprintf(w, "\n--- request body%s ---\n%s\n", cut(d.Payload.RequestTruncated), termText(d.Payload.Request))
		fmt.Fprintf(w, "--- response body%s ---\n%s\n", cut(d.Payload.ResponseTruncated), termText(d.Payload.Response))
	}
}

func (e *env) logsCleanupCmd() *cobra.Command {
	var olderThan string
	var payloadsOnly, jsonOut bool
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Delete old requests (or only their payloads) now and compact the database",
		Long: `Delete request records older than --older-than (or, with --payloads-only,
only their captured payloads), apply the retention settings, and compact
the database. Usage totals (sluice usage) are kept: they live in daily
rollups that outlive the records. The audit log is not cleaned up here:
it keeps its entries as long as the request retention setting says, and
at least 90 days. --older-than 0s deletes every record.`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			o := api.CleanupOptions{OlderThan: -1}
			if olderThan != "" {
				d, err := api.ParseAge(olderThan)
				if err != nil {
					return usagef("--older-than %q: %v", olderThan, err)
				}
				o.OlderThan = d
			}
			o.PayloadsOnly = payloadsOnly
			res, err := eng.Cleanup(ctx, o)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(e.io.Out, res)
			}
			fmt.Fprintf(e.io.Out, "Deleted %d request record(s), %d payload(s) and %d audit entry(ies); freed %s (database now %s).\n",
				res.Records, res.Payloads, res.Audit, bytesText(res.Freed), bytesText(res.BytesAfter))
			return nil
		}),
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "delete what is older than this, e.g. 30d, 12h or 0s (default: the retention settings)")
	cmd.Flags().BoolVar(&payloadsOnly, "payloads-only", false, "keep the records, delete only their captured payloads")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func (e *env) usageCmd() *cobra.Command {
	var (
		q       api.UsageQuery
		since   string
		by      string
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Tokens, requests, errors, cost and window share by account, model, day, project, session or key",
		Long: `Sum tokens, requests, errors and estimated cost from the daily rollups
(whole UTC days). Totals outlive the request records: a cleanup keeps them.

WINDOW SHARE is the part of each subscription window (5h, 7d, ...) the group
spent, from the change in the limit headers after each request (the quota
ledger; see README). It is shown only where headers were seen: API-key
accounts have per-minute buckets, not windows, and get no share ("-").
"(estimate)" marks shares divided among concurrent requests by their tokens.`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			d, err := api.ParseAge(since)
			if err != nil {
				return usagef("--since %q: %v", since, err)
			}
			q.Since = time.Now().Add(-d)
			q.By = nil
			for _, b := range strings.Split(by, ",") {
				if b = strings.TrimSpace(b); b == "" {
					continue
				}
				if !slices.Contains([]string{"account", "model", "day", "project", "session", "key"}, b) {
					return usagef("--by %q: want account, model, day, project, session or key", b)
				}
				q.By = append(q.By, b)
			}
			rep, err := eng.Usage(ctx, q)
			if err != nil {
				return err
			}
			if jsonOut {
				if rep.Rows == nil {
					rep.Rows = []api.UsageRow{}
				}
				return writeJSON(e.io.Out, rep)
			}
			printUsage(e.io.Out, rep, q.By)
			return nil
		}),
	}
	fs := cmd.Flags()
	fs.BoolVar(&jsonOut, "json", false, "print JSON")
	fs.StringVar(&since, "since", "7d", "the last period, e.g. 7d or 24h")
	fs.StringVar(&by, "by", "account", "group by account, model, day, project, session or key (comma-separated for several)")
	fs.StringVar(&q.Account, "account", "", "only this account")
	fs.StringVar(&q.Model, "model", "", "only this model")
	fs.StringVar(&q.Project, "project", "", "only this project")
	fs.StringVar(&q.Session, "session", "", "only this client session")
	return cmd
}

func printUsage(w io.Writer, rep api.UsageReport, by []string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := make([]string, 0, len(by)+7)
	for _, b := range by {
		head = append(head, strings.ToUpper(b))
	}
	fmt.Fprintln(tw, strings.Join(append(head, "REQUESTS", "ERRORS", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "COST", "WINDOW SHARE"), "\t"))
	line := func(cols []string, t api.UsageRow) {
		fmt.Fprintf(tw, "%s%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", strings.Join(cols, ""), t.Requests, t.Errors,
			t.InputTokens, t.OutputTokens, t.CacheRead, t.CacheCreate, unpricedOr(t.Unpriced, dollars(t.CostMicros)),
			shareText(t.WindowShare, t.ShareEstimate))
	}
	for _, r := range rep.Rows {
		var cols []string
		for _, b := range by {
			v := ""
			switch b {
			case "account":
				v = r.AccountName
			case "model":
				v = r.Model
			case "day":
				v = r.Day.Format(time.DateOnly)
			case "project":
				v = r.Project
			case "session":
				v = r.Session
			case "key":
				v = r.KeyName
			}
			cols = append(cols, term(orDash(v))+"\t")
		}
		line(cols, r)
	}
	total := make([]string, len(by))
	for i := range total {
		total[i] = "\t"
	}
	if len(by) > 0 {
		total[0] = "TOTAL\t"
	}
	line(total, api.UsageRow{UsageRow: journal.UsageRow{Totals: rep.Total}})
	_ = tw.Flush()
	fmt.Fprintln(w, "Costs are list prices (sluice prices); on subscription accounts they are API-equivalent value, not a bill.")
}

// bytesText is e.g. "12.3 MB".
func bytesText(n int64) string {
	const unit = 1 << 10
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}
