package journal

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
	"time"
)

// seedPayloads stores n records a minute apart, each with two incompressible
// bodies of size bytes.
func seedPayloads(t *testing.T, db *DB, t0 time.Time, n, size int) {
	t.Helper()
	var rs []Record
	for i := range n {
		rs = append(rs, Record{ID: fmt.Sprintf("p%04d", i), Time: t0.Add(time.Duration(i) * time.Minute), Status: 200,
			Payload: &Payload{Request: randomBytes(size), Response: randomBytes(size)}})
	}
	for len(rs) > 0 {
		k := min(len(rs), 50)
		if err := db.insertRecords(context.Background(), rs[:k]); err != nil {
			t.Fatal(err)
		}
		rs = rs[k:]
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// payloadIDs lists the ids of the records that still have a payload.
func payloadIDs(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	rows, err := db.r.Query(`SELECT r.id FROM payloads p JOIN records r ON r.seq = p.seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

func TestRetentionByAgeAndPayloadAge(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	seedPayloads(t, db, t0, 300, 1000)
	// Payloads of the first 200 minutes go; their records stay.
	n, err := db.PrunePayloads(ctx, t0.Add(200*time.Minute))
	if err != nil || n != 200 {
		t.Fatalf("PrunePayloads = %d, %v; want 200", n, err)
	}
	ids := payloadIDs(t, db)
	for i := range 300 {
		if want := i >= 200; ids[fmt.Sprintf("p%04d", i)] != want {
			t.Fatalf("payload of p%04d kept = %v, want %v", i, !want, want)
		}
	}
	if rs, _ := db.Records(ctx, Query{Limit: 1000}); len(rs) != 300 {
		t.Fatalf("%d records, want all 300", len(rs))
	}
	// Records of the first 250 minutes go, with the payloads they had.
	n, err = db.Prune(ctx, t0.Add(250*time.Minute))
	if err != nil || n != 250 {
		t.Fatalf("Prune = %d, %v; want 250", n, err)
	}
	if ids := payloadIDs(t, db); len(ids) != 50 || !ids["p0250"] || ids["p0249"] {
		t.Fatalf("%d payloads left after prune, want p0250..p0299", len(ids))
	}
	h, err := db.Check(ctx)
	if err != nil || h.Integrity != "ok" || h.Rows["records"] != 50 || h.Rows["payloads"] != 50 {
		t.Fatalf("health %+v, %v", h, err)
	}
	if tot, err := db.Totals(ctx, "", time.Time{}); err != nil || tot.Requests != 300 {
		t.Fatalf("totals after pruning: %+v, %v; want all 300 requests", tot, err)
	}
}

func TestTrimToSizeDropsOldestAndFileShrinks(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	seedPayloads(t, db, t0, 400, 8<<10) // ~6.4 MB of payloads
	if err := db.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, db.path)
	used, err := db.UsedBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	limit := used / 2
	recs, pays, err := db.TrimToSize(ctx, limit)
	if err != nil {
		t.Fatal(err)
	}
	if recs != 0 {
		t.Fatalf("deleted %d records while payloads were left to delete", recs)
	}
	after, _ := db.UsedBytes(ctx)
	if after > limit {
		t.Fatalf("used %d after trimming to %d", after, limit)
	}
	// Only the oldest payloads went, and not more than one chunk too many.
	ids := payloadIDs(t, db)
	for i := range 400 {
		if want := i >= int(pays); ids[fmt.Sprintf("p%04d", i)] != want {
			t.Fatalf("payload p%04d kept = %v, want %v (deleted the %d oldest)", i, !want, want, pays)
		}
	}
	if pays < 200 || pays > 200+payloadChunk {
		t.Fatalf("deleted %d payloads to halve the size, want about 200", pays)
	}
	if err := db.Compact(ctx, false); err != nil {
		t.Fatal(err)
	}
	shrunk := fileSize(t, db.path)
	if shrunk > before*6/10 {
		t.Fatalf("file %d bytes after compaction, was %d: space not given back", shrunk, before)
	}
	if wal := fileSize(t, db.path+"-wal"); wal != 0 {
		t.Errorf("WAL %d bytes after a truncating checkpoint", wal)
	}
	// With no payloads left, the oldest records go.
	recs, pays, err = db.TrimToSize(ctx, 1)
	if err != nil || recs != 400 || pays != int64(len(ids)) {
		t.Fatalf("trim to nothing: %d records, %d payloads, %v", recs, pays, err)
	}
}
