package usage

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Price is a model's list price in US dollars per million tokens.
type Price struct {
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheWrite5m float64 `json:"cache_write_5m"` // 5-minute cache writes (1.25x input on current models)
	CacheWrite1h float64 `json:"cache_write_1h"` // 1-hour cache writes (2x input)
	CacheRead    float64 `json:"cache_read"`
}

// Tier is the price of requests whose prompt (input, cache reads and cache
// writes together) exceeds AbovePrompt tokens: Anthropic prices such long
// prompts higher on every bucket.
type Tier struct {
	AbovePrompt int64 `json:"above_prompt_tokens"`
	Price
}

// Row is one line of the price table.
type Row struct {
	// Prefix is a model id prefix ("claude-opus-4-5"); see Table.Lookup.
	Prefix string `json:"prefix"`
	Price
	Tiers   []Tier `json:"tiers,omitempty"`
	Checked string `json:"checked"` // the day the row was compared with its source
	Source  string `json:"source"`
	// Override is set on rows that came from the user's prices.json.
	Override bool `json:"override,omitempty"`
}

// priceFor is the price that applies to a request with prompt tokens.
func (r Row) priceFor(prompt int64) Price {
	p := r.Price
	best := int64(-1)
	for _, t := range r.Tiers {
		if prompt > t.AbovePrompt && t.AbovePrompt > best {
			p, best = t.Price, t.AbovePrompt
		}
	}
	return p
}

// Table is a price table: the embedded list prices, with the user's
// overrides merged over them. The zero Table prices nothing.
type Table struct {
	rows []Row // longest prefix first
}

//go:embed prices.json
var embedded []byte

type tableFile struct {
	Models []Row `json:"models"`
}

// Default returns the embedded table of Anthropic list prices.
func Default() *Table {
	t, err := parse(embedded)
	if err != nil {
		panic("usage: embedded prices.json: " + err.Error()) // a build defect, caught by the tests
	}
	return t
}

func parse(b []byte) (*Table, error) {
	var f tableFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, r := range f.Models {
		switch {
		case r.Prefix == "":
			return nil, fmt.Errorf("row %d has no prefix", i+1)
		case seen[r.Prefix]:
			return nil, fmt.Errorf("prefix %q appears twice", r.Prefix)
		case !validPrice(r.Price):
			return nil, fmt.Errorf("%s: prices must be zero or more", r.Prefix)
		}
		for _, t := range r.Tiers {
			if t.AbovePrompt <= 0 || !validPrice(t.Price) {
				return nil, fmt.Errorf("%s: a tier needs above_prompt_tokens > 0 and prices of zero or more", r.Prefix)
			}
		}
		seen[r.Prefix] = true
	}
	t := &Table{rows: f.Models}
	t.sort()
	return t, nil
}

func validPrice(p Price) bool {
	for _, v := range []float64{p.Input, p.Output, p.CacheWrite5m, p.CacheWrite1h, p.CacheRead} {
		if !(v >= 0) {
			return false
		}
	}
	return true
}

func (t *Table) sort() {
	slices.SortStableFunc(t.rows, func(a, b Row) int { return len(b.Prefix) - len(a.Prefix) })
}

// Load returns the embedded table with the rows of the file at path merged
// over it (a row with the same prefix replaces the embedded one, others are
// added). A missing file is no error; a file that cannot be read or parsed
// is, naming the file, so the engine refuses to start on a typo rather than
// pricing with half a table.
func Load(path string) (*Table, error) {
	t := Default()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, fmt.Errorf("price overrides: %w", err)
	}
	o, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("price overrides in %s: %w (want {\"models\":[{\"prefix\":...,\"input\":...,\"output\":...}]})", path, err)
	}
	for _, r := range o.rows {
		r.Override = true
		if r.Checked == "" {
			r.Checked = "user"
		}
		if r.Source == "" {
			r.Source = path
		}
		if i := slices.IndexFunc(t.rows, func(x Row) bool { return x.Prefix == r.Prefix }); i >= 0 {
			t.rows[i] = r
		} else {
			t.rows = append(t.rows, r)
		}
	}
	t.sort()
	return t, nil
}

// Rows returns the table's rows, longest prefix first.
func (t *Table) Rows() []Row { return slices.Clone(t.rows) }

// Lookup returns the row that prices model: the longest prefix that matches
// at a boundary. A prefix matches when the model id (after any provider
// prefix such as "us.anthropic.") equals it or continues with a separator
// and a part that is not a minor version: "claude-opus-4" prices
// "claude-opus-4-20250514" but not "claude-opus-4-7", which is a model of
// its own and unpriced until it has a row, rather than priced as Opus 4.
func (t *Table) Lookup(model string) (Row, bool) {
	if i := strings.Index(model, "claude-"); i > 0 {
		model = model[i:]
	}
	for _, r := range t.rows {
		if rest, ok := strings.CutPrefix(model, r.Prefix); ok && boundary(rest) {
			return r, true
		}
	}
	return Row{}, false
}

// boundary reports whether rest, what follows a matched prefix, starts a
// new part of the id that is not a version number of one or two digits.
func boundary(rest string) bool {
	if rest == "" {
		return true
	}
	if !strings.ContainsRune("-@:_[", rune(rest[0])) {
		return false
	}
	part := rest[1:]
	if i := strings.IndexAny(part, "-@:_[."); i >= 0 {
		part = part[:i]
	}
	return !(len(part) >= 1 && len(part) <= 2 && strings.Trim(part, "0123456789") == "")
}

// Cost is the list-price cost of c in millionths of a dollar (tokens x
// dollars per million tokens is exactly that unit), and whether the model
// has a price at all: an unpriced model's cost is unknown, not zero.
func (t *Table) Cost(c Counts) (micros int64, priced bool) {
	r, ok := t.Lookup(c.Model)
	if !ok {
		return 0, false
	}
	return cost(r.priceFor(c.prompt()), c), true
}

// CapCost is what c counts against a client key's cost cap: its cost when
// the model is priced, else its cost at the most expensive price known for
// its family (opus, sonnet, haiku, fable), else at the most expensive price
// in the table, so an unpriced model can never slip past a cap.
func (t *Table) CapCost(c Counts) int64 {
	if v, ok := t.Cost(c); ok {
		return v
	}
	fam := Family(c.Model)
	var best int64
	for pass := 0; pass < 2 && best == 0; pass++ {
		for _, r := range t.rows {
			if pass == 0 && Family(r.Prefix) != fam {
				continue
			}
			best = max(best, cost(r.priceFor(c.prompt()), c))
			for _, tier := range r.Tiers {
				best = max(best, cost(tier.Price, c))
			}
		}
	}
	return best
}

func cost(p Price, c Counts) int64 {
	w5 := max(c.CacheCreate-c.CacheCreate1h, 0)
	v := float64(c.InputTokens)*p.Input + float64(c.OutputTokens)*p.Output +
		float64(w5)*p.CacheWrite5m + float64(c.CacheCreate1h)*p.CacheWrite1h +
		float64(c.CacheRead)*p.CacheRead
	return int64(v + 0.5)
}

// Family is the model family of a model id: its first word of letters
// other than "claude" ("claude-opus-4-1" -> "opus", "claude-3-5-haiku" ->
// "haiku"); "" when there is none.
func Family(model string) string {
	if i := strings.Index(model, "claude-"); i > 0 {
		model = model[i:] // us.anthropic.claude-...
	}
	for _, f := range strings.FieldsFunc(strings.ToLower(model), func(r rune) bool { return r < 'a' || r > 'z' }) {
		if f != "claude" {
			return f
		}
	}
	return ""
}
