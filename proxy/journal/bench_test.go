package journal

import (
	"context"
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
		r := Record{Time: t0.Add(time.Duration(i) * time.Millisecond), AccountID: "acct-1", ClientKeyID: "key-1",
			Method: "POST", Path: "/v1/messages", Model: "claude-sonnet-4", Status: 200, Stream: true,
			Attempts: 1, Duration: 2 * time.Second, FirstByte: 300 * time.Millisecond,
			InputTokens: 1200, OutputTokens: 400, CacheRead: 50000, CacheCreate: 2000, CostMicros: 12345}
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
