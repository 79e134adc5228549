package app

import (
	"cmp"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Up moves an account one place, also when every priority is the default
// 0 (the order then follows names): the last of three goes second, not
// first.
func TestMoveUpIsOnePlaceWithEqualPriorities(t *testing.T) {
	eng := newFakeEngine(true,
		api.AccountView{ID: "x", Name: "x", Kind: "api-key", State: "ok"},
		api.AccountView{ID: "y", Name: "y", Kind: "api-key", State: "ok"},
		api.AccountView{ID: "z", Name: "z", Kind: "api-key", State: "ok"})
	v, w, ui := shown(t, eng)
	ui.waitFor(t, "cards", showing(w, "x", "y", "z"))
	order := func() []string {
		eng.Mu.Lock()
		defer eng.Mu.Unlock()
		as := slices.Clone(eng.Accts)
		slices.SortStableFunc(as, func(a, b api.AccountView) int {
			return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.Name, b.Name))
		})
		var names []string
		for _, a := range as {
			names = append(names, a.Name)
		}
		return names
	}
	test.Tap(v.cards["z"].up)
	ui.waitFor(t, "z one place up", func() bool { return slices.Equal(order(), []string{"x", "z", "y"}) })
}
