package journal

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// BenchmarkWriterAdd measures sustained throughput through the Writer, from
// Add to committed row: when the queue is full it retries instead of
// dropping, so every record is written before the clock stops.
func BenchmarkWriterAdd(b *testing.B) {
	db := newDB(b)
	w := db.NewWriter(4096, nil)
	t0 := time.UnixMilli(1_700_000_000_000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := realistic(i, t0.Add(time.Duration(i)*time.Millisecond))
		for !w.Add(r) {
			runtime.Gosched()
		}
	}
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRecordsQuery measures the Logs and Usage views' queries on a
// journal of 100,000 records (about a month of heavy use).
func BenchmarkRecordsQuery(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	t0 := time.UnixMilli(1_700_000_000_000)
	const n = 100_000
	seed(b, db, t0, n)
	mid := t0.Add(n / 2 * time.Minute)
	cases := []struct {
		name string
		run  func() error
	}{
		{"latest100", func() error { _, err := db.Records(ctx, Query{}); return err }},
		{"account100", func() error { _, err := db.Records(ctx, Query{AccountID: "b"}); return err }},
		{"window1000", func() error {
			_, err := db.Records(ctx, Query{Since: mid, Until: mid.Add(1000 * time.Minute), Limit: 1000})
			return err
		}},
		{"session100", func() error { _, err := db.Records(ctx, Query{Session: "nobody"}); return err }},
		{"text100", func() error { _, err := db.Records(ctx, Query{Text: "nothing like this"}); return err }},
		{"page50deep", func() error {
			_, err := db.Records(ctx, Query{After: Cursor{Time: mid.UnixMilli(), Seq: n / 2}, Limit: 50})
			return err
		}},
		{"totalsAll", func() error { _, err := db.Totals(ctx, "", time.Time{}); return err }},
		{"totalsAccountSince", func() error { _, err := db.Totals(ctx, "a", mid); return err }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// realistic is a record as Claude Code's requests fill it: ids, session,
// user agent and upstream request id at their real lengths.
func realistic(i int, at time.Time) Record {
	return Record{Time: at, AccountID: fmt.Sprintf("%024x", i%5), ClientKeyID: "",
		Method: "POST", Path: "/v1/messages", Model: "claude-sonnet-4-5-20250929", Status: 200, Stream: true,
		Attempts: 1, Duration: 2 * time.Second, FirstByte: 300 * time.Millisecond,
		InputTokens: 1200, OutputTokens: 400, CacheRead: 50000, CacheCreate: 2000, CostMicros: 12345,
		Session: fmt.Sprintf("0b6d3f2a-41c7-4d8e-9a5f-%012x", i/50), UserAgent: "claude-cli/2.0.14 (external, cli)",
		RequestID: fmt.Sprintf("req_011CUZ%016xYt", i), EndReason: EndComplete, Project: "web"}
}

// BenchmarkJournalSize writes 100,000 realistic records (no payloads), a
// request every 10 s, as the Writer batches them, and reports the file
// size and the bytes each record costs, indexes and rollups included.
func BenchmarkJournalSize(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		db := newDB(b)
		t0 := time.Now().Add(-n * 10 * time.Second)
		b.StartTimer()
		start := time.Now()
		for i := 0; i < n; i += maxBatch {
			rs := make([]Record, 0, maxBatch)
			for j := i; j < min(i+maxBatch, n); j++ {
				rs = append(rs, realistic(j, t0.Add(time.Duration(j)*10*time.Second)))
			}
			if err := db.insertRecords(context.Background(), rs); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		took := time.Since(start)
		if err := db.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(db.path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
		b.ReportMetric(float64(fi.Size())/n, "B/record")
		b.ReportMetric(n/took.Seconds(), "records/s")
		b.StartTimer()
	}
}

// BenchmarkUsageYear queries a year of rollups as the Usage view does:
// typical is 2 accounts x 3 models x 2 projects (4,380 rows), heavy 5 x 4
// x 3 (21,900 rows), heavyYear 10 x 8 x 3 (87,600 rows: every account used
// with every model for every project every day, an upper bound).
func BenchmarkUsageYear(b *testing.B) {
	for _, size := range []struct {
		name                       string
		accounts, models, projects int
	}{{"typical", 2, 3, 2}, {"heavy", 5, 4, 3}, {"heavyYear", 10, 8, 3}} {
		b.Run(size.name, func(b *testing.B) {
			ctx := context.Background()
			db := newDB(b)
			day0 := time.Now().UTC().Truncate(24*time.Hour).AddDate(-1, 0, 0)
			var rs []Record
			for d := range 365 {
				for a := range size.accounts {
					for m := range size.models {
						for p := range size.projects {
							rs = append(rs, Record{Time: day0.AddDate(0, 0, d).Add(time.Hour), AccountID: fmt.Sprintf("%024x", a),
								Model: fmt.Sprint("claude-model-", m), Project: fmt.Sprint("proj", p), Status: 200,
								ClientKeyID: fmt.Sprint("key", (a+p)%4), InputTokens: 100, CostMicros: 10})
						}
					}
				}
				for len(rs) > 0 {
					k := min(len(rs), maxBatch)
					if err := db.insertRecords(ctx, rs[:k]); err != nil {
						b.Fatal(err)
					}
					rs = rs[k:]
				}
			}
			for _, by := range [][]string{{ByDay}, {ByDay, ByAccount}, {ByModel}, {ByAccount}, {ByProject}, {ByAccount, ByModel}, nil} {
				b.Run(fmt.Sprint(by), func(b *testing.B) {
					for b.Loop() {
						rows, err := db.Usage(ctx, UsageQuery{Since: day0, By: by})
						if err != nil || len(rows) == 0 {
							b.Fatal(rows, err)
						}
					}
				})
			}
			// By day for one account: the filtered path, on daily rows.
			b.Run("[day]oneAccount", func(b *testing.B) {
				for b.Loop() {
					rows, err := db.Usage(ctx, UsageQuery{Since: day0, AccountID: fmt.Sprintf("%024x", 1), By: []string{ByDay}})
					if err != nil || len(rows) == 0 {
						b.Fatal(rows, err)
					}
				}
			})
		})
	}
}

// BenchmarkInsertOne writes batches of one record, as the writer does when
// requests come one at a time (the load harness's c=1).
func BenchmarkInsertOne(b *testing.B) {
	db := newDB(b)
	t0 := time.UnixMilli(1_700_000_000_000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := db.insertRecords(context.Background(), []Record{realistic(i, t0.Add(time.Duration(i)*time.Millisecond))}); err != nil {
			b.Fatal(err)
		}
	}
}
