package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// slowLongUsage answers the 24-hour range at once and holds the longer
// ranges until release is closed: a slow 30-day read finishing after the
// user moved on to 24 hours.
type slowLongUsage struct {
	Journal // only Usage is called
	release chan struct{}
}

func (s *slowLongUsage) Usage(_ context.Context, q api.UsageQuery) (api.UsageReport, error) {
	var r api.UsageReport
	r.Total.Requests = 1
	if time.Since(q.Since) > 25*time.Hour {
		<-s.release
		r.Total.Requests = 30
	}
	return r, nil
}

// The tab shows the range selected last, whichever read finishes last.
func TestUsageShowsTheLastSelectedRange(t *testing.T) {
	test.NewTempApp(t)
	eng := &slowLongUsage{release: make(chan struct{})}
	ui := make(chan func(), 4) // this test's goroutine is the UI goroutine
	u := newUsageTab(eng, func(f func()) { ui <- f })

	u.span.Selected = "30 days"
	u.refresh() // held
	u.span.Selected = "24 hours"
	u.refresh()
	(<-ui)() // the 24-hour read
	if !strings.Contains(u.totals.Text, " 1 requests") {
		t.Fatalf("after 24 hours: %q", u.totals.Text)
	}
	close(eng.release)
	(<-ui)() // the stale 30-day read
	if !strings.Contains(u.totals.Text, " 1 requests") {
		t.Fatalf("a stale 30-day read replaced the 24-hour one: %q", u.totals.Text)
	}
}

// "7 days" draws seven day columns, today last, at any hour: the last 168
// hours would reach into an eighth UTC day shortly after midnight.
func TestUsageRangesDrawTheirNumberOfDays(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 11, 30, 0, 45, 0, 0, time.UTC),
		time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC),
	} {
		for _, r := range usageRanges[1:] {
			days := usageByDay(nil, rangeSince(r.days, now), now)
			if len(days) != r.days || !days[len(days)-1].day.Equal(utcDay(now)) {
				t.Errorf("%s at %s: %d columns ending %s", r.label, now.Format(time.Kitchen), len(days), days[len(days)-1].day.Format(time.DateOnly))
			}
		}
	}
}

// usageRows answers Usage with fixed rows by day and account.
type usageRows struct {
	Journal // only Usage is called
	rows    []api.UsageRow
}

func (u *usageRows) Usage(context.Context, api.UsageQuery) (api.UsageReport, error) {
	return api.UsageReport{Rows: u.rows}, nil
}

// The legend names the accounts drawn: requests that failed before any
// account served them have no tokens and no bar, so no legend entry.
func TestUsageLegendNamesOnlyWhatIsDrawn(t *testing.T) {
	test.NewTempApp(t)
	today := utcDay(time.Now())
	eng := &usageRows{rows: []api.UsageRow{
		{UsageRow: journal.UsageRow{Day: today, Totals: journal.Totals{Requests: 1, InputTokens: 30, OutputTokens: 5}}, AccountName: "work"},
		{UsageRow: journal.UsageRow{Day: today, Totals: journal.Totals{Requests: 2, Errors: 2}}},
	}}
	ui := make(chan func(), 1)
	u := newUsageTab(eng, func(f func()) { ui <- f })
	u.refresh()
	(<-ui)()
	var names []string
	for _, o := range u.legend.Objects {
		for _, c := range o.(*fyne.Container).Objects {
			if l, ok := c.(*widget.Label); ok {
				names = append(names, l.Text)
			}
		}
	}
	if !slices.Equal(names, []string{"work"}) {
		t.Errorf("legend %q, want [work]", names)
	}
}
