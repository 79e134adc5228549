package api

import (
	"slices"
	"testing"
)

// The faces list windows 5-hour first, then the week, then the rest by
// name, whatever order the engine's map gave them.
func TestWindowOrder(t *testing.T) {
	keys := WindowKeys(map[string]float64{"7d_sonnet": 0.1, "7d": 0.2, "7d_opus": 0.3, "5h": 0.4})
	if want := []string{"5h", "7d", "7d_opus", "7d_sonnet"}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
}
