package app

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"image/color"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// usageRanges are the Usage tab's ranges and how many UTC days each
// shows, today included; 0 is the last 24 hours.
var usageRanges = []struct {
	label string
	days  int
}{
	{"24 hours", 0}, {"7 days", 7}, {"30 days", 30},
}

// rangeSince is where a range of days (see usageRanges) starts at now:
// "7 days" is today and the six UTC days before, seven columns, not the
// last 168 hours, which reach into an eighth day.
func rangeSince(days int, now time.Time) time.Time {
	if days <= 0 {
		return now.Add(-24 * time.Hour)
	}
	return utcDay(now).AddDate(0, 0, -(days - 1))
}

// dayUsage is one day's tokens, by account.
type dayUsage struct {
	day       time.Time // midnight UTC, as the rollups keep days
	byAccount map[string]int64
	total     int64
}

// usageByDay lays rollup rows grouped by day and account out as one entry
// per UTC day from since's to now's, days without requests included.
func usageByDay(rows []api.UsageRow, since, now time.Time) []dayUsage {
	first := utcDay(since)
	n := int(utcDay(now).Sub(first).Hours()/24) + 1
	out := make([]dayUsage, n)
	for i := range out {
		out[i] = dayUsage{day: first.AddDate(0, 0, i), byAccount: map[string]int64{}}
	}
	for _, r := range rows {
		i := int(utcDay(r.Day).Sub(first).Hours() / 24)
		if i < 0 || i >= n {
			continue
		}
		t := r.InputTokens + r.OutputTokens
		out[i].byAccount[r.AccountName] += t
		out[i].total += t
	}
	return out
}

func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// usageTab is the Usage tab: tokens per day stacked by account, drawn with
// canvas rectangles, the totals, and the breakdown by account and by
// model. It reads the journal's daily rollups, never the request log.
type usageTab struct {
	eng       Journal
	do        func(func())
	span      *widget.RadioGroup
	chart     *fyne.Container
	legend    *fyne.Container
	totals    *widget.Label
	byAccount *widget.Label
	byModel   *widget.Label
	shareBy   *widget.Select // the window share's grouping (usageshare.go)
	shares    *widget.Label
	note      *widget.Label
	// gen counts refreshes (UI goroutine only): a read that finishes after
	// a newer one started is dropped, so a slow 30-day read cannot replace
	// the 24 hours selected since.
	gen int
}

func newUsageTab(eng Journal, do func(func())) *usageTab {
	u := &usageTab{
		eng:       eng,
		do:        do,
		chart:     container.NewGridWithRows(1),
		legend:    container.NewHBox(),
		totals:    widget.NewLabel(""),
		byAccount: widget.NewLabel(""),
		byModel:   widget.NewLabel(""),
		note:      widget.NewLabel("Tokens per day (UTC days), from the journal's daily totals: they survive log clean-ups."),
	}
	u.totals.TextStyle.Bold = true
	u.byAccount.TextStyle.Monospace = true
	u.byModel.TextStyle.Monospace = true
	u.note.Importance = widget.LowImportance
	u.shares = widget.NewLabel("")
	u.shares.TextStyle.Monospace = true
	u.shareBy = widget.NewSelect(shareGroups, func(string) { u.refresh() })
	u.shareBy.Selected = shareGroups[0]
	var labels []string
	for _, r := range usageRanges {
		labels = append(labels, r.label)
	}
	u.span = widget.NewRadioGroup(labels, func(string) { u.refresh() })
	u.span.Horizontal = true
	u.span.Selected = usageRanges[1].label
	return u
}

func (u *usageTab) content() fyne.CanvasObject {
	breakdown := container.NewGridWithColumns(2,
		container.NewVBox(widget.NewLabelWithStyle("By account", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), u.byAccount),
		container.NewVBox(widget.NewLabelWithStyle("By model", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), u.byModel))
	shareNote := widget.NewLabel("Each group's use of each limit window, in percent of one window, summed over the range " +
		"(over 100 %: more than one window's worth), from the limit headers after its requests; " +
		"\"estimate\": split by tokens among requests that ran at once on one account.")
	shareNote.Importance = widget.LowImportance
	shareNote.Wrapping = fyne.TextWrapWord
	share := container.NewVBox(
		container.NewHBox(widget.NewLabelWithStyle("Share of the limit windows by", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), u.shareBy),
		u.shares, shareNote)
	// The chart and the legend scroll sideways when they are wider than
	// the window (30 days, many accounts) rather than widen it.
	return container.NewBorder(container.NewVBox(u.span, u.totals, container.NewHScroll(u.legend)),
		container.NewVBox(breakdown, share, u.note), nil, nil, container.NewHScroll(u.chart))
}

// usageData is what one refresh reads.
type usageData struct {
	since, now time.Time
	days       api.UsageReport // by day and account
	accounts   api.UsageReport
	models     api.UsageReport
	shares     api.UsageReport // grouped by shareBy
	shareBy    string
}

// refresh reads the selected range off the UI goroutine and shows it.
// UI goroutine only.
func (u *usageTab) refresh() {
	days := usageRanges[1].days
	for _, r := range usageRanges {
		if r.label == u.span.Selected {
			days = r.days
		}
	}
	by := cmp.Or(u.shareBy.Selected, shareGroups[0])
	u.gen++
	gen := u.gen
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		now := time.Now()
		d := usageData{since: rangeSince(days, now), now: now, shareBy: by}
		var err error
		if d.days, err = u.eng.Usage(ctx, api.UsageQuery{Since: d.since, By: []string{"day", "account"}}); err == nil {
			if d.accounts, err = u.eng.Usage(ctx, api.UsageQuery{Since: d.since, By: []string{"account"}}); err == nil {
				if d.models, err = u.eng.Usage(ctx, api.UsageQuery{Since: d.since, By: []string{"model"}}); err == nil {
					d.shares, err = u.eng.Usage(ctx, api.UsageQuery{Since: d.since, By: []string{by}})
				}
			}
		}
		u.do(func() {
			if gen == u.gen {
				u.show(d, err)
			}
		})
	}()
}

// palette colours accounts in the chart.
var palette = []color.Color{
	color.NRGBA{0x1a, 0x8f, 0x80, 0xff}, color.NRGBA{0xd9, 0x8c, 0x00, 0xff},
	color.NRGBA{0x5c, 0x6b, 0xc0, 0xff}, color.NRGBA{0xc6, 0x28, 0x28, 0xff},
	color.NRGBA{0x6d, 0x4c, 0x41, 0xff}, color.NRGBA{0x1e, 0x88, 0xe5, 0xff},
	color.NRGBA{0x8e, 0x24, 0xaa, 0xff}, color.NRGBA{0x9e, 0x9d, 0x24, 0xff},
}

// accountColours gives each account id its colour in the chart, from a
// hash of the id, so it stays when another account is added or renamed
// (by their order, every colour after a new one shifted). Two ids whose
// hash picks the same colour: the one whose hash is smaller keeps it and
// the other takes the next free one, so no two accounts share a colour
// while there are colours left.
func accountColours(ids []string) map[string]color.Color {
	slot := func(id string) uint32 {
		h := fnv.New32a()
		h.Write([]byte(id))
		return h.Sum32()
	}
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(slot(a), slot(b)), cmp.Compare(a, b)) })
	used := map[int]bool{}
	out := map[string]color.Color{}
	for _, id := range ids {
		i := int(slot(id) % uint32(len(palette)))
		for n := 0; used[i] && n < len(palette); n++ {
			i = (i + 1) % len(palette)
		}
		used[i] = true
		out[id] = palette[i]
	}
	return out
}

// show draws d. UI goroutine only.
func (u *usageTab) show(d usageData, err error) {
	if err != nil {
		u.totals.SetText("Usage could not be read: " + err.Error())
		return
	}
	days := usageByDay(d.days.Rows, d.since, d.now)
	var names []string
	seen := map[string]bool{}
	var peak int64
	for _, day := range days {
		peak = max(peak, day.total)
		for n, tok := range day.byAccount {
			// An account whose requests all failed has no tokens and no
			// bar: a legend entry for it would name nothing drawn.
			if tok > 0 && !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	ids := map[string]string{} // by name
	for _, r := range d.days.Rows {
		ids[r.AccountName] = r.AccountID
	}
	var idList []string
	for _, n := range names {
		idList = append(idList, ids[n])
	}
	byID := accountColours(idList)
	colours := map[string]color.Color{}
	u.legend.RemoveAll()
	for _, n := range names {
		colours[n] = byID[ids[n]]
		sw := canvas.NewRectangle(colours[n])
		sw.SetMinSize(fyne.NewSize(12, 12))
		u.legend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(orNone(n, "(no account)"))))
	}
	t := d.days.Total
	u.totals.SetText(fmt.Sprintf("%s tokens (%s in, %s out) in %d requests, %d failed  ·  %s estimated cost",
		tokens(t.InputTokens+t.OutputTokens), tokens(t.InputTokens), tokens(t.OutputTokens), t.Requests, t.Errors,
		cost(t.CostMicros, slices.ContainsFunc(d.models.Rows, func(r api.UsageRow) bool { return r.Unpriced }))))
	// A request no account served (all limited, all failed) has none; one the
	// upstream never named a model for has no model.
	u.byAccount.SetText(breakdown(d.accounts.Rows, func(r api.UsageRow) string { return orNone(r.AccountName, "(no account)") }))
	u.byModel.SetText(breakdown(d.models.Rows, func(r api.UsageRow) string { return orNone(r.Model, "(unknown)") }))
	u.shares.SetText(shareLines(d.shares.Rows, d.shareBy))
	u.chart.RemoveAll()
	for _, day := range days {
		u.chart.Add(dayColumn(day, names, colours, peak, len(days) <= 7))
	}
}

// orNone is s, or what stands for it when empty.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// breakdown lists rows biggest first: name, requests, tokens, cost.
func breakdown(rows []api.UsageRow, name func(api.UsageRow) string) string {
	if len(rows) == 0 {
		return "No requests in this range."
	}
	rows = slices.Clone(rows)
	sort.SliceStable(rows, func(i, j int) bool {
		return rows[i].InputTokens+rows[i].OutputTokens > rows[j].InputTokens+rows[j].OutputTokens
	})
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-22.22s %4d req %6s tok %s\n", name(r), r.Requests, tokens(r.InputTokens+r.OutputTokens), cost(r.CostMicros, r.Unpriced))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// dayColumn is one day's stacked bar with its total above and its date
// below.
func dayColumn(d dayUsage, names []string, colours map[string]color.Color, peak int64, labelled bool) fyne.CanvasObject {
	var parts []*canvas.Rectangle
	var fracs []float32
	for _, n := range names {
		if v := d.byAccount[n]; v > 0 && peak > 0 {
			parts = append(parts, canvas.NewRectangle(colours[n]))
			fracs = append(fracs, float32(v)/float32(peak))
		}
	}
	track := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	objs := []fyne.CanvasObject{track}
	for _, p := range parts {
		objs = append(objs, p)
	}
	bars := container.New(&stackLayout{fracs: fracs}, objs...)
	if !labelled { // 30 narrow columns: the totals above say it all
		return container.NewBorder(nil, widget.NewLabelWithStyle(d.day.Format("2"), fyne.TextAlignCenter, fyne.TextStyle{}), nil, nil, bars)
	}
	top := widget.NewLabelWithStyle(tokens(d.total), fyne.TextAlignCenter, fyne.TextStyle{})
	date := widget.NewLabelWithStyle(d.day.Format("Mon 2"), fyne.TextAlignCenter, fyne.TextStyle{})
	return container.NewBorder(top, date, nil, nil, bars)
}

// stackLayout stacks its objects after the first (a full-size track) from
// the bottom, each as tall as its fraction of the height, in a bar half as
// wide as the column.
type stackLayout struct{ fracs []float32 }

// Layout is the fyne.Layout method.
func (s *stackLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := size.Width / 2
	x := (size.Width - w) / 2
	objs[0].Resize(fyne.NewSize(w, size.Height))
	objs[0].Move(fyne.NewPos(x, 0))
	y := size.Height
	for i, o := range objs[1:] {
		h := size.Height * s.fracs[i]
		y -= h
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos(x, y))
	}
}

// MinSize is the fyne.Layout method.
func (s *stackLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(8, 120) }
