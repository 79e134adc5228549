package proxy_test

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/vault"
)

// payloadLockedKeyring is the real keyring with the payload key's item
// locked while locked is set, counting the reads of that item.
type payloadLockedKeyring struct {
	proxy.Keyring
	locked *atomic.Bool
	reads  *atomic.Int64
}

func (k payloadLockedKeyring) Get(id string) (vault.Credential, error) {
	if id == "sluice.payload-key" {
		k.reads.Add(1)
		if k.locked.Load() {
			return vault.Credential{}, vault.ErrLocked
		}
	}
	return k.Keyring.Get(id)
}

// With capture on and the keyring locked, the payload key is asked for at
// most once per 30 s with one warning each time, requests are journaled
// without their payload (never unencrypted), and capture resumes once the
// keyring is unlocked and the back-off has passed.
func TestLockedPayloadKeyBacksOff(t *testing.T) {
	locked, reads := &atomic.Bool{}, &atomic.Int64{}
	locked.Store(true)
	e := newEnv(t, func(_ *proxy.Config, d *proxy.Deps) {
		d.Keyring = payloadLockedKeyring{Keyring: d.Keyring, locked: locked, reads: reads}
	})
	e.addKey("work", accountKey)
	ctx := context.Background()
	st := e.svc.Settings()
	st.Capture = true
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	const prompt = "PROMPT-okapi-tangerine-1717"
	body := `{"model":"claude-sonnet-4","messages":[{"role":"user","content":"` + prompt + `"}]}`
	warnings := func() int { return strings.Count(e.logs.String(), "payload not captured") }
	sent := 0
	sendN := func(n int) []api.LogEntry {
		for range n {
			e.send(body, nil)
		}
		sent += n
		return e.logsN(sent)
	}

	for _, r := range sendN(5) {
		if r.HasPayload {
			t.Fatal("a payload was stored without the key")
		}
	}
	if got, w := reads.Load(), warnings(); got != 1 || w != 1 {
		t.Fatalf("5 requests while locked: %d keyring reads, %d warnings; want 1 and 1", got, w)
	}
	e.clock.Advance(29 * time.Second)
	sendN(2)
	if got := reads.Load(); got != 1 {
		t.Fatalf("within the back-off: %d keyring reads, want 1", got)
	}
	e.clock.Advance(2 * time.Second)
	sendN(3)
	if got, w := reads.Load(), warnings(); got != 2 || w != 2 {
		t.Fatalf("after the back-off: %d keyring reads, %d warnings; want 2 and 2", got, w)
	}

	locked.Store(false)
	if rs := sendN(1); rs[0].HasPayload {
		t.Fatal("captured within the back-off")
	}
	e.clock.Advance(31 * time.Second)
	if rs := sendN(1); !rs[0].HasPayload {
		t.Fatal("capture did not resume after unlocking and the back-off")
	}
	e.grepDataDir(prompt)
}

// slowKeyring answers the payload key's item after a delay, as a file
// keyring deriving its key or a desktop keyring waking up does.
type slowKeyring struct{ proxy.Keyring }

func (k slowKeyring) Get(id string) (vault.Credential, error) {
	if id == "sluice.payload-key" {
		time.Sleep(200 * time.Millisecond)
	}
	return k.Keyring.Get(id)
}

// Requests finishing together while the payload key is read for the first
// time wait for that read (the key's lock is held across it) and keep
// their payloads: the back-off is for a keyring that failed, not for one
// that is slow.
func TestCaptureOnFirstUseKeepsConcurrentPayloads(t *testing.T) {
	e := newEnv(t, func(_ *proxy.Config, d *proxy.Deps) { d.Keyring = slowKeyring{Keyring: d.Keyring} })
	e.addKey("work", accountKey)
	st := e.svc.Settings()
	st.Capture = true
	if _, err := e.svc.UpdateSettings(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { e.send(`{"model":"claude-sonnet-4","messages":[{"role":"user","content":"hi"}]}`, nil) })
	}
	wg.Wait()
	for _, r := range e.logsN(n) {
		if !r.HasPayload {
			t.Fatalf("a request finishing with the first key read lost its payload: %+v", r.Record)
		}
	}
}
