package usage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookupMatchesLongestPrefixAtABoundary(t *testing.T) {
	tab := Default()
	for _, tc := range []struct {
		model, prefix string
	}{
		{"claude-opus-4-7", "claude-opus-4-7"},
		{"claude-opus-4-8-20261001", "claude-opus-4-8"},
		{"claude-opus-4-20250514", "claude-opus-4"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"claude-opus-5-5", "claude-opus-5-5"},
		{"claude-opus-5", "claude-opus-5"},
		{"claude-opus-5[1m]", "claude-opus-5"},
		{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{"us.anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"},
		{"claude-fable-5-1", "claude-fable-5-1"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"claude-opus-4-9", ""}, // a new minor version: unpriced, not Opus 4's $15
		{"claude-opus-55", ""},  // not a boundary
		{"claude-sonnet-6", ""}, // unknown
		{"gpt-4o", ""},
	} {
		r, ok := tab.Lookup(tc.model)
		if ok != (tc.prefix != "") || r.Prefix != tc.prefix {
			t.Errorf("Lookup(%q) = %q %v, want %q", tc.model, r.Prefix, ok, tc.prefix)
		}
	}
}

func TestListPricesOfDecember2026(t *testing.T) {
	tab := Default()
	for model, want := range map[string][2]float64{
		"claude-opus-4-5": {5, 25}, "claude-opus-4-6": {5, 25}, "claude-opus-4-7": {5, 25}, "claude-opus-4-8": {5, 25},
		"claude-opus-5": {5, 25}, "claude-opus-5-5": {4, 20}, "claude-sonnet-5": {2, 10}, "claude-sonnet-5-5": {2, 10},
		"claude-haiku-4-5": {1, 5}, "claude-haiku-5-5": {0.10, 0.50}, "claude-fable-5": {10, 50}, "claude-fable-5-1": {10, 50},
		"claude-opus-4-20250514": {15, 75}, "claude-opus-4-1": {15, 75}, "claude-sonnet-4-5": {3, 15}, "claude-3-5-haiku": {0.8, 4},
	} {
		r, ok := tab.Lookup(model)
		if !ok || r.Input != want[0] || r.Output != want[1] {
			t.Errorf("%s: %+v %v, want $%v/$%v", model, r.Price, ok, want[0], want[1])
		}
		if r.Checked == "" || r.Source == "" {
			t.Errorf("%s: row has no date or source", model)
		}
		if r.CacheWrite5m != r.Input*1.25 || r.CacheWrite1h != r.Input*2 {
			t.Errorf("%s: cache writes %v/%v, want 1.25x and 2x input", model, r.CacheWrite5m, r.CacheWrite1h)
		}
	}
}

func TestCostSplitsCacheWritesByLifetimeAndAppliesTiers(t *testing.T) {
	tab := Default()
	// Opus 5.5: 1000 in x $4 + 100 out x $20 + 600 5m-writes x $5 + 400 1h-writes x $8 = 4000+2000+3000+3200.
	c := Counts{Model: "claude-opus-5-5", InputTokens: 1000, OutputTokens: 100, CacheCreate: 1000, CacheCreate1h: 400}
	if v, ok := tab.Cost(c); !ok || v != 12200 {
		t.Errorf("opus 5.5 cost %d %v, want 12200", v, ok)
	}
	// Haiku 5.5 under and over 100K prompt tokens (input + cache reads + writes).
	small := Counts{Model: "claude-haiku-5-5", InputTokens: 50_000, OutputTokens: 1000}
	if v, _ := tab.Cost(small); v != 5500 {
		t.Errorf("haiku 5.5 short prompt %d, want 5500", v)
	}
	long := Counts{Model: "claude-haiku-5-5", InputTokens: 60_000, CacheRead: 50_000, OutputTokens: 1000}
	if v, _ := tab.Cost(long); v != 30000+2500+2500 {
		t.Errorf("haiku 5.5 long prompt %d, want %d", v, 30000+2500+2500)
	}
}

func TestUnpricedModelIsUnknownNotZeroAndCappedAtItsFamilysTop(t *testing.T) {
	tab := Default()
	c := Counts{Model: "claude-opus-6", InputTokens: 1000, OutputTokens: 1000}
	if _, ok := tab.Cost(c); ok {
		t.Fatal("claude-opus-6 is priced")
	}
	if got := tab.CapCost(c); got != 15*1000+75*1000 { // Opus 4's $15/$75 is the family's top
		t.Errorf("opus cap cost %d, want %d", got, 90000)
	}
	c.Model = "claude-newfamily-1"
	if got := tab.CapCost(c); got != 15*1000+75*1000 {
		t.Errorf("unknown family cap cost %d, want the table's top %d", got, 90000)
	}
}

func TestLoadMergesOverridesAndRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prices.json")
	if _, err := Load(path); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(path, []byte(`{"models":[{"prefix":"claude-opus-5-5","input":3,"output":15},{"prefix":"claude-sonnet-6","input":2,"output":9}]}`), 0o600)
	tab, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := tab.Lookup("claude-opus-5-5")
	if r.Input != 3 || !r.Override {
		t.Errorf("override not applied: %+v", r)
	}
	if r, ok := tab.Lookup("claude-sonnet-6-20270101"); !ok || r.Output != 9 || !r.Override {
		t.Errorf("new row: %+v %v", r, ok)
	}
	if r, _ := tab.Lookup("claude-opus-5"); r.Input != 5 || r.Override {
		t.Errorf("embedded row changed: %+v", r)
	}
	for _, bad := range []string{`{"models":[{"input":1}]}`, `{"models":[{"prefix":"x","input":-1}]}`, `not json`} {
		os.WriteFile(path, []byte(bad), 0o600)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err %v, want one naming the file", bad, err)
		}
	}
}

func TestUsageReadsTheOneHourCacheSplit(t *testing.T) {
	body := `{"type":"message","model":"claude-opus-5","usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":300,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200}}}`
	c, ok := FromJSON([]byte(body))
	if !ok || c.CacheCreate != 300 || c.CacheCreate1h != 200 {
		t.Fatalf("json: %+v %v", c, ok)
	}
	var m Meter
	m.Write([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-opus-5\",\"usage\":" +
		`{"input_tokens":10,"cache_creation_input_tokens":300,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},"output_tokens":1}` + "}}\n\n"))
	if c, _ := m.Counts(); c.CacheCreate1h != 200 || c.CacheCreate != 300 {
		t.Fatalf("sse: %+v", c)
	}
}
