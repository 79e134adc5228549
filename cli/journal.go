package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
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
	return fmt.Sprintf("requests %s, payloads %s, database cap %s", ageText(s.RequestMaxAge), ageText(s.PayloadMaxAge), capText(s.MaxDBBytes))
}

func ageText(d time.Duration) string {
	if d < 0 {
		return "forever"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

func capText(n int64) string {
	if n < 0 {
		return "none"
	}
	return bytesText(n)
}

// settingsKeys are the journal settings `sluice settings set` changes.
var settingsKeys = []struct {
	key, help string
	set       func(*api.Settings, string) error
}{
	{"capture", "store request and response bodies, redacted and encrypted: on or off", func(s *api.Settings, v string) (err error) {
		s.Capture, err = parseBool(v)
		return err
	}},
	{"capture-max", "cap on each captured body, e.g. 256KB or 1MB", func(s *api.Settings, v string) error {
		n, err := parseSize(v)
		if err != nil || n <= 0 {
			return errors.New("want a size like 256KB or 1MB")
		}
		s.CaptureMaxBytes = int(n)
		return nil
	}},
	{"request-retention", "how long request records are kept, e.g. 30d, or forever", func(s *api.Settings, v string) (err error) {
		s.RequestMaxAge, err = parseRetention(v)
		return err
	}},
	{"payload-retention", "how long captured payloads are kept, e.g. 7d, or forever", func(s *api.Settings, v string) (err error) {
		s.PayloadMaxAge, err = parseRetention(v)
		return err
	}},
	{"quota-warnings", "warn when a window reaches these percents (and when its pace runs it out early): e.g. 75,90, or off", func(s *api.Settings, v string) error {
		if _, err := proxy.ParseQuotaWarnings(v); err != nil {
			return err
		}
		s.QuotaWarnings = v
		return nil
	}},
	{"max-db-size", "the database size cap, e.g. 500MB or 2GB, or none", func(s *api.Settings, v string) error {
		if v == "none" || v == "off" {
			s.MaxDBBytes = -1
			return nil
		}
		n, err := parseSize(v)
		if err != nil || n <= 0 {
			return errors.New("want a size like 500MB, or none")
		}
		s.MaxDBBytes = n
		return nil
	}},
}

func (e *env) settingsCmd() *cobra.Command {
	var jsonOut bool
	var keys []string
	for _, k := range proxySettingKeys {
		keys = append(keys, fmt.Sprintf("  %-18s %s", k.key, k.help))
	}
	for _, k := range settingsKeys {
		keys = append(keys, fmt.Sprintf("  %-18s %s", k.key, k.help))
	}
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show the settings (strategy, retries, origins, capture, retention)",
		Long: `Show the settings kept in the database (the window edits the same
ones); they apply without a restart. A proxy setting given as a SLUICE_*
variable or a flag to the running Sluice is fixed there and shown so.
Change one with 'sluice settings set KEY VALUE':

` + strings.Join(keys, "\n"),
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			st, err := eng.Settings(ctx)
			if err != nil {
				return err
			}
			ps, err := eng.ProxySettings(ctx)
			if err != nil {
				return err
			}
			if jsonOut {
				return writeJSON(e.io.Out, allSettings{st, ps})
			}
			printProxySettings(e.io.Out, ps)
			printSettings(e.io.Out, st)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change one setting (see `sluice settings --help` for the keys)",
		Args:  exactArgs("KEY", "VALUE"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			if i := proxySettingKey(args[0]); i >= 0 {
				return setProxySetting(ctx, e.io.Out, eng, i, strings.TrimSpace(args[1]))
			}
			i := -1
			for j, k := range settingsKeys {
				if k.key == args[0] {
					i = j
				}
			}
			if i < 0 {
				return usagef("no setting %q: want one of %s", args[0], settingNames())
			}
			st, err := eng.Settings(ctx)
			if err != nil {
				return err
			}
			if err := settingsKeys[i].set(&st, strings.TrimSpace(args[1])); err != nil {
				return usagef("%s %q: %v", args[0], args[1], err)
			}
			st, err = eng.UpdateSettings(ctx, st)
			if err != nil {
				return err
			}
			printSettings(e.io.Out, st)
			return nil
		}),
	})
	return cmd
}

func settingNames() string {
	var n []string
	for _, k := range proxySettingKeys {
		n = append(n, k.key)
	}
	for _, k := range settingsKeys {
		n = append(n, k.key)
	}
	return strings.Join(n, ", ")
}

func printSettings(w io.Writer, s api.Settings) {
	capture := "off"
	if s.Capture {
		capture = "on"
	}
	fmt.Fprintf(w, "capture             %s\n", capture)
	fmt.Fprintf(w, "capture-max         %s\n", bytesText(int64(s.CaptureMaxBytes)))
	fmt.Fprintf(w, "request-retention   %s\n", ageText(s.RequestMaxAge))
	fmt.Fprintf(w, "payload-retention   %s\n", ageText(s.PayloadMaxAge))
	fmt.Fprintf(w, "max-db-size         %s\n", capText(s.MaxDBBytes))
	fmt.Fprintf(w, "quota-warnings      %s\n", cmp.Or(s.QuotaWarnings, api.DefaultQuotaWarnings))
}

// parseRetention reads a max age: "30d", "12h", or "forever" (negative).
func parseRetention(v string) (time.Duration, error) {
	if v == "forever" || v == "none" {
		return -1, nil
	}
	d, err := parseAge(v)
	if err != nil || d == 0 {
		return 0, errors.New("want a period like 30d or 12h, or forever")
	}
	return d, nil
}

// parseSize reads "512", "256KB", "1.5MB", "2GB" (binary units).
func parseSize(v string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, s := range []struct {
		suffix string
		m      int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(u, s.suffix); ok {
			u, mult = strings.TrimSpace(n), s.m
			break
		}
	}
	f, err := strconv.ParseFloat(u, 64)
	if err != nil || f < 0 {
		return 0, errors.New("not a size")
	}
	return int64(f * float64(mult)), nil
}
