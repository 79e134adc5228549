package usage

import "strings"

// Price is a model's list price in US dollars per million tokens.
type Price struct {
	Input, Output, CacheWrite, CacheRead float64
}

// prices are Anthropic's published list prices, matched by model-name
// prefix, most specific first. Cache writes are the 5-minute tier (1.25x
// input); cache reads 0.1x input. An unknown model is priced at zero rather
// than guessed.
var prices = []struct {
	prefix string
	price  Price
}{
	{"claude-opus-4-5", Price{5, 25, 6.25, 0.50}},
	{"claude-opus-4-6", Price{5, 25, 6.25, 0.50}},
	{"claude-opus-4", Price{15, 75, 18.75, 1.50}},
	{"claude-3-opus", Price{15, 75, 18.75, 1.50}},
	{"claude-sonnet-4", Price{3, 15, 3.75, 0.30}},
	{"claude-3-7-sonnet", Price{3, 15, 3.75, 0.30}},
	{"claude-3-5-sonnet", Price{3, 15, 3.75, 0.30}},
	{"claude-haiku-4", Price{1, 5, 1.25, 0.10}},
	{"claude-3-5-haiku", Price{0.80, 4, 1, 0.08}},
	{"claude-3-haiku", Price{0.25, 1.25, 0.30, 0.03}},
}

// PriceOf returns the list price of a model and whether it is known.
func PriceOf(model string) (Price, bool) {
	for _, p := range prices {
		if strings.HasPrefix(model, p.prefix) {
			return p.price, true
		}
	}
	return Price{}, false
}

// CostMicros is the list-price cost of c in millionths of a dollar
// (tokens x dollars-per-million tokens happens to be exactly that unit).
func CostMicros(c Counts) int64 {
	p, ok := PriceOf(c.Model)
	if !ok {
		return 0
	}
	v := float64(c.InputTokens)*p.Input + float64(c.OutputTokens)*p.Output +
		float64(c.CacheCreate)*p.CacheWrite + float64(c.CacheRead)*p.CacheRead
	return int64(v + 0.5)
}
