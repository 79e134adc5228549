package api

import (
	"slices"
	"testing"
)

// The faces list windows 5-hour first, then the week, then the rest by
// name, whatever order the engine's map gave them.
func TestWindowOrder(t *testing.T) {
	keys := []string{"7d_sonnet", "7d", "7d_opus", "5h"}
	slices.SortFunc(keys, WindowOrder)
	if want := []string{"5h", "7d", "7d_opus", "7d_sonnet"}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
}
