package journal

import (
	"strings"
	"testing"
	"time"
)

// Ids sort as their times do (so the id index grows at its end), stay
// unique within one millisecond, and keep rand.Text's length and alphabet.
func TestNewIDOrderedUniqueSameShape(t *testing.T) {
	t0 := time.UnixMilli(1_764_460_000_000)
	seen := map[string]bool{}
	prev := ""
	for i := range 2000 {
		at := t0.Add(time.Duration(i/4) * time.Millisecond) // 4 ids per millisecond
		id := NewID(at)
		if len(id) != 26 || strings.Trim(id, idAlphabet) != "" {
			t.Fatalf("id %q: want 26 characters of %q", id, idAlphabet)
		}
		if seen[id] {
			t.Fatalf("id %q repeated", id)
		}
		seen[id] = true
		if i%4 == 0 && id[:10] <= prev[:min(len(prev), 10)] {
			t.Fatalf("id %q of a later millisecond does not sort after %q", id, prev)
		}
		prev = id
	}
	// Far apart times keep their order too, including the epoch and a
	// time before it (stored as 0, as millis does).
	times := []time.Time{time.UnixMilli(-5), time.UnixMilli(0), time.UnixMilli(1), t0, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i := 1; i < len(times); i++ {
		a, b := NewID(times[i-1]), NewID(times[i])
		if a[:10] > b[:10] {
			t.Errorf("NewID(%v) = %q sorts after NewID(%v) = %q", times[i-1], a, times[i], b)
		}
	}
}

// A record queued without an id gets a time-ordered one from the Writer,
// and can be read back by it.
func TestWriterFillsTimeOrderedID(t *testing.T) {
	db := newDB(t)
	t0 := time.UnixMilli(1_764_460_000_000)
	rs := []Record{{Time: t0.Add(2 * time.Second), Path: "/b"}, {Time: t0, Path: "/a"}}
	if err := db.insertRecords(t.Context(), rs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Records(t.Context(), Query{})
	if err != nil || len(got) != 2 {
		t.Fatalf("records: %v, %v", got, err)
	}
	if got[0].Path != "/b" || got[1].Path != "/a" || !(got[1].ID < got[0].ID) {
		t.Fatalf("ids not in time order: %s=%q, %s=%q", got[1].Path, got[1].ID, got[0].Path, got[0].ID)
	}
	for _, r := range got {
		if len(r.ID) != 26 || r.ID[:10] != NewID(r.Time)[:10] {
			t.Errorf("record %s: id %q does not encode its time %v", r.Path, r.ID, r.Time)
		}
	}
}
