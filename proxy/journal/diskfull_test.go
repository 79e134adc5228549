package journal

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
)

// A full disk (SQLITE_FULL, here through max_page_count on the one writer
// connection) loses the records that cannot be written, counts them, and
// never blocks Add; once space returns, records are written again.
func TestWriterDiskFullCountsDroppedAndRecovers(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	var pages int64
	if err := db.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	w := db.NewWriter(1<<12, nil)
	big := strings.Repeat("e", 2000) // each record needs room the file does not have
	const n = 200
	start := time.Now()
	for i := range n {
		if !w.Add(Record{Time: time.UnixMilli(int64(i + 1)), Error: Reason(big)}) {
			t.Fatalf("record %d refused: the queue should hold them all", i)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Add blocked on a full disk: %v for %d records", d, n)
	}
	testkit.WaitWithin(t, 10*time.Second, "a record counted as dropped on a full disk", func() bool { return w.Dropped() != 0 })
	// Space again: new records reach the database.
	if _, err := db.w.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	w.Add(Record{Time: time.UnixMilli(n + 1), Path: "after"})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Records(ctx, Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(rs))+w.Dropped() != n+1 {
		t.Fatalf("%d stored + %d dropped, want %d in all", len(rs), w.Dropped(), n+1)
	}
	if len(rs) == 0 || rs[0].Path != "after" {
		t.Fatalf("the record written after space returned is missing")
	}
}

// A database that turned read-only under the writer (SQLITE_READONLY, here
// through query_only on its connection) loses and counts records the same
// way, and the writer keeps accepting them without blocking.
func TestWriterReadOnlyCountsDropped(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	w := db.NewWriter(16, nil)
	const n = 10
	for i := range n {
		w.Add(Record{Time: time.UnixMilli(int64(i + 1))})
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != n {
		t.Fatalf("dropped %d of %d records refused by a read-only database", w.Dropped(), n)
	}
	if _, err := db.w.ExecContext(ctx, "PRAGMA query_only = 0"); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Records(ctx, Query{})
	if err != nil || len(rs) != 0 {
		t.Fatalf("%d records stored in a read-only database (err %v)", len(rs), err)
	}
}
