package owner

import (
	"slices"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// The owner's loop tells the tray to resync where the engine dropped
// events for it (a gap in Seq).
func TestOwnerSendsAResyncOnAGap(t *testing.T) {
	o := &owner{notes: NewNotifier()}
	feed, toTray := make(chan api.Event), make(chan api.Event, 16)
	done := make(chan struct{})
	go func() { defer close(done); o.dispatch(feed, toTray) }()
	for _, seq := range []uint64{1, 2, 5} {
		feed <- api.Event{Kind: api.EventAccountState, Seq: seq}
	}
	close(feed)
	<-done
	var got []api.EventKind
	for e := range toTray {
		got = append(got, e.Kind)
	}
	want := []api.EventKind{api.EventAccountState, api.EventAccountState, api.EventResync, api.EventAccountState}
	if !slices.Equal(got, want) {
		t.Errorf("the tray got %v, want %v", got, want)
	}
}
