package app

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy"
)

// logColumns are the Logs table's columns and their widths.
var logColumns = []struct {
	title string
	width float32
}{
	{"Time", 80}, {"Account", 120}, {"Model", 190}, {"Status", 60},
	{"Tokens in/out", 120}, {"Cost", 80}, {"Latency", 80}, {"TTFB", 80},
}

// logsTab is the Logs tab: the latest requests in a table, newest first,
// with a text filter. The rows are a slice it owns (widget.Table has no
// data binding); the table is refreshed once per batch.
type logsTab struct {
	all    []proxy.RequestView
	rows   []proxy.RequestView // all, filtered
	filter *widget.Entry
	note   *widget.Label // empty or failed log
	table  *widget.Table
	detail *widget.Label // the selected request in full
}

func newLogsTab() *logsTab {
	l := &logsTab{filter: widget.NewEntry(), note: widget.NewLabel("No requests yet. Point a client at Sluice and they appear here.")}
	l.filter.SetPlaceHolder("Filter by account, model, status or error")
	l.filter.OnChanged = func(string) { l.apply() }
	l.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(l.rows), len(logColumns) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			if id.Row < len(l.rows) {
				o.(*widget.Label).SetText(logCell(l.rows[id.Row], id.Col))
			}
		})
	l.table.ShowHeaderColumn = false
	l.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		lb := o.(*widget.Label)
		lb.TextStyle.Bold = true
		lb.SetText(logColumns[id.Col].title)
	}
	for i, c := range logColumns {
		l.table.SetColumnWidth(i, c.width)
	}
	l.detail = widget.NewLabel("")
	l.detail.Wrapping = fyne.TextWrapWord
	l.detail.Selectable = true
	l.detail.Hide()
	l.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(l.rows) {
			l.detail.SetText(logDetail(l.rows[id.Row]))
			l.detail.Show()
		}
	}
	return l
}

func (l *logsTab) content() fyne.CanvasObject {
	return container.NewBorder(container.NewVBox(l.filter, l.note), l.detail, nil, nil, l.table)
}

// logDetail is one request in full, for the pane under the table. The
// journal keeps no headers or payloads, so there is nothing to redact.
func logDetail(r proxy.RequestView) string {
	s := fmt.Sprintf("%s  %s %s  ·  account %s  ·  model %s  ·  status %d\n%d input and %d output tokens  ·  %s  ·  %s, first byte after %s",
		r.Time.Local().Format("2006-01-02 15:04:05"), r.Method, r.Path, logCell(r, 1), r.Model, r.Status,
		r.InputTokens, r.OutputTokens, dollars(r.CostMicros), millis(r.Duration), millis(r.FirstByte))
	if r.Error != "" {
		s += "\n" + r.Error
	}
	return s
}

// show replaces the rows. UI goroutine only.
func (l *logsTab) show(rows []proxy.RequestView, err error) {
	if err != nil {
		l.note.SetText("The request log could not be read: " + err.Error())
		l.note.Show()
		return
	}
	l.all = rows
	l.apply()
}

// apply filters all into rows and refreshes the table once.
func (l *logsTab) apply() {
	q := strings.ToLower(strings.TrimSpace(l.filter.Text))
	l.rows = l.rows[:0]
	for _, r := range l.all {
		if q == "" || strings.Contains(strings.ToLower(r.Account+" "+r.Model+" "+fmt.Sprint(r.Status)+" "+r.Error+" "+r.Path), q) {
			l.rows = append(l.rows, r)
		}
	}
	l.note.Hidden = len(l.all) > 0
	l.note.Refresh()
	l.table.Refresh()
}

// logCell formats one cell.
func logCell(r proxy.RequestView, col int) string {
	switch logColumns[col].title {
	case "Time":
		return r.Time.Local().Format("15:04:05")
	case "Account":
		if r.Account == "" {
			return "–"
		}
		return r.Account
	case "Model":
		return r.Model
	case "Status":
		return fmt.Sprint(r.Status)
	case "Tokens in/out":
		return tokens(r.InputTokens) + " / " + tokens(r.OutputTokens)
	case "Cost":
		return dollars(r.CostMicros)
	case "Latency":
		return millis(r.Duration)
	case "TTFB":
		return millis(r.FirstByte)
	}
	return ""
}

// dollars shows millionths of a dollar as $0.0123.
func dollars(micros int64) string {
	return fmt.Sprintf("$%.4f", float64(micros)/1e6)
}

func millis(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}
