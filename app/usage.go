package app

import (
	"fmt"
	"image/color"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
)

// usageDays is how many days the Usage chart covers.
const usageDays = 7

// dayUsage is one day's tokens, by account.
type dayUsage struct {
	day       time.Time
	byAccount map[string]int64
	total     int64
}

// usageByDay sums tokens per local day and account over the last days.
// It reads the requests the Logs tab holds, a bounded number: once the
// journal keeps rollups (issue 9), this is the function to point at them.
func usageByDay(rows []proxy.RequestView, now time.Time, days int) []dayUsage {
	y, m, d := now.Local().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.Local)
	out := make([]dayUsage, days)
	for i := range out {
		out[i] = dayUsage{day: today.AddDate(0, 0, i-days+1), byAccount: map[string]int64{}}
	}
	for _, r := range rows {
		t := r.Time.Local()
		i := days - 1 - int(today.Sub(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.Local)).Hours()/24)
		if i < 0 || i >= days {
			continue
		}
		n := r.InputTokens + r.OutputTokens
		out[i].byAccount[r.Account] += n
		out[i].total += n
	}
	return out
}

// usageTab is the Usage tab: a bar per day, stacked by account, drawn with
// canvas rectangles, and the totals.
type usageTab struct {
	chart  *fyne.Container
	legend *fyne.Container
	totals *widget.Label
	note   *widget.Label
}

func newUsageTab() *usageTab {
	u := &usageTab{
		chart:  container.NewGridWithColumns(usageDays),
		legend: container.NewHBox(),
		totals: widget.NewLabel(""),
		note:   widget.NewLabel("Tokens per day over the last 7 days, from the latest 1,000 requests."),
	}
	u.note.Importance = widget.LowImportance
	return u
}

func (u *usageTab) content() fyne.CanvasObject {
	return container.NewBorder(container.NewVBox(u.totals, u.legend), u.note, nil, nil, u.chart)
}

// palette colours accounts in the chart, in order of first appearance.
var palette = []color.Color{
	color.NRGBA{0x1a, 0x8f, 0x80, 0xff}, color.NRGBA{0xd9, 0x8c, 0x00, 0xff},
	color.NRGBA{0x5c, 0x6b, 0xc0, 0xff}, color.NRGBA{0xc6, 0x28, 0x28, 0xff},
	color.NRGBA{0x6d, 0x4c, 0x41, 0xff}, color.NRGBA{0x00, 0x83, 0x8f, 0xff},
}

// show draws the chart for rows. UI goroutine only.
func (u *usageTab) show(rows []proxy.RequestView, err error, now time.Time) {
	if err != nil {
		u.totals.SetText("Usage could not be read: " + err.Error())
		return
	}
	days := usageByDay(rows, now, usageDays)
	var names []string
	seen := map[string]bool{}
	var peak, total int64
	for _, d := range days {
		peak = max(peak, d.total)
		total += d.total
		for n := range d.byAccount {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	colours := map[string]color.Color{}
	u.legend.RemoveAll()
	for i, n := range names {
		colours[n] = palette[i%len(palette)]
		sw := canvas.NewRectangle(colours[n])
		sw.SetMinSize(fyne.NewSize(12, 12))
		label := n
		if label == "" {
			label = "no account"
		}
		u.legend.Add(container.NewHBox(container.NewCenter(sw), widget.NewLabel(label)))
	}
	u.totals.SetText(fmt.Sprintf("%s tokens in %d requests over 7 days", tokens(total), countSince(rows, days[0].day)))
	u.chart.RemoveAll()
	for _, d := range days {
		u.chart.Add(dayColumn(d, names, colours, peak))
	}
}

func countSince(rows []proxy.RequestView, since time.Time) int {
	n := 0
	for _, r := range rows {
		if !r.Time.Before(since) {
			n++
		}
	}
	return n
}

// dayColumn is one day's stacked bar with its total above and its date
// below.
func dayColumn(d dayUsage, names []string, colours map[string]color.Color, peak int64) fyne.CanvasObject {
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
func (s *stackLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(40, 120) }
