package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/usage"
)

// PricesFile is the name of the user's price overrides in the data dir.
const PricesFile = "prices.json"

// pricesReport is what `sluice prices --json` prints.
type pricesReport struct {
	// Rows are the price table, longest prefix first; prices are US
	// dollars per million tokens. Rows from the user's prices.json have
	// override set.
	Rows []usage.Row `json:"rows"`
	// Unpriced are the models journaled in the last 90 days that no row
	// prices: their cost shows as unpriced, and client key caps count
	// them at their family's highest price.
	Unpriced []unpricedModel `json:"unpriced"`
	// Overrides is the file user overrides are read from.
	Overrides string `json:"overrides"`
	// APIEquivalent is always true: costs are list prices, which on
	// subscription accounts is API-equivalent value, not a bill.
	APIEquivalent bool `json:"api_equivalent"`
}

type unpricedModel struct {
	Model    string `json:"model"`
	Requests int64  `json:"requests"`
}

func (e *env) pricesCmd() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "prices",
		Short: "Show the price table and the journaled models it does not price",
		Long: `Show the price table Sluice costs requests with (US dollars per million
tokens, by model id prefix, with the date each row was checked and its
source), and the models journaled in the last 90 days that it does not price.
Rows in prices.json in the data dir (same shape as --json's "rows") override
or extend the built-in table; they are marked "*". On subscription accounts
the costs are API-equivalent value: what the tokens would cost at list price.`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			path := filepath.Join(e.set.DataDir, PricesFile)
			tab, err := usage.Load(path)
			if err != nil {
				return err
			}
			rep := pricesReport{Rows: tab.Rows(), Overrides: path, APIEquivalent: true, Unpriced: []unpricedModel{}}
			ur, err := eng.Usage(ctx, api.UsageQuery{Since: time.Now().Add(-90 * 24 * time.Hour), By: []string{"model"}})
			if err != nil {
				return err
			}
			for _, r := range ur.Rows {
				if _, ok := tab.Lookup(r.Model); !ok && r.Model != "" {
					rep.Unpriced = append(rep.Unpriced, unpricedModel{r.Model, r.Requests})
				}
			}
			if jsonOut {
				return writeJSON(e.io.Out, rep)
			}
			printPrices(e.io.Out, rep)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	return cmd
}

func printPrices(w io.Writer, rep pricesReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL PREFIX\tPROMPT\tINPUT\tOUTPUT\tCACHE WRITE 5M\tCACHE WRITE 1H\tCACHE READ\tCHECKED\tSOURCE")
	line := func(prefix, prompt string, p usage.Price, checked, source string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", prefix, prompt, mtok(p.Input), mtok(p.Output),
			mtok(p.CacheWrite5m), mtok(p.CacheWrite1h), mtok(p.CacheRead), checked, source)
	}
	for _, r := range rep.Rows {
		name := r.Prefix
		if r.Override {
			name += " *"
		}
		line(name, "any", r.Price, r.Checked, r.Source)
		for _, t := range r.Tiers {
			line("", "> "+strconv.FormatInt(t.AbovePrompt/1000, 10)+"K", t.Price, "", "")
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nUS dollars per million tokens. * = override from", rep.Overrides)
	fmt.Fprintln(w, "On subscription accounts costs are API-equivalent value (list price), not a bill.")
	if len(rep.Unpriced) == 0 {
		fmt.Fprintln(w, "Every model journaled in the last 90 days has a price.")
		return
	}
	fmt.Fprintln(w, "\nJournaled in the last 90 days with no price (cost shown as unpriced; key caps count them at their family's highest price):")
	for _, u := range rep.Unpriced {
		fmt.Fprintf(w, "  %s\t%d requests\n", u.Model, u.Requests)
	}
}

// mtok formats a price per million tokens.
func mtok(v float64) string {
	return "$" + strconv.FormatFloat(v, 'f', -1, 64)
}

// costText formats a journaled cost with format (e.g. "%.4f"), or
// "unpriced" when the model has no price: its cost is unknown, never $0.
func costText(micros int64, unpriced bool, format string) string {
	return unpricedOr(unpriced, "$"+fmt.Sprintf(format, float64(micros)/1e6))
}

func unpricedOr(unpriced bool, s string) string {
	if unpriced {
		return "unpriced"
	}
	return s
}
