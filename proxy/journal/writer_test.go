package journal

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestWriterKeepsEveryRecordOnce(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	w := db.NewWriter(1<<14, nil) // big enough that nothing is dropped
	const goroutines, each = 10, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				n := g*each + i
				// Half carry no id, so a doubled write would show as an extra row.
				r := Record{Path: strconv.Itoa(n), Time: time.UnixMilli(int64(n + 1)), InputTokens: 1}
				if n%2 == 0 {
					r.ID = fmt.Sprintf("id-%d", n)
				}
				if !w.Add(r) {
					t.Errorf("record %d refused", n)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 0 {
		t.Fatalf("dropped %d", w.Dropped())
	}
	rs, err := db.Records(ctx, Query{Limit: 2 * goroutines * each})
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]int)
	for _, r := range rs {
		seen[r.Path]++
	}
	if len(rs) != goroutines*each || len(seen) != goroutines*each {
		t.Fatalf("%d rows, %d distinct; want %d of each", len(rs), len(seen), goroutines*each)
	}
	for p, n := range seen {
		if n != 1 {
			t.Fatalf("record %s stored %d times", p, n)
		}
	}
}

func TestWriterAddNeverBlocks(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	// Hold the only writer connection: the Writer's goroutine waits for it,
	// and its queue fills.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const queue, tries = 4, 1000
	w := db.NewWriter(queue, nil)
	accepted := make(chan int)
	go func() {
		n := 0
		for i := range tries {
			if w.Add(Record{Path: strconv.Itoa(i)}) {
				n++
			}
		}
		accepted <- n
	}()
	var n int
	select {
	case n = <-accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("Add blocked while the database was busy")
	}
	// The goroutine holds at most one batch; the queue the rest.
	if n < queue || n > queue+maxBatch {
		t.Errorf("accepted %d, want between %d and %d", n, queue, queue+maxBatch)
	}
	if got := w.Dropped(); got != int64(tries-n) {
		t.Errorf("Dropped() = %d, want %d", got, tries-n)
	}
	conn.Close()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if tot, err := db.Totals(ctx, "", time.Time{}); err != nil || tot.Requests != int64(n) {
		t.Errorf("stored %d, %v; want the %d accepted", tot.Requests, err, n)
	}
}

func TestWriterAfterClose(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	w := db.NewWriter(8, nil)
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Add(Record{}) {
		t.Error("Add after Close accepted a record")
	}
	if w.Dropped() != 1 {
		t.Errorf("Dropped() = %d, want 1", w.Dropped())
	}
	if err := w.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWriterCloseHonoursContext(t *testing.T) {
	db := newDB(t)
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := db.NewWriter(8, nil)
	w.Add(Record{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close returned nil while its records could not be written")
	}
	conn.Close()
	if err := w.Close(context.Background()); err != nil {
		t.Errorf("Close after the database freed up: %v", err)
	}
}

func TestWriterCountsFailedBatches(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if _, err := db.w.Exec(`DROP TABLE records`); err != nil {
		t.Fatal(err)
	}
	w := db.NewWriter(8, nil)
	w.Add(Record{})
	w.Add(Record{})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Dropped() != 2 {
		t.Errorf("Dropped() = %d, want 2 lost in a failed write", w.Dropped())
	}
}

// TestWriterBoundsQueuedPayloads: when the writer cannot keep up, records
// keep being queued but payloads beyond the byte budget are left out, so
// memory stays bounded.
func TestWriterBoundsQueuedPayloads(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	// Hold the writer connection so nothing drains while we queue.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := db.NewWriter(1000, nil)
	body := make([]byte, 1<<20)
	const n = 100 // 200 MB of bodies offered, far over the budget
	for i := range n {
		if !w.Add(Record{ID: fmt.Sprint("r", i), Time: time.UnixMilli(int64(i + 1)),
			Payload: &Payload{Request: body, Response: body}}) {
			t.Fatalf("record %d refused", i)
		}
	}
	if q := w.queuedPayload.Load(); q > maxQueuedPayloads {
		t.Fatalf("%d payload bytes queued, budget %d", q, maxQueuedPayloads)
	}
	// The first record may already be in the writer's hands, its payload
	// still counted; the budget admits 32 of 2 MB each.
	if d := w.DroppedPayloads(); d < n-33 || d > n-31 {
		t.Fatalf("%d payloads left out, want about %d", d, n-32)
	}
	conn.Close()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := db.Check(ctx)
	if err != nil || h.Rows["records"] != n || h.Rows["payloads"] != n-w.DroppedPayloads() {
		t.Fatalf("rows %v, %v; want %d records, %d payloads", h.Rows, err, n, n-w.DroppedPayloads())
	}
	if q := w.queuedPayload.Load(); q != 0 {
		t.Fatalf("%d payload bytes still counted as queued", q)
	}
}
