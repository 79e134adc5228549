package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// A Console key's card shows the per-minute buckets the API reports for
// it, filled from a real answer, and no 5-hour or weekly bar.
func TestRealEngineAPIKeyCardShowsPerMinuteBars(t *testing.T) {
	e := newRealEngine(t)
	e.fake.Script("sk-ant-a", fakeapi.Behavior{RPM: 4})
	if _, err := e.svc.AddAPIKey(context.Background(), "a", "sk-ant-a"); err != nil {
		t.Fatal(err)
	}
	v, w, ui := shown(t, control.NewLocal(e.svc))
	ui.waitFor(t, "card", showing(w, "a", "Console API key"))
	if got := e.message(t); got != 200 {
		t.Fatalf("request through the key: %d", got)
	}
	// One request of 4 a minute: the requests bar at 25%.
	ui.waitFor(t, "per-minute bars", showing(w, "Requests / min", "Input tokens / min", "Output tokens / min", "25%"))
	got := texts(w)
	for _, s := range []string{"5-hour", "Weekly", "Tokens / min"} {
		if slices.Contains(got, s) {
			t.Errorf("the key's card shows %q: %q", s, got)
		}
	}
	if bar := v.cards[v.rows[0].ID].bars["Requests / min"].bar; bar.frac != 0.25 {
		t.Errorf("requests bar at %v, want 0.25", bar.frac)
	}
	stats := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, " tokens in ") })
	if stats < 0 || strings.Contains(got[stats], "current 5-hour window") {
		t.Errorf("stats line %q speaks of a 5-hour window the key does not have", got)
	}
}

func TestStatsLineNamesOnlyWindowsThatExist(t *testing.T) {
	session := api.Window{Name: "5h", Kind: "session", Utilization: 0.1}
	weekly := api.Window{Name: "7d", Kind: "weekly", Utilization: 0.1}
	rpm := api.Window{Name: "rpm", Kind: "rpm", Utilization: 0.1}
	for _, c := range []struct {
		name    string
		a       api.AccountView
		current bool
	}{
		{"subscription", api.AccountView{Kind: "oauth", Windows: []api.Window{session, weekly}}, true},
		{"subscription not heard from", api.AccountView{Kind: "oauth"}, true},
		{"weekly-only plan", api.AccountView{Kind: "oauth", Windows: []api.Window{weekly}}, false},
		{"api key", api.AccountView{Kind: "api-key", Windows: []api.Window{rpm}}, false},
		{"api key not heard from", api.AccountView{Kind: "api-key"}, false},
	} {
		if got := strings.Contains(statsLine(c.a), "current 5-hour window"); got != c.current {
			t.Errorf("%s: %q", c.name, statsLine(c.a))
		}
	}
}

// One request is "1 request", not "1 requests" (seen on a card).
func TestStatsLineCountsInEnglish(t *testing.T) {
	for n, want := range map[int64]string{0: "0 requests, ", 1: "1 request, ", 2: "2 requests, "} {
		a := api.AccountView{Kind: api.KindOAuth, WindowRequests: n}
		if got := statsLine(a); !strings.HasPrefix(got, want) {
			t.Errorf("%d requests: %q, want it to start %q", n, got, want)
		}
	}
}
