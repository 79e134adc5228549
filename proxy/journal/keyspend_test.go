package journal

import (
	"context"
	"testing"
	"time"
)

// KeyCost reads key_spend: it counts from a local midnight exactly (in a
// +05:45 zone too), survives the pruning of the records, and
// PruneKeySpend keeps the last two days.
func TestKeyCostFromSpendSlots(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	nepal := time.FixedZone("+0545", 5*3600+45*60)
	midnight := time.Date(2026, 6, 10, 0, 0, 0, 0, nepal)
	rs := []Record{
		{ID: "before", Time: midnight.Add(-time.Millisecond), ClientKeyID: "k", CostMicros: 1000, Status: 200},
		{ID: "at", Time: midnight, ClientKeyID: "k", CostMicros: 20, Status: 200},
		{ID: "later", Time: midnight.Add(7 * time.Hour), ClientKeyID: "k", CostMicros: 300, Status: 200},
		{ID: "other", Time: midnight.Add(time.Hour), ClientKeyID: "j", CostMicros: 4000, Status: 200},
		{ID: "keyless", Time: midnight.Add(time.Hour), CostMicros: 50000, Status: 200},
	}
	if err := db.insertRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	// The same batch again (a writer retry) must not count twice.
	if err := db.insertRecords(ctx, rs[1:2]); err != nil {
		t.Fatal(err)
	}
	check := func(when string, want int64) {
		t.Helper()
		if c, err := db.KeyCost(ctx, "k", midnight); err != nil || c != want {
			t.Fatalf("%s: key cost %d, %v; want %d", when, c, err, want)
		}
	}
	check("written", 320)
	if _, err := db.Prune(ctx, midnight.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("records pruned", 320)
	if n, err := db.PruneKeySpend(ctx, midnight.Add(47*time.Hour)); err != nil || n != 0 {
		t.Fatalf("prune within two days: %d, %v", n, err)
	}
	check("spend pruned within two days", 320)
	if _, err := db.PruneKeySpend(ctx, midnight.Add(7*time.Hour+48*time.Hour+15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	check("spend pruned after two days", 0)
}
