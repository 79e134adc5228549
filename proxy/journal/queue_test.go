package journal

import (
	"strconv"
	"testing"
	"time"
)

// TestRecordQueueKeepsOrderAndBound: records come out oldest first,
// across partial takes, and the bound refuses the one past it.
func TestRecordQueueKeepsOrderAndBound(t *testing.T) {
	q := newRecordQueue(10)
	for i := range 10 {
		if !q.push(Record{Path: strconv.Itoa(i)}) {
			t.Fatalf("record %d refused below the bound", i)
		}
	}
	if q.push(Record{Path: "full"}) {
		t.Fatal("a record past the bound was queued")
	}
	var got []string
	var batch []Record
	for {
		n, _ := q.state()
		if n == 0 {
			break
		}
		batch = q.take(batch, 4)
		if len(batch) > 4 {
			t.Fatalf("took %d, want at most 4", len(batch))
		}
		for _, r := range batch {
			got = append(got, r.Path)
		}
	}
	for i, p := range got {
		if p != strconv.Itoa(i) {
			t.Fatalf("order %v", got)
		}
	}
	if len(got) != 10 {
		t.Fatalf("took %d records, want 10", len(got))
	}
	q.close()
	if q.push(Record{}) {
		t.Fatal("a record was queued after close")
	}
	if n, closed := q.wait(); n != 0 || !closed {
		t.Fatalf("wait after close: %d queued, closed %v", n, closed)
	}
}

// TestRecordQueueLetsABurstGo: once a burst past one batch is drained,
// neither the queue nor the batch keeps its array, so the idle engine
// does not carry the queue's bound in its live heap (a channel did: 1.6
// MB for 4,096 records).
func TestRecordQueueLetsABurstGo(t *testing.T) {
	q := newRecordQueue(4096)
	for i := range 1000 {
		q.push(Record{Path: strconv.Itoa(i)})
	}
	var batch []Record
	for n, _ := q.state(); n > 0; n, _ = q.state() {
		batch = q.take(batch, maxBatch)
	}
	if c := cap(q.recs); c > maxBatch {
		t.Errorf("drained queue keeps an array of %d records, want at most %d", c, maxBatch)
	}
	if c := cap(batch); c > 2*maxBatch {
		t.Errorf("last batch has an array of %d records", c)
	}
}

// TestWriterLingerEndsAtABatch: a full batch is written at once, not
// after the linger.
func TestWriterLingerEndsAtABatch(t *testing.T) {
	db := newDB(t)
	w := db.NewWriterLinger(4096, time.Hour, nil)
	defer w.Close(t.Context())
	written := make(chan int, 16)
	w.OnWritten(func(n int) { written <- n })
	for i := range maxBatch {
		w.Add(Record{Path: strconv.Itoa(i), Time: time.UnixMilli(int64(i + 1))})
	}
	select {
	case n := <-written:
		if n != maxBatch {
			t.Errorf("first batch %d records, want %d", n, maxBatch)
		}
	case <-time.After(time.Minute):
		t.Fatal("a full batch waited for the hour's linger")
	}
}

// TestRecordQueueInterleaved: pushes between partial takes, past the
// array's capacity (so push compacts), keep order and the bound counts
// only what waits.
func TestRecordQueueInterleaved(t *testing.T) {
	q := newRecordQueue(8)
	next, want := 0, 0
	var batch []Record
	for round := range 50 {
		for range 1 + round%5 {
			if n, _ := q.state(); n >= 8 {
				if q.push(Record{}) {
					t.Fatal("a record past the bound was queued")
				}
				break
			}
			if !q.push(Record{Path: strconv.Itoa(next)}) {
				t.Fatalf("record %d refused below the bound", next)
			}
			next++
		}
		batch = q.take(batch, 3)
		for _, r := range batch {
			if r.Path != strconv.Itoa(want) {
				t.Fatalf("took %s, want %d", r.Path, want)
			}
			want++
		}
	}
	for n, _ := q.state(); n > 0; n, _ = q.state() {
		batch = q.take(batch, 3)
		for _, r := range batch {
			if r.Path != strconv.Itoa(want) {
				t.Fatalf("took %s, want %d", r.Path, want)
			}
			want++
		}
	}
	if want != next {
		t.Fatalf("took %d records, pushed %d", want, next)
	}
}
