package proxy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Issue 20: revoking a key left its open streams running until they
// ended on their own. A stream in flight under a key now ends when the key
// is revoked.
func TestRevokingAKeyEndsItsOpenStream(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	_, key, err := e.svc.CreateKey(ctx, api.KeyOptions{Name: "leaver"})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Chunks = 1000
	e.fake.Pace = make(chan struct{}) // never fed: the stream stalls after its first event
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/messages", strings.NewReader(`{"model":"m","stream":true}`))
	req.Header.Set("X-Api-Key", key)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 256)
	if _, err := resp.Body.Read(buf); err != nil { // message_start has arrived
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		ended <- err
	}()
	if err := e.svc.RevokeKey(ctx, "leaver"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked key's stream is still open 10 s after the revocation")
	}
}
