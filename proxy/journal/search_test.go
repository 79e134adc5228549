package journal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func planOf(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n")
}

// session is a session id; all of them end alike, so the index on the
// ids' tails finds them all and the exact match must tell them apart.
func session(i int) string { return fmt.Sprintf("%08x-41c7-4d8e-9a5f-0000deadbeef", i) }

// TestSessionFilterIndexedAndStable checks that the session filter reads
// its index in keyset order (no scan of the log, no sort) and that paging
// one session while newer requests arrive returns each of its requests
// once, newest first, and none of another session.
func TestSessionFilterIndexedAndStable(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var rs []Record
	for i := range 300 {
		// Several records share a millisecond, so seq breaks ties.
		rs = append(rs, Record{ID: fmt.Sprint("r", i), Time: t0.Add(time.Duration(i/3) * time.Millisecond),
			Session: session(i % 4), Status: 200})
	}
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	w, args := Query{Session: session(1), After: Cursor{Time: t0.UnixMilli() + 50, Seq: 150}}.where()
	plan := planOf(t, db, `SELECT seq FROM records`+w+` ORDER BY time DESC, seq DESC LIMIT 10`, args...)
	if !strings.Contains(plan, "records_session") || strings.Contains(plan, "TEMP B-TREE") {
		t.Fatalf("session filter plan:\n%s", plan)
	}
	var seen []string
	q := Query{Session: session(1), Limit: 7}
	for page := 0; ; page++ {
		got, err := db.Records(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			seen = append(seen, r.ID)
		}
		if len(got) < q.Limit {
			break
		}
		q.After = CursorOf(got[len(got)-1])
		// Newer requests of the same session arrive between pages.
		if err := db.insertRecords(ctx, []Record{{ID: fmt.Sprint("new", page), Time: t0.Add(time.Hour),
			Session: session(1), Status: 200}}); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i := 299; i >= 0; i-- {
		if i%4 == 1 {
			want = append(want, fmt.Sprint("r", i))
		}
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("paged session s1:\n got %v\nwant %v", seen, want)
	}
}

// TestTextSearchIsBounded checks that a text search looks through at most
// its bound of records per call, says where it stopped, and that paging
// on from there finds every match once, newest first.
func TestTextSearchIsBounded(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	const bound = 200 // TextScanRows, scaled down: the same paths, 25x fewer rows
	db.scanRows = bound
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	n := bound*2 + 50
	matches := map[int]bool{3: true, 40: true, bound + 7: true, bound + 8: true, 2*bound + 20: true}
	var rs []Record
	for i := range n {
		r := Record{ID: fmt.Sprint("r", i), Time: t0.Add(time.Duration(i) * time.Second), Path: "/v1/messages", Status: 200}
		// i counts from the oldest; matches are placed by age from the newest.
		if matches[n-1-i] {
			r.Error = "upstream said Overloaded_Error here"
		}
		rs = append(rs, r)
	}
	for len(rs) > 0 {
		k := min(len(rs), 1000)
		if err := db.insertRecords(ctx, rs[:k]); err != nil {
			t.Fatal(err)
		}
		rs = rs[k:]
	}
	var seen []string
	var pages []int
	q := Query{Text: "overloaded_", Limit: 10}
	for {
		got, stop, err := db.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, len(got))
		for _, r := range got {
			seen = append(seen, r.ID)
		}
		if stop.IsZero() {
			break
		}
		q.After = stop
	}
	want := []string{fmt.Sprint("r", n-1-3), fmt.Sprint("r", n-1-40), fmt.Sprint("r", n-1-bound-7),
		fmt.Sprint("r", n-1-bound-8), fmt.Sprint("r", n-1-2*bound-20)}
	if !slices.Equal(seen, want) {
		t.Fatalf("matches %v, want %v", seen, want)
	}
	// Two matches among the newest bound records, two among the next
	// bound, one in the rest: three calls, each within its bound.
	if !slices.Equal(pages, []int{2, 2, 1}) {
		t.Fatalf("page sizes %v, want [2 2 1]: each call scans at most %d records", pages, bound)
	}
	// A page that fills before the bound pages on as usual.
	got, stop, err := db.Search(ctx, Query{Text: "messages", Limit: 5})
	if err != nil || len(got) != 5 || !stop.IsZero() {
		t.Fatalf("full page: %d records, stop %v, %v", len(got), stop, err)
	}
}
