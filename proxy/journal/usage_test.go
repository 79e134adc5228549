package journal

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// usageFromDays is Usage computed the slow, obvious way: from every daily
// rollup row, in Go.
func usageFromDays(days map[rollupKey]Totals, q UsageQuery) []UsageRow {
	type gk struct {
		day                     int64
		account, model, project string
	}
	sums := map[gk]*Totals{}
	for k, r := range days {
		if (!q.Since.IsZero() && k.day < dayOf(q.Since)) || (!q.Until.IsZero() && k.day > dayOf(q.Until.Add(-time.Millisecond))) ||
			(q.AccountID != "" && k.account != q.AccountID) || (q.Model != "" && k.model != q.Model) ||
			(q.Project != "" && k.project != q.Project) {
			continue
		}
		var g gk
		if slices.Contains(q.By, ByDay) {
			g.day = k.day
		}
		if slices.Contains(q.By, ByAccount) {
			g.account = k.account
		}
		if slices.Contains(q.By, ByModel) {
			g.model = k.model
		}
		if slices.Contains(q.By, ByProject) {
			g.project = k.project
		}
		s := sums[g]
		if s == nil {
			s = &Totals{}
			sums[g] = s
		}
		s.Add(r)
	}
	var out []UsageRow
	for g, s := range sums {
		u := UsageRow{AccountID: g.account, Model: g.model, Project: g.project, Totals: *s}
		if slices.Contains(q.By, ByDay) {
			u.Day = time.UnixMilli(g.day * dayMillis).UTC()
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b UsageRow) int {
		for _, by := range q.By {
			var c int
			switch by {
			case ByDay:
				c = a.Day.Compare(b.Day)
			case ByAccount:
				c = strings.Compare(a.AccountID, b.AccountID)
			case ByModel:
				c = strings.Compare(a.Model, b.Model)
			case ByProject:
				c = strings.Compare(a.Project, b.Project)
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

// TestUsageBlocksEqualDays is a property test: whatever the range (whole
// 16-day blocks, partial edges, inside one block, open ends), filter and
// grouping, Usage, which reads whole blocks and the edges day by day,
// equals a sum of the daily rollups.
func TestUsageBlocksEqualDays(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 9))
	db := newDB(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rs []Record
	for range 800 {
		rs = append(rs, Record{Time: t0.Add(time.Duration(rng.Int64N(int64(120 * 24 * time.Hour)))),
			AccountID: []string{"a", "b", "c"}[rng.IntN(3)], Model: []string{"opus", "sonnet"}[rng.IntN(2)],
			Project: []string{"", "web"}[rng.IntN(2)], Status: []int{200, 500}[rng.IntN(2)],
			InputTokens: rng.Int64N(1000), OutputTokens: rng.Int64N(1000), CacheRead: rng.Int64N(9),
			CacheCreate: rng.Int64N(9), CostMicros: rng.Int64N(1e5)})
	}
	for len(rs) > 0 {
		k := min(len(rs), 1+rng.IntN(maxBatch))
		if err := db.insertRecords(ctx, rs[:k]); err != nil {
			t.Fatal(err)
		}
		rs = rs[k:]
	}
	days := rollupsTable(t, db)
	groupings := [][]string{nil, {ByModel}, {ByAccount}, {ByProject}, {ByAccount, ByModel}, {ByDay}, {ByDay, ByModel}, {ByDay, ByAccount}}
	for i := range 80 {
		var q UsageQuery
		if rng.IntN(4) > 0 {
			q.Since = t0.Add(time.Duration(rng.Int64N(int64(130*24*time.Hour))) - 5*24*time.Hour)
		}
		if rng.IntN(4) > 0 {
			q.Until = q.Since.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
			if q.Since.IsZero() {
				q.Until = t0.Add(time.Duration(rng.Int64N(int64(130 * 24 * time.Hour))))
			}
		}
		switch rng.IntN(4) {
		case 0:
			q.AccountID = "b"
		case 1:
			q.Model = "opus"
		case 2:
			q.Project = "web"
		}
		q.By = groupings[rng.IntN(len(groupings))]
		got, err := db.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := usageFromDays(days, q); !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d %+v:\n got %+v\nwant %+v", i, q, got, want)
		}
	}
}

// TestUsageYearPlans checks the plan of a year's usage: by model (or any
// model or project grouping) whole blocks from rollup_blocks and days only
// at the edges; by day, account or both (the Usage view) and totals, a
// range of rollup_days; never the whole year of daily rows (~90,000 at 10
// accounts x 8 models x 3 projects, 65-110 ms to sort before).
func TestUsageYearPlans(t *testing.T) {
	db := newDB(t)
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		by     []string
		blocks bool
	}{
		{[]string{ByModel}, true}, {[]string{ByProject}, true}, {[]string{ByAccount, ByModel}, true},
		{[]string{ByAccount}, false}, {[]string{ByDay}, false}, {[]string{ByDay, ByAccount}, false}, {nil, false},
	} {
		q := UsageQuery{Since: now.AddDate(-1, 0, 0), Until: now, By: c.by}
		query, args, _, err := q.sql()
		if err != nil {
			t.Fatal(err)
		}
		plan := planOf(t, db, query, args...)
		arms := strings.Count(plan, "SEARCH rollups USING PRIMARY KEY (day>? AND day<?)")
		switch {
		case c.blocks && (!strings.Contains(plan, "rollup_blocks") || arms != 2):
			t.Errorf("by %v: want whole blocks and 2 ranged day arms:\n%s", c.by, plan)
		case !c.blocks && (!strings.Contains(plan, "SEARCH rollup_days USING PRIMARY KEY (day>? AND day<?)") ||
			strings.Contains(plan, "rollups ")):
			t.Errorf("by %v: want a range of rollup_days only:\n%s", c.by, plan)
		}
	}
}
