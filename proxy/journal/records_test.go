package journal

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// seed stores records at t0+0..n-1 minutes, alternating accounts a and b.
func seed(t testing.TB, db *DB, t0 time.Time, n int) {
	t.Helper()
	rs := make([]Record, n)
	for i := range rs {
		acct := "a"
		if i%2 == 1 {
			acct = "b"
		}
		rs[i] = Record{Time: t0.Add(time.Duration(i) * time.Minute), AccountID: acct, Model: "claude",
			InputTokens: 10, OutputTokens: 20, CacheRead: 3, CacheCreate: 4, CostMicros: 100, Status: 200}
	}
	for len(rs) > 0 {
		k := min(len(rs), maxBatch)
		if err := db.insertRecords(context.Background(), rs[:k]); err != nil {
			t.Fatal(err)
		}
		rs = rs[k:]
	}
}

func TestRecordRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	want := Record{ID: "r1", Time: time.UnixMilli(1_700_000_000_123), AccountID: "a", ClientKeyID: "k",
		Method: "POST", Path: "/v1/messages", Model: "claude-x", Status: 429, Stream: true, Attempts: 3,
		Duration: 1500 * time.Millisecond, FirstByte: 250 * time.Microsecond, InputTokens: 1, OutputTokens: 2,
		CacheRead: 3, CacheCreate: 4, CostMicros: 5, Error: "rate limited", Failovers: 2, Session: "s1",
		UserAgent: "claude-cli/2", RequestID: "req_1", EndReason: EndTruncated, Project: "web"}
	in := want
	in.Payload = &Payload{Request: []byte("sealed-req"), Response: []byte("sealed-resp"), ResponseTruncated: true}
	if err := db.insertRecords(ctx, []Record{in}); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Records(ctx, Query{})
	if err != nil || len(rs) != 1 {
		t.Fatalf("%v, %v", rs, err)
	}
	want.Seq, want.HasPayload = 1, true
	if !reflect.DeepEqual(rs[0], want) {
		t.Fatalf("got  %+v\nwant %+v", rs[0], want)
	}
	one, err := db.Record(ctx, "r1")
	if err != nil || !reflect.DeepEqual(one, want) {
		t.Fatalf("Record(r1) = %+v, %v", one, err)
	}
	p, err := db.Payload(ctx, "r1")
	if err != nil || !reflect.DeepEqual(p, *in.Payload) {
		t.Fatalf("Payload(r1) = %+v, %v; want %+v", p, err, *in.Payload)
	}
	if _, err := db.Record(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Record(nope) = %v, want ErrNotFound", err)
	}
}

func TestRecordsFilters(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	seed(t, db, t0, 300)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	tests := []struct {
		name        string
		q           Query
		n           int
		first, last time.Time
	}{
		{"default limit", Query{}, 100, at(299), at(200)},
		{"limit", Query{Limit: 5}, 5, at(299), at(295)},
		{"since inclusive", Query{Since: at(290), Limit: 1000}, 10, at(299), at(290)},
		{"until exclusive", Query{Until: at(10), Limit: 1000}, 10, at(9), at(0)},
		{"window", Query{Since: at(10), Until: at(20), Limit: 1000}, 10, at(19), at(10)},
		{"account", Query{AccountID: "b", Limit: 1000}, 150, at(299), at(1)},
		{"account and window", Query{AccountID: "a", Since: at(10), Until: at(20)}, 5, at(18), at(10)},
		{"no match", Query{AccountID: "zzz"}, 0, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := db.Records(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != tt.n {
				t.Fatalf("%d records, want %d", len(rs), tt.n)
			}
			if tt.n == 0 {
				return
			}
			if !rs[0].Time.Equal(tt.first) || !rs[len(rs)-1].Time.Equal(tt.last) {
				t.Errorf("range %v..%v, want %v..%v", rs[0].Time, rs[len(rs)-1].Time, tt.first, tt.last)
			}
			for i := 1; i < len(rs); i++ {
				if rs[i].Time.After(rs[i-1].Time) {
					t.Fatalf("not newest first at %d", i)
				}
				if tt.q.AccountID != "" && rs[i].AccountID != tt.q.AccountID {
					t.Fatalf("record of account %q", rs[i].AccountID)
				}
			}
		})
	}
}

func TestTotals(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	seed(t, db, t0, 10)
	per := func(n int64) Totals {
		return Totals{Requests: n, InputTokens: 10 * n, OutputTokens: 20 * n, CacheRead: 3 * n, CacheCreate: 4 * n, CostMicros: 100 * n}
	}
	tests := []struct {
		acct  string
		since time.Time
		want  Totals
	}{
		{"", time.Time{}, per(10)},
		{"a", time.Time{}, per(5)},
		// Totals read daily rollups: since counts from the start of its UTC day.
		{"b", t0.Add(5 * time.Minute), per(5)},
		{"b", t0.Add(24 * time.Hour), Totals{}},
		{"nobody", time.Time{}, Totals{}},
	}
	for _, tt := range tests {
		got, err := db.Totals(ctx, tt.acct, tt.since)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Totals(%q, %v) = %+v, want %+v", tt.acct, tt.since, got, tt.want)
		}
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	const n = 2*pruneChunk + 10 // more than one chunk
	seed(t, db, t0, n)
	cut := t0.Add((n - 7) * time.Minute)
	got, err := db.Prune(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	if got != n-7 {
		t.Fatalf("pruned %d, want %d", got, n-7)
	}
	rs, err := db.Records(ctx, Query{Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 7 || rs[len(rs)-1].Time.Before(cut) {
		t.Fatalf("%d left, oldest %v; want 7 from %v", len(rs), rs[len(rs)-1].Time, cut)
	}
	if got, err := db.Prune(ctx, cut); err != nil || got != 0 {
		t.Errorf("second prune: %d, %v", got, err)
	}
}
