package journal

import (
	"sync"
	"time"
)

// recordQueue is the Writer's bounded queue: a slice that grows with what
// waits and is let go once drained, where a channel of the same bound
// (4,096 records of ~400 bytes) would keep 1.6 MB allocated for the
// engine's life. That buffer was most of the idle engine's live heap
// (round 10 of docs/BENCHMARKS.md), and every byte of live heap is one
// more byte of heap the GC lets grow before it runs (GOGC 100), and one
// the GC scans on every cycle.
type recordQueue struct {
	mu     sync.Mutex
	recs   []Record // recs[head:] wait; take moves head, push compacts
	head   int
	max    int
	closed bool
	wake   chan struct{} // one pending signal: a record came, or close
}

func newRecordQueue(max int) *recordQueue {
	return &recordQueue{max: max, wake: make(chan struct{}, 1)}
}

// push queues r unless the queue is full or closed.
func (q *recordQueue) push(r Record) bool {
	q.mu.Lock()
	if q.closed || len(q.recs)-q.head >= q.max {
		q.mu.Unlock()
		return false
	}
	if q.head > 0 && len(q.recs) == cap(q.recs) {
		// Slide the waiting records to the front rather than grow: once
		// per filling of the array, not once per batch taken.
		n := copy(q.recs, q.recs[q.head:])
		clear(q.recs[n:])
		q.recs, q.head = q.recs[:n], 0
	}
	q.recs = append(q.recs, r)
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *recordQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close refuses records from now on; those queued are still taken.
func (q *recordQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *recordQueue) state() (n int, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.recs) - q.head, q.closed
}

// wait blocks until a record is queued or the queue is closed, and
// returns how many are queued and whether it is closed.
func (q *recordQueue) wait() (n int, closed bool) {
	for {
		if n, closed = q.state(); n > 0 || closed {
			return n, closed
		}
		<-q.wake
	}
}

// linger waits up to d for the queue to hold batch records, or to close.
func (q *recordQueue) linger(timer *time.Timer, d time.Duration, batch int) {
	timer.Reset(d)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return
		case <-q.wake:
			if n, closed := q.state(); n >= batch || closed {
				return
			}
		}
	}
}

// take copies up to batch of the oldest records into dst[:0] and returns
// it; an array a burst grew past batch is dropped once drained.
func (q *recordQueue) take(dst []Record, batch int) []Record {
	q.mu.Lock()
	defer q.mu.Unlock()
	k := min(len(q.recs)-q.head, batch)
	dst = append(dst[:0], q.recs[q.head:q.head+k]...)
	clear(q.recs[q.head : q.head+k])
	q.head += k
	if q.head == len(q.recs) {
		q.recs, q.head = q.recs[:0], 0
		if cap(q.recs) > batch {
			q.recs = nil
		}
	}
	return dst
}
