package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// A text search that stops at its bound with nothing found yet must not
// read as "no match": the tab says how far it looked and offers to go on,
// and going on shows what lies further back.
func TestLogsTextSearchContinuesPastItsBound(t *testing.T) {
	eng := newFakeEngine(true)
	old := api.LogEntry{Record: journal.Record{ID: "r1", Time: time.Now().Add(-48 * time.Hour), Path: "/v1/messages",
		Status: 500, Error: "needle in the haystack", Model: "claude-sonnet-4-5"}, AccountName: "a"}
	eng.logs = func(q api.LogFilter) api.LogPage {
		switch {
		case q.Text != "needle":
			return api.LogPage{}
		case q.Cursor == "":
			return api.LogPage{Next: "older", SearchStopped: true}
		case q.Cursor == "older":
			return api.LogPage{Entries: []api.LogEntry{old}, LastSeq: 1}
		}
		t.Errorf("unexpected cursor %q", q.Cursor)
		return api.LogPage{}
	}
	v, w, ui := shown(t, eng)
	v.tabs.SelectIndex(1) // Logs
	v.logs.filter.SetText("needle")
	ui.waitFor(t, "the bounded search's note", showing(w, "No match in the newest requests searched so far.", "Search older requests"))
	test.Tap(button(t, w, "Search older requests"))
	ui.waitFor(t, "the older match", func() bool { n, _ := v.logs.table.Length(); return n == 1 })
	ui.waitFor(t, "the button gone at the end", func() bool { return v.logs.further.Hidden })
}
