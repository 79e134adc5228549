package proxy_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

func TestRetentionPrunesOldRecordsOnly(t *testing.T) {
	e := newEnv(t) // default retention: 30 days
	e.addKey("work", accountKey)
	ctx := context.Background()
	request := func() {
		resp := e.do("POST", "/v1/messages", `{"model":"m"}`, nil)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	count := func() int {
		recs, err := e.db.Records(ctx, journal.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(recs)
	}
	request()
	testkit.WaitFor(t, "first record journaled", func() bool { return count() == 1 })
	e.clock.Advance(29 * 24 * time.Hour)
	request()
	testkit.WaitFor(t, "second record journaled", func() bool { return count() == 2 })
	if n := e.svc.Prune(ctx); n != 0 {
		t.Fatalf("pruned %d records younger than 30 days", n)
	}
	e.clock.Advance(2 * 24 * time.Hour) // first is 31 days old, second 2
	if n := e.svc.Prune(ctx); n != 1 {
		t.Fatalf("pruned %d records, want the one older than 30 days", n)
	}
	if c := count(); c != 1 {
		t.Fatalf("%d records left, want 1", c)
	}
}
