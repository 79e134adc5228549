package proxy_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

// A full request cycle at debug level (keys required, an API-key and an
// OAuth account, failures of every kind) leaves no secret in the logs, the
// error bodies, the database or its WAL.
func TestNoSecretAnywhereAfterAFullCycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const (
		oauthAccess  = "sk-ant-oat01-OAUTHACCESSSECRET-abc"
		oauthRefresh = "sk-ant-ort01-OAUTHREFRESHSECRET-abc"
		clientsOwn   = "sk-ant-api03-CLIENTSOWNSECRET-abc"
	)
	e.addKey("work", accountKey)
	if _, err := e.svc.AddCredential(ctx, "sub", vault.Credential{Kind: vault.KindOAuth, AccessToken: oauthAccess, RefreshToken: oauthRefresh}); err != nil {
		t.Fatal(err)
	}
	_, other, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RevokeKey(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	var bodies strings.Builder
	send := func(h map[string]string, body string) {
		resp := e.do("POST", "/v1/messages", body, h)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		bodies.Write(b)
	}
	msg := `{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}`
	for i := 0; i < 3; i++ {
		send(nil, msg)
		send(map[string]string{"Authorization": "Bearer " + e.key}, `{"model":"claude-sonnet-4-5","stream":true,"max_tokens":5,"messages":[]}`)
	}
	send(map[string]string{"X-Api-Key": clientsOwn}, msg)
	send(map[string]string{"Authorization": "Bearer " + other}, msg)
	send(map[string]string{"X-Api-Key": "sk-sluice-" + strings.Repeat("Z", 43)}, msg)
	e.fake.Script(accountKey, fakeBehaviorStatuses(401, 500, 429))
	e.fake.Script(oauthAccess, fakeBehaviorStatuses(401, 500, 429))
	for i := 0; i < 3; i++ {
		send(nil, msg)
	}
	secrets := []string{accountKey, "ACCOUNTSECRET", oauthAccess, oauthRefresh, "OAUTHACCESSSECRET",
		"OAUTHREFRESHSECRET", clientsOwn, "CLIENTSOWNSECRET", e.key, other}
	// The WAL holds the latest writes until a checkpoint: read it open.
	testkit.WaitFor(t, "records journaled", func() bool {
		recs, err := e.db.Records(ctx, journal.Query{Limit: 1000})
		return err == nil && len(recs) >= 9
	})
	e.grepDataDir(secrets...)
	e.close()
	e.grepDataDir(secrets...)
	logs := e.logs.String()
	if !strings.Contains(logs, "level=DEBUG") && !strings.Contains(logs, "level=INFO") {
		t.Fatalf("nothing logged; the test proves nothing:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log holds a secret (%.12s...)", s)
		}
		if strings.Contains(bodies.String(), s) {
			t.Errorf("an error body holds a secret (%.12s...)", s)
		}
	}
}
