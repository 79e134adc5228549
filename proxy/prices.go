package proxy

import (
	"github.com/sluice-proxy/sluice/proxy/usage"
)

// price sets the journal record's cost of a finished request. A model the
// price table does not know is journaled with no cost (shown as unpriced,
// never as $0) and counted against the client key's daily cap at its
// family's most expensive known price, so a new model cannot slip past a
// cap. On subscription accounts the figure is API-equivalent value: what
// the tokens would cost at list price, not a bill.
func (s *Service) price(req *request, c usage.Counts) {
	if c.Model == "" {
		c.Model = req.rec.Model
	}
	v, ok := s.prices.Cost(c)
	req.rec.CostMicros = v
	if ok {
		return
	}
	capCost := s.prices.CapCost(c)
	// The journal's key_spend keeps the cap cost, so the cap still holds
	// after a restart the same day.
	req.rec.CapCostMicros = capCost
	if _, seen := s.unpriced.LoadOrStore(c.Model, true); !seen {
		s.log.Info("model has no price; counted against key caps at its family's highest price",
			"model", c.Model, "unpriced", true, "cap_cost_micros", capCost)
	}
	s.addKeyCost(req, req.rec.Time, capCost)
}

// Priced reports whether the price table knows model, for faces that show
// costs: an unpriced model's journaled cost is unknown, not zero.
func (s *Service) Priced(model string) bool {
	_, ok := s.prices.Lookup(model)
	return ok
}

// unpricedCost reports whether a journaled cost of micros for tokens of
// model is unknown rather than zero: tokens were used, nothing was costed,
// and the price table has no row for the model.
func (s *Service) unpricedCost(model string, micros, tokens int64) bool {
	return micros == 0 && tokens > 0 && model != "" && !s.Priced(model)
}
