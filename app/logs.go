package app

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// logColumns are the Logs table's columns and their widths.
var logColumns = []struct {
	title string
	width float32
}{
	{"Time", 80}, {"Account", 120}, {"Model", 190}, {"Status", 60},
	{"Tokens in/out", 120}, {"Cost", 80}, {"Latency", 80}, {"TTFB", 80},
}

// logPage is how many requests one read of the journal brings. The table
// holds what has been scrolled through and asks for the next page (by the
// journal's keyset cursor) when the last rows come into view, so a 100,000
// row journal costs one page per screenful, never a scan.
const logPage = 200

// anyOption is the filter choice that does not filter.
const anyOption = "Any"

// logsTab is the Logs tab: the journal's requests, newest first, filtered
// by the engine, paged by cursor, with a detail pane. Its fields are
// touched on the UI goroutine only; reads run elsewhere and come back
// through do.
type logsTab struct {
	eng Journal
	do  func(func())

	account *widget.Select
	status  *widget.Select
	model   *escEntry      // the window's shortcuts work in the search fields
	filter  *escEntry      // text in the path or the error
	note    *widget.Label  // empty or failed log
	further *widget.Button // continues a text search past its bound
	table   *widget.Table
	detail  *widget.Label // the selected request in full

	rows    []api.LogEntry
	next    string // cursor of the following page; "" at the end
	lastSeq int64  // the newest request shown, to follow from
	loading bool   // a page is being read
	stopped bool   // the last page ended where a text search stopped looking
	gen     int    // bumped by a filter change: older reads are dropped
	// picked is the ID of the request in the detail pane ("" none): the
	// whole row is highlighted, and it follows the row as new requests
	// come in on top, or is dropped when a filter excludes it.
	picked string
	shows  string // the ID of the request the detail pane shows
}

// noDetail is the detail pane with no request picked.
const noDetail = "Select a request to see it in full."

// newLogsTab makes the tab; newEntry makes its search fields (view.newEntry:
// Ctrl+1..4, Ctrl+F and Ctrl+W work while they have the focus).
func newLogsTab(eng Journal, do func(func()), newEntry func() *escEntry) *logsTab {
	l := &logsTab{eng: eng, do: do, model: newEntry(), filter: newEntry(),
		note: widget.NewLabel("No requests yet. Point a client at Sluice and they appear here.")}
	// A text search looks through a bounded number of requests per read
	// (the journal's TextScanRows); when it stops short, a few matches may
	// not fill the table enough to scroll, so the user asks for more.
	l.further = widget.NewButton("Search older requests", func() { l.more() })
	l.further.Hide()
	l.account = widget.NewSelect([]string{anyOption}, func(string) { l.reset() })
	l.account.Selected = anyOption
	l.status = widget.NewSelect([]string{anyOption, "2xx", "4xx", "5xx"}, func(string) { l.reset() })
	l.status.Selected = anyOption
	l.model.SetPlaceHolder("Model")
	l.model.OnChanged = func(string) { l.reset() }
	l.filter.SetPlaceHolder("Text in the path or the error")
	l.filter.OnChanged = func(string) { l.reset() }
	l.table = widget.NewTableWithHeaders(
		func() (int, int) { return len(l.rows), len(logColumns) },
		func() fyne.CanvasObject {
			// A long account name ends in "…" inside its column rather
			// than running over Model and Status.
			lb := widget.NewLabel("")
			lb.Truncation = fyne.TextTruncateEllipsis
			return container.NewStack(canvas.NewRectangle(color.Transparent), lb)
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			cell := o.(*fyne.Container)
			bg, lb := cell.Objects[0].(*canvas.Rectangle), cell.Objects[1].(*widget.Label)
			if id.Row < len(l.rows) {
				lb.SetText(logCell(l.rows[id.Row], id.Col))
				// The table highlights one cell: paint the rest of the row.
				var fill color.Color = color.Transparent
				if l.picked != "" && l.rows[id.Row].ID == l.picked {
					fill = theme.Color(theme.ColorNameSelection)
				}
				if bg.FillColor != fill {
					bg.FillColor = fill
					bg.Refresh()
				}
			}
			if id.Row >= len(l.rows)-logPage/4 {
				l.more()
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
	l.detail.Importance = widget.LowImportance
	l.detail.SetText(noDetail)
	l.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(l.rows) {
			l.picked = l.rows[id.Row].ID
			if l.shows != l.picked { // not when repick moves the selection
				l.showDetail(l.rows[id.Row])
			}
			l.table.Refresh()
		}
	}
	return l
}

func (l *logsTab) content() fyne.CanvasObject {
	filters := container.NewBorder(nil, nil,
		container.NewHBox(widget.NewLabel("Account"), l.account, widget.NewLabel("Status"), l.status),
		nil, container.NewGridWithColumns(2, l.model, l.filter))
	detail := container.NewVScroll(l.detail)
	detail.SetMinSize(fyne.NewSize(0, 150))
	return container.NewBorder(container.NewVBox(filters, container.NewHBox(l.note, l.further)), detail, nil, nil, l.table)
}

// query is the filter the controls describe.
func (l *logsTab) query() api.LogFilter {
	f := api.LogFilter{Model: strings.TrimSpace(l.model.Text), Text: strings.TrimSpace(l.filter.Text), Limit: logPage}
	if l.account.Selected != anyOption {
		f.Account = l.account.Selected
	}
	if l.status.Selected != anyOption {
		f.Status = l.status.Selected
	}
	return f
}

// setAccounts offers the accounts' names in the account filter.
func (l *logsTab) setAccounts(accounts []api.AccountView) {
	opts := []string{anyOption}
	for _, a := range accounts {
		opts = append(opts, a.Name)
	}
	l.account.Options = opts
	l.account.Refresh()
}

// read runs f off the UI goroutine and hands its page to apply on it,
// unless a filter change made it stale meanwhile.
func (l *logsTab) read(f api.LogFilter, apply func(api.LogPage, error)) {
	gen := l.gen
	l.loading = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		p, err := l.eng.Logs(ctx, f)
		l.do(func() {
			if gen != l.gen {
				return
			}
			l.loading = false
			apply(p, err)
		})
	}()
}

// reset reads the first page for the current filter.
func (l *logsTab) reset() {
	if l.table == nil {
		return // still being built
	}
	l.gen++
	l.read(l.query(), func(p api.LogPage, err error) {
		l.rows, l.next, l.lastSeq, l.stopped = p.Entries, p.Next, p.LastSeq, p.SearchStopped
		l.repick()
		l.shown(err)
	})
}

// more reads the next page when there is one and none is on its way.
func (l *logsTab) more() {
	if l.next == "" || l.loading {
		return
	}
	f := l.query()
	f.Cursor = l.next
	l.read(f, func(p api.LogPage, err error) {
		if err == nil {
			l.rows = append(l.rows, p.Entries...)
			l.next, l.stopped = p.Next, p.SearchStopped
		}
		l.shown(err)
	})
}

// follow puts the requests journaled since the newest one shown on top:
// called as the engine reports new requests.
func (l *logsTab) follow() {
	if l.loading {
		return
	}
	if l.lastSeq == 0 {
		l.reset()
		return
	}
	f := l.query()
	f.WrittenAfter, f.Limit = l.lastSeq, maxFollow
	l.read(f, func(p api.LogPage, err error) {
		if err == nil && len(p.Entries) > 0 {
			l.rows = append(p.Entries, l.rows...)
			l.lastSeq = max(l.lastSeq, p.LastSeq)
			l.repick()
		}
		l.shown(err)
	})
}

// repick keeps the picked request selected where the rows now have it (new
// requests came in above it), or clears the selection and the detail pane
// when the rows no longer hold it (a filter excludes it): the pane never
// shows a request the table does not. UI goroutine only.
func (l *logsTab) repick() {
	if l.picked == "" {
		return
	}
	for i, r := range l.rows {
		if r.ID == l.picked {
			l.table.Select(widget.TableCellID{Row: i, Col: 0})
			return
		}
	}
	l.picked, l.shows = "", ""
	l.table.UnselectAll()
	l.detail.Importance = widget.LowImportance
	l.detail.SetText(noDetail)
}

// maxFollow bounds the new requests follow takes at once (the journal's
// page limit); a bigger burst is a reset's job.
const maxFollow = 1000

// shown refreshes the table and the note after a read.
func (l *logsTab) shown(err error) {
	switch {
	case err != nil:
		l.note.SetText("The request log could not be read: " + err.Error())
	case len(l.rows) == 0 && l.stopped && l.next != "":
		l.note.SetText("No match in the newest requests searched so far.")
	case len(l.rows) == 0 && l.query() != (api.LogFilter{Limit: logPage}):
		l.note.SetText("No requests match these filters.")
	default:
		l.note.SetText("No requests yet. Point a client at Sluice and they appear here.")
	}
	l.note.Hidden = err == nil && len(l.rows) > 0
	l.note.Refresh()
	l.further.Hidden = err != nil || !l.stopped || l.next == ""
	l.further.Refresh()
	l.table.Refresh()
}

// showDetail shows r at once and its full record, with the captured
// payload when there is one, as soon as the engine returns it.
func (l *logsTab) showDetail(r api.LogEntry) {
	l.shows = r.ID
	l.detail.Importance = widget.MediumImportance
	l.detail.SetText(logDetail(api.RequestDetail{LogEntry: r}))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		d, err := l.eng.Request(ctx, r.ID)
		l.do(func() {
			if err != nil || l.shows != r.ID {
				return // pruned meanwhile (the row's own fields stay), or another picked
			}
			l.detail.SetText(logDetail(d))
		})
	}()
}

// maxShownPayload bounds each payload in the detail pane: a label is no
// place for megabytes.
const maxShownPayload = 20000

// logDetail is one request in full, for the pane under the table. The
// journal keeps no headers, and payloads are redacted before they are
// stored, so there is nothing left to redact here.
func logDetail(d api.RequestDetail) string {
	r := d.LogEntry
	s := fmt.Sprintf("%s  %s %s  ·  account %s  ·  model %s  ·  status %d\n%d input and %d output tokens  ·  %s  ·  %s, first byte after %s",
		r.Time.Local().Format("2006-01-02 15:04:05"), r.Method, r.Path, logCell(r, 1), r.Model, r.Status,
		r.InputTokens, r.OutputTokens, cost(r.CostMicros, r.Unpriced), millis(r.Duration), millis(r.FirstByte))
	if r.Attempts > 1 {
		s += fmt.Sprintf("  ·  %d attempts", r.Attempts)
	}
	if r.Error != "" {
		s += "\n" + string(r.Error)
	}
	switch {
	case d.Payload != nil:
		s += "\n\nRequest:\n" + clip(d.Payload.Request, d.Payload.RequestTruncated) +
			"\n\nResponse:\n" + clip(d.Payload.Response, d.Payload.ResponseTruncated)
	case d.PayloadError != "":
		s += "\n\nThe captured payload could not be read: " + d.PayloadError
	case !r.HasPayload:
		s += "\n\nNo payload captured (turn it on in Settings -> Request log -> Payloads)."
	}
	return s
}

func clip(s string, truncated bool) string {
	if len(s) > maxShownPayload {
		s, truncated = s[:maxShownPayload], true
	}
	if truncated {
		s += " […]"
	}
	return s
}

// logCell formats one cell.
func logCell(r api.LogEntry, col int) string {
	switch logColumns[col].title {
	case "Time":
		return r.Time.Local().Format("15:04:05")
	case "Account":
		if r.AccountName == "" {
			return "–"
		}
		return r.AccountName
	case "Model":
		return r.Model
	case "Status":
		return fmt.Sprint(r.Status)
	case "Tokens in/out":
		return tokens(r.InputTokens) + " / " + tokens(r.OutputTokens)
	case "Cost":
		return cost(r.CostMicros, r.Unpriced)
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

// cost is a request's or a row's cost: "unpriced" when its model has no
// price (its cost is unknown, never $0), a part priced and a part not
// with a "+".
func cost(micros int64, unpriced bool) string {
	switch {
	case !unpriced:
		return dollars(micros)
	case micros == 0:
		return "unpriced"
	default:
		return dollars(micros) + " + unpriced"
	}
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
