package proxy_test

import (
	"bufio"
	"context"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

const splitKey = "sk-ant-api03-SPLIT-0001"

// streamUntilFirstEvent sends a streamed request in session and returns
// once its first event (message_start) reached the client, which is after
// the proxy read the answer's limit headers; the rest of the stream is
// read on a goroutine whose end closes the returned channel.
func streamUntilFirstEvent(t *testing.T, e *env, session, prompt string) <-chan struct{} {
	t.Helper()
	body := `{"model":"claude-test","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"` + prompt + `"}]}`
	resp := e.do(http.MethodPost, "/v1/messages", body, map[string]string{"X-Claude-Code-Session-Id": session})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", session, resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: no first event: %v", session, err)
		}
		if strings.HasPrefix(line, "event: message_start") {
			break
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, r)
		resp.Body.Close()
	}()
	return done
}

// Two streams in flight at once on one account, through the proxy over
// loopback to the fake API: the 5-hour window's rise that the second one's
// headers report (4 % of the window) is shared between the two in
// proportion to their tokens (pool/ledger.go's rule), both marked
// estimate, and the journal ends up with the whole rise, the part of the
// one that finished first included (a late share, amending its record).
func TestConcurrentRequestsShareTheWindowByTokens(t *testing.T) {
	e := newEnv(t)
	e.fake.Pace = make(chan struct{}) // holds every stream after its first event
	reset := e.clock.Now().Add(4 * time.Hour).Truncate(time.Second)
	e.fake.Script(splitKey, fakeapi.Behavior{Unified: true, Utilization: 0.10, ResetAt: reset})
	e.addKey("sub", splitKey)

	// The first observation is the ledger's baseline: 10 %.
	resp := e.do(http.MethodPost, "/v1/messages", `{"model":"claude-test","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"X-Claude-Code-Session-Id": "baseline"})
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	// small is in flight, its headers still at 10 %: nothing to share yet.
	smallDone := streamUntilFirstEvent(t, e, "small", "hi")
	// big joins it, and its headers say 14 %: the 4 % rise happened while
	// both were running, and goes to both by their tokens.
	e.fake.Script(splitKey, fakeapi.Behavior{Unified: true, Utilization: 0.14, ResetAt: reset})
	bigDone := streamUntilFirstEvent(t, e, "big", strings.Repeat("lorem ipsum ", 800))
	close(e.fake.Pace)
	<-smallDone
	<-bigDone

	var big, small journal.Record
	testkit.WaitFor(t, "both records with their whole share", func() bool {
		page, err := e.svc.Logs(context.Background(), api.LogFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Entries {
			switch x.Session {
			case "big":
				big = x.Record
			case "small":
				small = x.Record
			}
		}
		return math.Abs(big.WindowShare["5h"]+small.WindowShare["5h"]-0.04) < 1e-9
	})
	tokens := func(r journal.Record) float64 {
		return float64(r.InputTokens + r.OutputTokens + r.CacheRead + r.CacheCreate)
	}
	tb, ts := tokens(big), tokens(small)
	if tb < 10*ts {
		t.Fatalf("big used %v tokens, small %v: too close to tell a split by tokens from an equal one", tb, ts)
	}
	if want := 0.04 * tb / (tb + ts); math.Abs(big.WindowShare["5h"]-want) > 1e-9 {
		t.Errorf("big's 5h share %v, want %v (%v of %v tokens)", big.WindowShare["5h"], want, tb, tb+ts)
	}
	if want := 0.04 * ts / (tb + ts); math.Abs(small.WindowShare["5h"]-want) > 1e-9 {
		t.Errorf("small's 5h share %v, want %v (%v of %v tokens)", small.WindowShare["5h"], want, ts, tb+ts)
	}
	// The week rose by a quarter of that (the fake reports 7d at 5h/4).
	if got := big.WindowShare["7d"] + small.WindowShare["7d"]; math.Abs(got-0.01) > 1e-9 {
		t.Errorf("7d shares sum to %v, want 0.01", got)
	}
	if !big.ShareEstimate || !small.ShareEstimate {
		t.Errorf("a split among concurrent requests is not marked estimate: big %v, small %v", big.ShareEstimate, small.ShareEstimate)
	}
}
