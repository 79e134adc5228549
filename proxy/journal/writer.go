package journal

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// maxBatch caps the rows written per transaction, so the writer connection
// is never held long enough to stall other writes (accounts, settings).
const maxBatch = 256

// maxQueuedPayloads bounds the payload bytes waiting in the queue: records
// are small, but each may carry two captured bodies of up to the capture
// cap, and a slow disk must not turn the queue into gigabytes of memory.
// Past it a record is still queued, without its payload.
const maxQueuedPayloads = 64 << 20

// DefaultLinger is how long the writer waits for more records after the
// first of a batch. Each commit costs ~100-300 µs of CPU (WAL frames,
// checksums, write syscalls): at one client's pace (~1,000 req/s)
// committing every record alone was a quarter of the engine's CPU (load
// harness profile). 20 ms turned that into one commit per dozens of
// requests, yet commits were still 6% of the engine's CPU at 32 clients;
// 100 ms (or maxBatch records, whichever comes first) makes them ~2%.
//
// It is also what a kill -9 (or a power cut) can lose: a record reaches
// the database at most linger after its request ended, plus the commit's
// own time (TestKillDashNineLosesAtMostTheLinger). SIGTERM and Close flush
// everything.
const DefaultLinger = 100 * time.Millisecond

// Writer appends records to the journal off the request path. Records wait
// in a bounded queue; one goroutine takes whatever has queued (up to
// maxBatch), waits up to linger for more, and writes the batch in one
// transaction; under load batches also grow while the previous one commits.
type Writer struct {
	db     *DB
	log    *slog.Logger
	q      *recordQueue
	done   chan struct{}
	linger time.Duration

	written atomic.Pointer[func(n int)] // see OnWritten

	dropped        atomic.Int64
	droppedPayload atomic.Int64
	queuedPayload  atomic.Int64 // payload bytes in the queue
}

// NewWriter starts a writer whose queue holds up to queue records (at least
// 1). log receives write failures; nil discards them. Close it before the
// DB.
func (db *DB) NewWriter(queue int, log *slog.Logger) *Writer {
	return db.NewWriterLinger(queue, DefaultLinger, log)
}

// NewWriterLinger is NewWriter with the batch linger chosen (<= 0 means
// DefaultLinger): the longest a record waits in memory, so the most
// requests a kill -9 can take from the journal.
func (db *DB) NewWriterLinger(queue int, linger time.Duration, log *slog.Logger) *Writer {
	if linger <= 0 {
		linger = DefaultLinger
	}
	if queue < 1 {
		queue = 1
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{db: db, log: log, q: newRecordQueue(queue), done: make(chan struct{}), linger: linger}
	go w.run()
	return w
}

// OnWritten sets fn to be called, from the writer's goroutine, with the
// number of records each committed batch held: whoever shows the journal
// re-reads it then, not when a request ends and its record may still be
// waiting for the batch (up to the linger).
func (w *Writer) OnWritten(fn func(n int)) { w.written.Store(&fn) }

// Add queues r and reports whether it was accepted. It never blocks: a
// request must not wait on the disk, so when the queue is full, or the
// Writer closed, the record is dropped and counted instead.
func (w *Writer) Add(r Record) bool {
	n := r.Payload.size()
	if n > 0 && w.queuedPayload.Add(n) > maxQueuedPayloads {
		w.queuedPayload.Add(-n)
		w.droppedPayload.Add(1)
		r.Payload, n = nil, 0
	}
	if w.q.push(r) {
		return true
	}
	w.queuedPayload.Add(-n)
	w.dropped.Add(1)
	return false
}

// DroppedPayloads returns how many records were stored without their
// captured payload because too many payload bytes were queued.
func (w *Writer) DroppedPayloads() int64 { return w.droppedPayload.Load() }

// size is the bytes a payload holds; 0 for none.
func (p *Payload) size() int64 {
	if p == nil {
		return 0
	}
	return int64(len(p.Request) + len(p.Response))
}

// Dropped returns how many records never reached the database: refused by
// Add, or lost with a batch the database would not take.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Close stops accepting records and waits until every queued one is
// written. If ctx ends first it returns ctx's error; the remaining records
// are still written in the background until the DB is closed.
func (w *Writer) Close(ctx context.Context) error {
	w.q.close()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("journal: close writer: %w", ctx.Err())
	}
}

// run drains the queue until Close, batching what has accumulated.
func (w *Writer) run() {
	defer close(w.done)
	var batch []Record
	timer := time.NewTimer(w.linger)
	timer.Stop()
	for {
		n, closed := w.q.wait()
		if n == 0 {
			return // closed and drained
		}
		if n < maxBatch && !closed { // closing: write what we have now
			w.q.linger(timer, w.linger, maxBatch)
		}
		batch = w.q.take(batch, maxBatch)
		err := w.db.insertRecords(context.Background(), batch)
		var size int64
		for i := range batch {
			size += batch[i].Payload.size()
		}
		w.queuedPayload.Add(-size)
		if err != nil {
			w.dropped.Add(int64(len(batch)))
			w.log.Error("journal: request records lost", "count", len(batch), "err", err)
		} else if fn := w.written.Load(); fn != nil {
			(*fn)(len(batch))
		}
		clear(batch) // let the bodies and strings go now, not when the slot is reused
	}
}

const insertRecord = `INSERT OR IGNORE INTO records (id, time, account_id, client_key_id, method, path, model,
	status, stream, attempts, duration_us, first_byte_us, input_tokens, output_tokens, cache_read,
	cache_create, cost_micros, error, session, user_agent, request_id, end_reason, failovers, project, lane,
	window_share, share_estimate, model_asked)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const insertPayload = `INSERT INTO payloads (seq, time, request, response, req_truncated, resp_truncated)
	VALUES (?, ?, ?, ?, ?, ?)`

// insertRecords writes rs, their payloads and their share of the daily
// rollups in one transaction, so the rollups always equal a recount of
// every record ever written. A record whose id is already stored is
// skipped, so writing a batch twice never doubles it.
func (db *DB) insertRecords(ctx context.Context, rs []Record) error {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("journal: insert records: %w", err)
	}
	defer sqlTx.Rollback()
	tx := writeTx{sqlTx, db.stmts}
	stmt, err := tx.stmt(ctx, insertRecord)
	if err != nil {
		return fmt.Errorf("journal: insert records: %w", err)
	}
	sums := make(map[rollupKey]*Totals, 8)
	spend := make(map[spendKey]int64)
	var ledger ledgerSums
	for i := range rs {
		if rs[i].ID == "" && !rs[i].Amend {
			rs[i].ID = NewID(rs[i].Time) // in rs: a batch written again keeps its ids
		}
	}
	rs, folded := coalesceAmends(rs)
	for i := range rs {
		r := &rs[i]
		if r.Amend {
			if err := db.amend(ctx, tx, r, &ledger); err != nil {
				return err
			}
			continue
		}
		res, err := stmt.ExecContext(ctx, r.ID, millis(r.Time), r.AccountID, r.ClientKeyID, r.Method, r.Path,
			r.Model, r.Status, r.Stream, r.Attempts, r.Duration.Microseconds(), r.FirstByte.Microseconds(),
			r.InputTokens, r.OutputTokens, r.CacheRead, r.CacheCreate, r.CostMicros, r.Error,
			r.Session, r.UserAgent, r.RequestID, r.EndReason, r.Failovers, r.Project, r.Lane,
			shareJSON(r.WindowShare), r.ShareEstimate, r.ModelAsked)
		if err != nil {
			return fmt.Errorf("journal: insert records: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			// A duplicate: already counted, but a late share merged
			// into it is not.
			if f, ok := folded[r.ID]; ok {
				if err := db.amend(ctx, tx, &f, &ledger); err != nil {
					return err
				}
			}
			continue
		}
		addRollup(sums, r)
		addSpend(spend, r)
		ledger.addRecord(r)
		if p := r.Payload; p != nil {
			seq, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("journal: insert payload: %w", err)
			}
			if _, err := tx.ExecContext(ctx, insertPayload, seq, millis(r.Time), p.Request, p.Response,
				p.RequestTruncated, p.ResponseTruncated); err != nil {
				return fmt.Errorf("journal: insert payload: %w", err)
			}
		}
	}
	if err := upsertRollups(ctx, tx, sums); err != nil {
		return err
	}
	if err := upsertSpend(ctx, tx, spend); err != nil {
		return err
	}
	if err := ledger.upsert(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("journal: insert records: commit: %w", err)
	}
	return nil
}
