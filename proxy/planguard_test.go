package proxy_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// Every refusal the plan guard causes says so and how to allow extra usage
// on the account, not only the first; turning the guard off lifts its
// bench at once.
func TestPlanGuardRefusalsNameItAndOffLiftsTheBench(t *testing.T) {
	for _, b := range []fakeapi.Behavior{
		{Overage: true}, // the headers show the plan spent and overage paying
		{BodyError: &fakeapi.BodyError{Status: 400, Message: fakeapi.MsgThirdPartyExtraUsage}},
	} {
		e := newUsageEnv(t)
		e.addOAuth("home", oauthToken)
		e.fake.Script(oauthToken, b)
		e.ask("claude-opus-5", "s") // the guard learns (and may refuse)
		for i := range 3 {
			code, body := e.ask("claude-opus-5", "s")
			if code != http.StatusTooManyRequests || !strings.Contains(body, "plan guard") ||
				!strings.Contains(body, "sluice accounts plan-guard home off") {
				t.Fatalf("%+v refusal %d: %d %s, want a 429 naming the plan guard and how to turn it off", b, i, code, body)
			}
		}
		before := modelRequests(e.fake)[oauthToken]
		e.fake.Script(oauthToken, fakeapi.Behavior{})
		if err := e.svc.SetPlanGuard(context.Background(), "home", false); err != nil {
			t.Fatal(err)
		}
		if code, body := e.ask("claude-opus-5", "s"); code != http.StatusOK {
			t.Errorf("%+v after plan-guard off: %d %s, want served at once", b, code, body)
		}
		if modelRequests(e.fake)[oauthToken] != before+1 {
			t.Errorf("%+v: the account was not asked after plan-guard off", b)
		}
	}
}
