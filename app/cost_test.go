package app

import (
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// A model without a price has an unknown cost, never $0 (issue 16): the
// Logs cell, the request pane and the Usage breakdown say "unpriced".
func TestUnpricedCostsAreNotShownAsZero(t *testing.T) {
	for _, tc := range []struct {
		micros   int64
		unpriced bool
		want     string
	}{
		{0, false, "$0.0000"},
		{12345, false, "$0.0123"},
		{0, true, "unpriced"},
		{12345, true, "$0.0123 + unpriced"},
	} {
		if got := cost(tc.micros, tc.unpriced); got != tc.want {
			t.Errorf("cost(%d, %v) = %q, want %q", tc.micros, tc.unpriced, got, tc.want)
		}
	}
	e := api.LogEntry{Record: journal.Record{Model: "claude-opus-9"}, Unpriced: true}
	if got := logCell(e, 5); got != "unpriced" {
		t.Errorf("Cost cell %q, want unpriced", got)
	}
	if d := logDetail(api.RequestDetail{LogEntry: e}); !strings.Contains(d, "unpriced") || strings.Contains(d, "$0.0000") {
		t.Errorf("request pane says %q", d)
	}
	rows := []api.UsageRow{{UsageRow: journal.UsageRow{Model: "claude-opus-9", Totals: journal.Totals{Requests: 2}}, Unpriced: true}}
	if got := breakdown(rows, func(r api.UsageRow) string { return r.Model }); !strings.Contains(got, "unpriced") || strings.Contains(got, "$0.0000") {
		t.Errorf("breakdown %q", got)
	}
}
