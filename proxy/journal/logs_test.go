package journal

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestWriterWithPagingReaders writes 10,000 records through the async
// writer while 8 readers page through the log newest first; every page
// must be in order, no record may appear twice within one listing, and in
// the end every record is stored once and the file is sound.
func TestWriterWithPagingReaders(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	w := db.NewWriter(1<<14, nil)
	const n = 10_000
	t0 := time.UnixMilli(1_700_000_000_000)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := pageAll(ctx, db, Query{Limit: 50 + g*37}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for i := range n {
		// Several records share each millisecond, so seq must break ties.
		r := Record{ID: fmt.Sprintf("r%05d", i), Time: t0.Add(time.Duration(i/3) * time.Millisecond),
			Path: "/v1/messages", Status: 200, InputTokens: 1}
		if !w.Add(r) {
			t.Fatalf("record %d refused", i)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if w.Dropped() != 0 {
		t.Fatalf("dropped %d", w.Dropped())
	}
	seen := map[string]bool{}
	q := Query{Limit: 333}
	for {
		rs, err := db.Records(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if seen[r.ID] {
				t.Fatalf("%s listed twice", r.ID)
			}
			seen[r.ID] = true
		}
		if len(rs) < q.Limit {
			break
		}
		q.After = CursorOf(rs[len(rs)-1])
	}
	if len(seen) != n {
		t.Fatalf("paged %d records, want %d", len(seen), n)
	}
	if tot, err := db.Totals(ctx, "", time.Time{}); err != nil || tot.Requests != n || tot.InputTokens != n {
		t.Fatalf("totals %+v, %v; want %d requests", tot, err, n)
	}
	h, err := db.Check(ctx)
	if err != nil || h.Integrity != "ok" || h.QuickCheck != "ok" {
		t.Fatalf("check: %+v, %v", h, err)
	}
}

// pageAll pages through the whole log as a reader would, checking order
// and that no record shows up twice while writes go on.
func pageAll(ctx context.Context, db *DB, q Query) error {
	seen := map[string]bool{}
	var last Cursor
	for {
		rs, err := db.Records(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rs {
			c := CursorOf(r)
			if !last.IsZero() && (c.Time > last.Time || (c.Time == last.Time && c.Seq >= last.Seq)) {
				return fmt.Errorf("out of order: %v after %v", c, last)
			}
			if seen[r.ID] {
				return fmt.Errorf("%s seen twice in one listing", r.ID)
			}
			seen[r.ID] = true
			last = c
		}
		if len(rs) < q.Limit {
			return nil
		}
		q.After = CursorOf(rs[len(rs)-1])
	}
}

func TestPagingIsStableUnderInserts(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	seed(t, db, t0, 10)
	first, err := db.Records(ctx, Query{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Newer records arrive between the pages; with offsets the second page
	// would repeat the first one's tail.
	seed(t, db, t0.Add(time.Hour), 5)
	second, err := db.Records(ctx, Query{Limit: 4, After: CursorOf(first[3])})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range second {
		if want := t0.Add(time.Duration(5-i) * time.Minute); !r.Time.Equal(want) {
			t.Fatalf("second page[%d] at %v, want %v", i, r.Time, want)
		}
	}
	c, err := ParseCursor(CursorOf(first[3]).String())
	if err != nil || c != CursorOf(first[3]) {
		t.Fatalf("cursor round trip: %v, %v", c, err)
	}
	for _, bad := range []string{"x", "1.", ".2", "1-2"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
	}
}

func TestRecordsNewFilters(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	rs := []Record{
		{Time: t0, Status: 200, Session: "s1", Project: "web", ClientKeyID: "k1", Model: "opus", Path: "/v1/messages"},
		{Time: t0.Add(1), Status: 429, Session: "s1", Project: "api", Model: "haiku", Path: "/v1/messages", Error: "all accounts rate limited"},
		{Time: t0.Add(2), Status: 502, Session: "s2", Project: "web", Model: "opus", Path: "/v1/messages/count_tokens", Error: "upstream unreachable"},
		{Time: t0.Add(3), Status: 200, Session: "s2", Path: "/v1/models_100%"},
	}
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    Query
		want []int // indexes into rs, newest first
	}{
		{Query{Session: "s1"}, []int{1, 0}},
		{Query{Project: "web"}, []int{2, 0}},
		{Query{ClientKeyID: "k1"}, []int{0}},
		{Query{Model: "opus"}, []int{2, 0}},
		{Query{StatusClass: 2}, []int{3, 0}},
		{Query{StatusClass: 4}, []int{1}},
		{Query{StatusClass: 5}, []int{2}},
		{Query{Text: "count_tokens"}, []int{2}},
		{Query{Text: "RATE LIMITED"}, []int{1}},
		{Query{Text: "100%"}, []int{3}},
		{Query{Text: "v_/messages"}, nil}, // '_' is literal, not a wildcard
		{Query{Project: "web", StatusClass: 2}, []int{0}},
	}
	for _, tt := range tests {
		got, err := db.Records(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		var idx []int
		for _, r := range got {
			for i := range rs {
				if rs[i].ID == r.ID {
					idx = append(idx, i)
				}
			}
		}
		if !reflect.DeepEqual(idx, tt.want) {
			t.Errorf("%+v: got %v, want %v", tt.q, idx, tt.want)
		}
	}
}

// recount sums the raw records the way the rollups should have.
func recount(t *testing.T, db *DB) map[rollupKey]Totals {
	t.Helper()
	rows, err := db.r.Query(`SELECT time, account_id, model, project, count(*),
		sum(status >= 400 OR error != ''), sum(input_tokens), sum(output_tokens), sum(cache_read),
		sum(cache_create), sum(cost_micros) FROM records GROUP BY time / 86400000, account_id, model, project`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[rollupKey]Totals{}
	for rows.Next() {
		var k rollupKey
		var at int64
		var r Totals
		if err := rows.Scan(&at, &k.account, &k.model, &k.project, &r.Requests, &r.Errors, &r.InputTokens, &r.OutputTokens,
			&r.CacheRead, &r.CacheCreate, &r.CostMicros); err != nil {
			t.Fatal(err)
		}
		k.day = at / dayMillis
		out[k] = r
	}
	return out
}

func rollupsTable(t *testing.T, db *DB) map[rollupKey]Totals {
	t.Helper()
	rows, err := db.r.Query(`SELECT day, account_id, model, project, requests, errors, input_tokens,
		output_tokens, cache_read, cache_create, cost_micros FROM rollups`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[rollupKey]Totals{}
	for rows.Next() {
		var k rollupKey
		var r Totals
		if err := rows.Scan(&k.day, &k.account, &k.model, &k.project, &r.Requests, &r.Errors, &r.InputTokens, &r.OutputTokens,
			&r.CacheRead, &r.CacheCreate, &r.CostMicros); err != nil {
			t.Fatal(err)
		}
		out[k] = r
	}
	return out
}

// TestRollupsEqualRecount is a property test: for random records written
// in random batches (with repeated ids, which must count once), the
// rollups equal a recount of the raw rows; after random prunes they still
// equal the recount taken before pruning, and Usage agrees with them.
func TestRollupsEqualRecount(t *testing.T) {
	ctx := context.Background()
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			db := newDB(t)
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			var all []Record
			for i := range 400 + rng.IntN(400) {
				r := Record{
					ID:           fmt.Sprint("r", rng.IntN(700)), // collisions on purpose
					Time:         t0.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))),
					AccountID:    []string{"", "a", "b", "c"}[rng.IntN(4)],
					Model:        []string{"", "opus", "sonnet"}[rng.IntN(3)],
					Project:      []string{"", "web", "api"}[rng.IntN(3)],
					Status:       []int{200, 200, 200, 429, 500, 499}[rng.IntN(6)],
					InputTokens:  rng.Int64N(5000),
					OutputTokens: rng.Int64N(5000),
					CacheRead:    rng.Int64N(100),
					CacheCreate:  rng.Int64N(100),
					CostMicros:   rng.Int64N(1e6),
				}
				if i%17 == 0 {
					r.Error = "client went away"
				}
				all = append(all, r)
			}
			for rest := all; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(300))
				if err := db.insertRecords(ctx, rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			want := recount(t, db)
			if got := rollupsTable(t, db); !reflect.DeepEqual(got, want) {
				t.Fatalf("rollups differ from recount:\n got %v\nwant %v", got, want)
			}
			for range 3 {
				cut := t0.Add(time.Duration(rng.Int64N(int64(21 * 24 * time.Hour))))
				if _, err := db.Prune(ctx, cut); err != nil {
					t.Fatal(err)
				}
				if _, _, err := db.TrimToSize(ctx, 1); err != nil && !errors.Is(err, context.Canceled) {
					t.Fatal(err)
				}
				if got := rollupsTable(t, db); !reflect.DeepEqual(got, want) {
					t.Fatal("pruning changed the rollups")
				}
			}
			var sum Totals
			for _, r := range want {
				sum.Add(r)
			}
			tot, err := db.Totals(ctx, "", time.Time{})
			if err != nil || tot != sum {
				t.Fatalf("Totals %+v, %v; want %+v", tot, err, sum)
			}
		})
	}
}

func TestUsageGroups(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	day := time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)
	rs := []Record{
		{Time: day.Add(time.Hour), AccountID: "a", Model: "opus", Project: "web", Status: 200, InputTokens: 10, CostMicros: 5},
		{Time: day.Add(2 * time.Hour), AccountID: "b", Model: "opus", Status: 500, InputTokens: 20, CostMicros: 7},
		{Time: day.Add(25 * time.Hour), AccountID: "a", Model: "haiku", Project: "web", Status: 200, InputTokens: 1, CostMicros: 1},
		{Time: day.Add(49 * time.Hour), AccountID: "a", Model: "opus", Status: 200, InputTokens: 100, CostMicros: 100},
	}
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	byModel, err := db.Usage(ctx, UsageQuery{By: []string{ByModel}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byModel) != 2 || byModel[0].Model != "haiku" || byModel[1].Model != "opus" ||
		byModel[1].Requests != 3 || byModel[1].Errors != 1 || byModel[1].InputTokens != 130 || byModel[0].AccountID != "" {
		t.Fatalf("by model: %+v", byModel)
	}
	// Until is exclusive and taken to whole days: day+1 ends with day 1.
	byDay, err := db.Usage(ctx, UsageQuery{Since: day.Add(time.Hour), Until: day.Add(48 * time.Hour), By: []string{ByDay}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byDay) != 2 || !byDay[0].Day.Equal(day) || byDay[0].Requests != 2 || !byDay[1].Day.Equal(day.Add(24*time.Hour)) {
		t.Fatalf("by day: %+v", byDay)
	}
	web, err := db.Usage(ctx, UsageQuery{Project: "web", By: []string{ByAccount, ByProject}})
	if err != nil {
		t.Fatal(err)
	}
	if len(web) != 1 || web[0].AccountID != "a" || web[0].Project != "web" || web[0].Requests != 2 {
		t.Fatalf("web by account: %+v", web)
	}
	if _, err := db.Usage(ctx, UsageQuery{By: []string{"week"}}); err == nil {
		t.Error("unknown grouping accepted")
	}
	none, err := db.Usage(ctx, UsageQuery{AccountID: "nobody"})
	if err != nil || len(none) != 0 {
		t.Fatalf("no match: %+v, %v", none, err)
	}
}

func TestAuditFoldsRepeats(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	t0 := time.UnixMilli(1_700_000_000_000)
	add := func(at time.Duration, kind, subject string) {
		t.Helper()
		if err := db.AddAudit(ctx, t0.Add(at), time.Minute, kind, subject, ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		add(time.Duration(i)*time.Second, "client.auth_failed", "127.0.0.1")
	}
	add(50*time.Second, "account.paused", "work")
	add(51*time.Second, "client.auth_failed", "127.0.0.1") // the latest identical entry is still in the window
	add(5*time.Minute, "client.auth_failed", "127.0.0.1")  // out of the window: a new row
	es, err := db.Audit(ctx, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(es), es)
	}
	if es[0].N != 1 || es[1].Kind != "account.paused" || es[2].N != 51 || !es[2].Last.Equal(t0.Add(51*time.Second)) {
		t.Fatalf("entries %+v", es)
	}
	acct, err := db.Audit(ctx, AuditQuery{Kind: "account."})
	if err != nil || len(acct) != 1 {
		t.Fatalf("prefix filter: %+v, %v", acct, err)
	}
	page, err := db.Audit(ctx, AuditQuery{Before: es[0].Seq, Limit: 1})
	if err != nil || len(page) != 1 || page[0].Seq != es[1].Seq {
		t.Fatalf("next page: %+v, %v", page, err)
	}
	if n, err := db.PruneAudit(ctx, t0.Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("prune audit: %d, %v; want 2", n, err)
	}
}
