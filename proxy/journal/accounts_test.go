package journal

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestAccountCRUD(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	a := Account{ID: "a1", Name: "work", Kind: "oauth", Priority: 2, Paused: true, PlanGuard: true,
		NeedsLogin: true, CreatedAt: time.UnixMilli(1_700_000_000_000)}
	if err := db.InsertAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := db.AccountByName(ctx, "work")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("got %+v, want %+v", got, a)
	}

	a.Name, a.Kind, a.Priority, a.Paused, a.PlanGuard, a.NeedsLogin = "home", "api-key", 5, false, false, false
	before := a.CreatedAt
	a.CreatedAt = time.UnixMilli(1) // UpdateAccount must not rewrite history
	if err := db.UpdateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.CreatedAt = before
	if got, err := db.AccountByName(ctx, "home"); err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("after update got %+v, %v; want %+v", got, err, a)
	}
	if _, err := db.AccountByName(ctx, "work"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name: %v, want ErrNotFound", err)
	}

	if err := db.DeleteAccount(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AccountByName(ctx, "home"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v, want ErrNotFound", err)
	}
}

func TestAccountErrors(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	for _, a := range []Account{{ID: "a1", Name: "one", Kind: "oauth"}, {ID: "a2", Name: "two", Kind: "oauth"}} {
		if err := db.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"insert duplicate id", db.InsertAccount(ctx, Account{ID: "a1", Name: "three", Kind: "oauth"}), ErrExists},
		{"insert duplicate name", db.InsertAccount(ctx, Account{ID: "a3", Name: "one", Kind: "oauth"}), ErrExists},
		{"update onto taken name", db.UpdateAccount(ctx, Account{ID: "a2", Name: "one", Kind: "oauth"}), ErrExists},
		{"update missing", db.UpdateAccount(ctx, Account{ID: "nope", Name: "x", Kind: "oauth"}), ErrNotFound},
		{"delete missing", db.DeleteAccount(ctx, "nope"), ErrNotFound},
		{"state for missing account", db.SaveAccountState(ctx, "nope", []byte("{}")), ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	if _, err := db.AccountByName(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("AccountByName missing: %v", err)
	}
}

func TestAccountsOrderedByPriorityThenName(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	for _, a := range []Account{
		{ID: "1", Name: "zed", Priority: 1}, {ID: "2", Name: "bob", Priority: 2},
		{ID: "3", Name: "amy", Priority: 1}, {ID: "4", Name: "cat", Priority: 0},
	} {
		if err := db.InsertAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	accts, err := db.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range accts {
		names = append(names, a.Name)
	}
	if want := []string{"cat", "amy", "zed", "bob"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("order %v, want %v", names, want)
	}
}

func TestAccountStates(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	for _, id := range []string{"a1", "a2"} {
		if err := db.InsertAccount(ctx, Account{ID: id, Name: id, Kind: "oauth"}); err != nil {
			t.Fatal(err)
		}
	}
	blob := []byte{0, 1, 2, 255, '{', '}'}
	if err := db.SaveAccountState(ctx, "a1", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccountState(ctx, "a1", blob); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAccountState(ctx, "a2", []byte(`{"q":1}`)); err != nil {
		t.Fatal(err)
	}
	states, err := db.AccountStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || !bytes.Equal(states["a1"], blob) || string(states["a2"]) != `{"q":1}` {
		t.Fatalf("states = %q", states)
	}
	if err := db.DeleteAccount(ctx, "a2"); err != nil {
		t.Fatal(err)
	}
	if states, _ := db.AccountStates(ctx); len(states) != 1 {
		t.Fatalf("state outlived its account: %q", states)
	}
}

func TestDeleteAccountKeepsHistory(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if err := db.InsertAccount(ctx, Account{ID: "a1", Name: "work", Kind: "oauth"}); err != nil {
		t.Fatal(err)
	}
	if err := db.insertRecords(ctx, []Record{{ID: "r1", AccountID: "a1", Time: time.UnixMilli(1000)}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount(ctx, "a1"); err != nil {
		t.Fatal(err)
	}
	rs, err := db.Records(ctx, Query{AccountID: "a1"})
	if err != nil || len(rs) != 1 {
		t.Fatalf("records after delete = %v, %v; want the one", rs, err)
	}
}

func TestSettings(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	if v, ok, err := db.Setting(ctx, "port"); err != nil || ok || v != "" {
		t.Fatalf("unset: %q, %v, %v", v, ok, err)
	}
	for _, v := range []string{"8080", "9090", ""} {
		if err := db.SetSetting(ctx, "port", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := db.Setting(ctx, "port"); err != nil || !ok || got != v {
			t.Fatalf("after set %q: %q, %v, %v", v, got, ok, err)
		}
	}
}
