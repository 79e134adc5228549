package journal

import (
	"context"
	"math"
	"testing"
	"time"
)

// Window shares are kept with each record and in the rollups; a late part
// (Amend) adds to the stored record and its groups, and a share for a
// record that is not stored changes nothing.
func TestWindowSharesInRecordsAndRollups(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	recs := []Record{
		{ID: "a1", Time: at, AccountID: "acc", Model: "m", Project: "p", ClientKeyID: "k1", Session: "s1", Status: 200,
			WindowShare: map[string]float64{"5h": 0.02, "7d": 0.005}},
		{ID: "a2", Time: at, AccountID: "acc", Model: "m", Project: "p", ClientKeyID: "k1", Session: "s1", Status: 200,
			WindowShare: map[string]float64{"5h": 0.01}, ShareEstimate: true},
		{ID: "b1", Time: at, AccountID: "acc", Model: "m", Project: "q", ClientKeyID: "k2", Session: "s2", Status: 200},
		{ID: "key", Time: at, AccountID: "apikey", Model: "m", Session: "s3", Status: 200},
	}
	if err := db.insertRecords(ctx, recs); err != nil {
		t.Fatal(err)
	}
	late := []Record{
		{ID: "b1", Time: at, AccountID: "acc", Model: "m", Project: "q", ClientKeyID: "k2", Session: "s2", Amend: true,
			WindowShare: map[string]float64{"5h": 0.03}, ShareEstimate: true},
		{ID: "gone", Time: at, AccountID: "acc", Model: "m", Session: "s9", Amend: true, WindowShare: map[string]float64{"5h": 0.5}},
	}
	if err := db.insertRecords(ctx, late); err != nil {
		t.Fatal(err)
	}
	r, err := db.Record(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if !nearly(r.WindowShare["5h"], 0.03) || !r.ShareEstimate {
		t.Errorf("amended record: %+v", r)
	}
	rows, err := db.Usage(ctx, UsageQuery{By: []string{BySession}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]UsageRow{}
	for _, u := range rows {
		got[u.Session] = u
	}
	if len(rows) != 3 || got["s1"].Requests != 2 || !nearly(got["s1"].WindowShare["5h"], 0.03) ||
		!nearly(got["s1"].WindowShare["7d"], 0.005) || !got["s1"].ShareEstimate {
		t.Errorf("by session: %+v", rows)
	}
	if !nearly(got["s2"].WindowShare["5h"], 0.03) || got["s3"].WindowShare != nil {
		t.Errorf("by session: s2 %+v, s3 %+v", got["s2"], got["s3"])
	}
	// The existing groupings carry the shares too, from their own rollups.
	rows, err = db.Usage(ctx, UsageQuery{By: []string{ByProject}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range rows {
		want := map[string]float64{"p": 0.03, "q": 0.03, "": 0}[u.Project]
		if !nearly(u.WindowShare["5h"], want) {
			t.Errorf("project %q: 5h %v, want %v", u.Project, u.WindowShare["5h"], want)
		}
	}
	rows, err = db.Usage(ctx, UsageQuery{By: []string{ByKey}, Session: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ClientKey != "k1" || rows[0].Requests != 2 {
		t.Errorf("by key for session s1: %+v", rows)
	}
}

func nearly(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Late parts of one record in a batch are written as one, summed, where
// the first one was; the batch given is left as it was.
func TestLateSharesOfOneRecordAreWrittenOnce(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	part := func(id string, f float64, est bool) Record {
		return Record{ID: id, Time: at, Amend: true, WindowShare: map[string]float64{"5h": f}, ShareEstimate: est}
	}
	rs := []Record{{ID: "r0", Time: at}, part("b1", 0.01, false), part("c1", 0.02, false), {ID: "r1", Time: at},
		part("b1", 0.03, true), part("b1", 0.04, false)}
	out, _ := coalesceAmends(rs)
	if len(out) != 4 || out[0].ID != "r0" || out[1].ID != "b1" || out[2].ID != "c1" || out[3].ID != "r1" {
		t.Fatalf("coalesced batch: %+v", out)
	}
	if !nearly(out[1].WindowShare["5h"], 0.08) || !out[1].ShareEstimate {
		t.Errorf("b1's parts sum to %+v, want 5h 0.08, estimate", out[1])
	}
	if len(rs) != 6 || !nearly(rs[1].WindowShare["5h"], 0.01) || rs[1].ShareEstimate {
		t.Errorf("the batch given was changed: %+v", rs)
	}
	// Written, the record holds the sum.
	db := newDB(t)
	ctx := context.Background()
	if err := db.insertRecords(ctx, []Record{{ID: "b1", Time: at, AccountID: "acc", Session: "s", Status: 200}}); err != nil {
		t.Fatal(err)
	}
	if err := db.insertRecords(ctx, rs[1:]); err != nil {
		t.Fatal(err)
	}
	r, err := db.Record(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if !nearly(r.WindowShare["5h"], 0.08) || !r.ShareEstimate {
		t.Errorf("stored b1: %+v", r)
	}
}

// A late share whose record is in the same batch is written with the
// record (no amendment), to the record and to the rollups alike; were the
// record stored already, the share still reaches it.
func TestLateShareFoldsIntoItsRecordInTheBatch(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	rec := Record{ID: "r1", Time: at, AccountID: "acc", Session: "s", Status: 200, WindowShare: map[string]float64{"5h": 0.01}}
	part := func(f float64, est bool) Record {
		return Record{ID: "r1", Time: at, AccountID: "acc", Session: "s", Amend: true,
			WindowShare: map[string]float64{"5h": f}, ShareEstimate: est}
	}
	rs := []Record{rec, part(0.02, true), {ID: "r2", Time: at, AccountID: "acc", Session: "s", Status: 200}, part(0.03, false)}
	out, folded := coalesceAmends(rs)
	if len(out) != 2 || out[0].ID != "r1" || out[0].Amend || out[1].ID != "r2" {
		t.Fatalf("folded batch: %+v", out)
	}
	if !nearly(out[0].WindowShare["5h"], 0.06) || !out[0].ShareEstimate {
		t.Errorf("r1 with its late parts: %+v, want 5h 0.06, estimate", out[0])
	}
	if f := folded["r1"]; !nearly(f.WindowShare["5h"], 0.05) || !f.Amend || !f.ShareEstimate {
		t.Errorf("r1's late part kept aside: %+v, want 5h 0.05, estimate", f)
	}
	if !nearly(rs[0].WindowShare["5h"], 0.01) || rs[0].ShareEstimate || !nearly(rs[1].WindowShare["5h"], 0.02) {
		t.Errorf("the batch given was changed: %+v", rs)
	}

	db := newDB(t)
	ctx := context.Background()
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	share := func(want float64) {
		t.Helper()
		r, err := db.Record(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if !nearly(r.WindowShare["5h"], want) || !r.ShareEstimate {
			t.Errorf("stored r1: %+v, want 5h %v, estimate", r, want)
		}
		rows, err := db.Usage(ctx, UsageQuery{By: []string{BySession}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Requests != 2 || !nearly(rows[0].WindowShare["5h"], want) {
			t.Errorf("session s: %+v, want 2 requests, 5h %v", rows, want)
		}
	}
	share(0.06)
	// The same batch again: r1 and r2 are stored, only the late parts add.
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	share(0.11)
}
