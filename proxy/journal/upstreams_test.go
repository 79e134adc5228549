package journal

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// An upstream's configuration is stored with its account and goes with it.
func TestUpstreamsGoWithTheirAccount(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	u := Upstream{BaseURL: "https://gw.example/api/anthropic", Auth: "bearer",
		Maps: []ModelMap{{"claude-sonnet-*", "glm-4.6"}}, Models: []string{"glm-4.5-air"}}
	if err := db.SaveUpstream(ctx, "nope", u); !errors.Is(err, ErrNotFound) {
		t.Fatalf("upstream of no account: %v, want ErrNotFound", err)
	}
	if err := db.InsertAccount(ctx, Account{ID: "a1", Name: "glm", Kind: "upstream", CreatedAt: time.UnixMilli(1)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveUpstream(ctx, "a1", u); err != nil {
		t.Fatal(err)
	}
	got, err := db.Upstreams(ctx)
	if err != nil || !reflect.DeepEqual(got, map[string]Upstream{"a1": u}) {
		t.Fatalf("Upstreams = %+v, %v; want a1: %+v", got, err, u)
	}
	if err := db.DeleteAccount(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Upstreams(ctx); err != nil || len(got) != 0 {
		t.Fatalf("after removing the account: %+v, %v", got, err)
	}
}

// The model asked for is stored beside the model sent.
func TestRecordKeepsModelAsked(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	r := Record{ID: "r1", Time: time.UnixMilli(1_700_000_000_000), Model: "glm-4.6", ModelAsked: "claude-sonnet-4-5", Status: 200}
	if err := db.insertRecords(ctx, []Record{r}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Record(ctx, "r1")
	if err != nil || got.Model != "glm-4.6" || got.ModelAsked != "claude-sonnet-4-5" {
		t.Fatalf("stored %+v, %v", got, err)
	}
}
