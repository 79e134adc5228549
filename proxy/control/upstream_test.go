package control

import (
	"context"
	"errors"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// AddUpstream crosses the socket with its maps, its check and a refusal.
func TestAddUpstreamCrossesTheSocket(t *testing.T) {
	dir, svc := serve(t)
	c, err := Dial(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	up := fakeapi.NewUnstarted()
	up.Compatible = &fakeapi.Compatible{Prefix: "/anthropic"}
	up.Start()
	defer up.Close()

	u := api.UpstreamAccount{Name: "gw", BaseURL: up.URL + "/anthropic", Auth: api.AuthBearer,
		Maps: []api.ModelMap{{Pattern: "claude-haiku-*", Model: "glm-4.5-air"}}}
	res, err := c.AddUpstream(ctx, u, "gw-key-0123456789abcdef")
	if err != nil || res.Check != "GET /v1/models" || res.Account.Kind != api.KindUpstream {
		t.Fatalf("AddUpstream = %+v, %v", res, err)
	}
	views, err := svc.Accounts(ctx)
	if err != nil || len(views) != 1 || views[0].Upstream == nil || len(views[0].Upstream.Maps) != 1 ||
		views[0].Upstream.Maps[0] != u.Maps[0] || views[0].Upstream.Auth != api.AuthBearer {
		t.Fatalf("the engine has %+v, %v", views, err)
	}

	up.Script("another-key-0123456789", fakeapi.Behavior{Statuses: []int{401}})
	u.Name = "gw2"
	if _, err := c.AddUpstream(ctx, u, "another-key-0123456789"); !errors.Is(err, api.ErrKeyRefused) {
		t.Fatalf("refused key across the socket: %v, want ErrKeyRefused", err)
	}
}
