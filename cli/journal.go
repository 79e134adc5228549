package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
)

func (e *env) auditCmd() *cobra.Command {
	var (
		f       api.AuditFilter
		jsonOut bool
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Who changed what: accounts, sign-ins, client keys, settings, refused clients",
		Args:  noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			if f.Limit < 0 {
				return usagef("--limit must not be negative")
			}
			p, err := eng.Audit(ctx, f)
			if err != nil {
				return err
			}
			if jsonOut {
				if p.Entries == nil {
					return writeJSON(e.io.Out, []any{})
				}
				return writeJSON(e.io.Out, p.Entries)
			}
			if len(p.Entries) == 0 {
				fmt.Fprintln(e.io.Out, "The audit log is empty.")
				return nil
			}
			tw := tabwriter.NewWriter(e.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tKIND\tSUBJECT\tCOUNT\tDETAIL")
			for _, a := range p.Entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", a.Last.Local().Format(time.DateTime), term(a.Kind), term(orDash(a.Subject)), a.N, term(a.Detail))
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "how many entries")
	cmd.Flags().StringVar(&f.Kind, "kind", "", `only this kind, or a prefix ending in "." (account., clientkey.)`)
	return cmd
}

func (e *env) doctorCmd() *cobra.Command {
	var compact, jsonOut bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the database and the keyring; --compact gives free space back",
		Long: `Check the database (integrity_check, quick_check), report its size, row
counts, records dropped since start and the retention settings, and check
that each account's credential can be read from the keyring (no secret is
printed). Exits 1 when a check fails. --compact rebuilds the file first.`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			rep, err := eng.Doctor(ctx, compact)
			if err != nil {
				return err
			}
			if jsonOut {
				if err := writeJSON(e.io.Out, rep); err != nil {
					return err
				}
			} else {
				printDoctor(e.io.Out, rep)
			}
			if !rep.OK {
				return errSilent
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&compact, "compact", false, "rebuild the database file (VACUUM) to give free space back")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func printDoctor(w io.Writer, r proxy.DoctorReport) {
	ok := func(b bool) string {
		if b {
			return "ok"
		}
		return "FAILED"
	}
	fmt.Fprintf(w, "Database:        %s\n", r.Files.Path)
	fmt.Fprintf(w, "Integrity check: %s\n", r.Health.Integrity)
	fmt.Fprintf(w, "Quick check:     %s\n", r.Health.QuickCheck)
	fmt.Fprintf(w, "Size:            %s (+ %s WAL)\n", bytesText(r.Files.DBBytes), bytesText(r.Files.WALBytes))
	if r.Compact != nil {
		fmt.Fprintf(w, "Compacted:       %s -> %s\n", bytesText(r.Compact.BytesBefore), bytesText(r.Compact.BytesAfter))
	}
	tables := make([]string, 0, len(r.Health.Rows))
	for t := range r.Health.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	var rows []string
	for _, t := range tables {
		rows = append(rows, fmt.Sprintf("%s %d", t, r.Health.Rows[t]))
	}
	fmt.Fprintf(w, "Rows:            %s\n", strings.Join(rows, ", "))
	fmt.Fprintf(w, "Dropped:         %d record(s), %d payload(s) since start\n", r.Dropped, r.DroppedPayloads)
	fmt.Fprintf(w, "Retention:       %s\n", retentionText(r.Settings))
	for _, k := range r.Keyring {
		line := fmt.Sprintf("Keyring %s: %s", k.Account, ok(k.OK))
		if k.Error != "" {
			line += " (" + k.Error + ")"
		}
		fmt.Fprintln(w, line)
	}
	for _, u := range r.UsageReads {
		fmt.Fprintf(w, "Usage reads %s: %d in the last hour (at most 20)\n", u.Account, u.LastHour)
	}
	if r.OK {
		fmt.Fprintln(w, "All checks passed.")
	} else {
		fmt.Fprintln(w, "Some checks FAILED (see above).")
	}
}

func retentionText(s api.Settings) string {
	return fmt.Sprintf("requests %s, payloads %s, database cap %s", api.AgeText(s.RequestMaxAge), api.AgeText(s.PayloadMaxAge), capText(s.MaxDBBytes))
}

func capText(n int64) string {
	if n < 0 {
		return "none"
	}
	return bytesText(n)
}
