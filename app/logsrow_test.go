package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// twoRequests is a journal of a failed and a good request; the failed one
// is from an account with a long name.
func twoRequests(eng *fakeEngine) (bad, good api.LogEntry) {
	now := time.Now()
	bad = api.LogEntry{Record: journal.Record{ID: "r2", Time: now, Path: "/v1/messages", Status: 529, Model: "claude-opus-4-1"},
		AccountName: "a-very-long-account-name-from-the-team-workspace"}
	good = api.LogEntry{Record: journal.Record{ID: "r1", Time: now.Add(-time.Minute), Path: "/v1/messages", Status: 200, Model: "claude-sonnet-4-5"},
		AccountName: "work"}
	eng.logs = func(q api.LogFilter) api.LogPage {
		var out []api.LogEntry
		for _, r := range []api.LogEntry{bad, good} {
			if q.Status == "" || strings.HasPrefix(fmtStatus(r.Status), q.Status[:1]) {
				out = append(out, r)
			}
		}
		return api.LogPage{Entries: out, LastSeq: 2}
	}
	return bad, good
}

func fmtStatus(s int) string { return string(rune('0' + s/100)) }

// After a filter change the detail pane never shows a request the table
// no longer lists: the selection and the pane are cleared.
func TestLogsFilterChangeClearsASelectionItExcludes(t *testing.T) {
	eng := newFakeEngine(true)
	twoRequests(eng)
	v, _, ui := shown(t, eng)
	v.tabs.SelectIndex(1)
	ui.waitFor(t, "two rows", func() bool { n, _ := v.logs.table.Length(); return n == 2 })
	v.logs.table.Select(widget.TableCellID{Row: 0, Col: 2})
	ui.waitFor(t, "the 529 in the pane", func() bool { return strings.Contains(v.logs.detail.Text, "status 529") })
	v.logs.status.SetSelected("2xx")
	ui.waitFor(t, "one row", func() bool { n, _ := v.logs.table.Length(); return n == 1 })
	if strings.Contains(v.logs.detail.Text, "529") {
		t.Fatalf("the pane still shows the excluded request: %q", v.logs.detail.Text)
	}
	if v.logs.detail.Text != "Select a request to see it in full." {
		t.Errorf("pane %q after the filter change", v.logs.detail.Text)
	}
}

// A picked request stays picked, and highlighted whole, when the filter
// still lists it.
func TestLogsWholeRowHighlighted(t *testing.T) {
	eng := newFakeEngine(true)
	_, good := twoRequests(eng)
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(1)
	ui.waitFor(t, "two rows", func() bool { n, _ := v.logs.table.Length(); return n == 2 })
	v.logs.table.Select(widget.TableCellID{Row: 1, Col: 0})
	ui.waitFor(t, "the 200 in the pane", func() bool { return strings.Contains(v.logs.detail.Text, "status 200") })
	v.logs.status.SetSelected("2xx")
	ui.waitFor(t, "one row", func() bool { n, _ := v.logs.table.Length(); return n == 1 })
	ui.settle()
	if !strings.Contains(v.logs.detail.Text, "status 200") {
		t.Fatalf("the still-listed request left the pane: %q", v.logs.detail.Text)
	}
	sel := theme.Color(theme.ColorNameSelection)
	for col := range logColumns {
		want := logCell(good, col)
		var lit bool
		for _, o := range visible(w) {
			c, ok := o.(*fyne.Container)
			if !ok || len(c.Objects) != 2 {
				continue
			}
			bg, ok1 := c.Objects[0].(*canvas.Rectangle)
			lb, ok2 := c.Objects[1].(*widget.Label)
			if ok1 && ok2 && lb.Text == want && bg.FillColor == sel {
				lit = true
			}
		}
		if !lit {
			t.Errorf("column %s (%q) of the picked row is not highlighted", logColumns[col].title, want)
		}
	}
}

// A long account name is cut with an ellipsis inside its column, never
// drawn over Model and Status.
func TestLogsLongAccountNameTruncated(t *testing.T) {
	eng := newFakeEngine(true)
	bad, _ := twoRequests(eng)
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(1)
	ui.waitFor(t, "two rows", func() bool { n, _ := v.logs.table.Length(); return n == 2 })
	ui.settle()
	got := texts(w)
	if slices.Contains(got, bad.AccountName) {
		t.Fatalf("the long account name is drawn in full (over the next columns)")
	}
	if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "a-very") && strings.HasSuffix(s, "…") }) {
		t.Fatalf("no truncated account name among %q", got)
	}
}
