package owner

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

func TestNotifierSendsEachChangeOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNotifier()
		var mu sync.Mutex // the burst's timer sends on a goroutine of its own
		var sent []string
		send := func(title, _ string) { mu.Lock(); defer mu.Unlock(); sent = append(sent, title) }
		read := func(accts ...api.AccountView) {
			n.Accounts(accts, send)
			time.Sleep(notifyBurst) // each change its own burst
			synctest.Wait()
		}
		a := api.AccountView{ID: "1", Name: "a", State: "limited"}
		b := api.AccountView{ID: "2", Name: "b", State: "ok"}
		read(a, b) // baseline: nothing
		read(a, b) // no change: nothing
		b.State = "needs-login"
		read(a, b) // one bubble: b signed out, and so every account is down
		read(a, b)
		a.State = "ok"
		read(a, b)
		want := []string{"Sluice: every account is limited", "Sluice: a is usable again"}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(sent, want) {
			t.Errorf("sent %q, want %q", sent, want)
		}
	})
	n := NewNotifier()
	var starts int
	for range 3 {
		n.Once("start-failed", func() { starts++ })
	}
	if starts != 1 {
		t.Errorf("start failure notified %d times", starts)
	}
}
