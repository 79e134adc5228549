package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// add-upstream as README shows it: the key on stdin, maps as flags; the
// list shows the host and the maps; a plain-http base URL off loopback is
// refused with a clear error.
func TestAddUpstreamAndList(t *testing.T) {
	env := baseEnv(t)
	up := fakeapi.NewUnstarted()
	up.Compatible = &fakeapi.Compatible{Prefix: "/api/anthropic", NoModelList: true}
	up.Start()
	defer up.Close()
	const key = "glm-CLISECRET-0123456789abcdef"

	r := sluice(t, env, key+"\n", "accounts", "add-upstream", "glm", "--base-url", up.URL+"/api/anthropic",
		"--auth", "bearer", "--map", "claude-sonnet-*=glm-4.6", "--map", "claude-haiku-*=glm-4.5-air", "--models", "glm-4.6,glm-4.5")
	if r.code != 0 || !strings.Contains(r.out, "POST /v1/messages") {
		t.Fatalf("add-upstream: %d %q %q", r.code, r.out, r.err)
	}
	host := strings.TrimPrefix(up.URL, "http://")
	r = sluice(t, env, "", "accounts", "list")
	if r.code != 0 || !strings.Contains(r.out, host+" claude-sonnet-*=glm-4.6,claude-haiku-*=glm-4.5-air,glm-4.6,glm-4.5") {
		t.Fatalf("list: %d %q %q", r.code, r.out, r.err)
	}
	r = sluice(t, env, "", "accounts", "list", "--json")
	var views []api.AccountView
	if err := json.Unmarshal([]byte(r.out), &views); err != nil || len(views) != 1 || views[0].Kind != api.KindUpstream ||
		views[0].Upstream == nil || views[0].Upstream.Auth != api.AuthBearer {
		t.Fatalf("list --json: %v %q", err, r.out)
	}
	if got := up.Received(); len(got) == 0 || got[len(got)-1].Header.Get("Authorization") != "Bearer "+key {
		t.Errorf("the key check did not send the key as a Bearer token")
	}

	r = sluice(t, env, key+"\n", "accounts", "add-upstream", "lan", "--base-url", "http://192.0.2.7:4000", "--models", "glm-4.6")
	if r.code == 0 || !strings.Contains(r.err, "must be https") {
		t.Fatalf("http off loopback: %d %q", r.code, r.err)
	}
	r = sluice(t, env, key+"\n", "accounts", "add-upstream", "bad", "--base-url", "https://gw.example", "--map", "nomodel")
	if r.code == 0 || !strings.Contains(r.err, "PATTERN=MODEL") {
		t.Fatalf("bad map: %d %q", r.code, r.err)
	}
	grepTree(t, env["SLUICE_DATA_DIR"], "CLISECRET")
}
