package proxy_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
	"github.com/sluice-proxy/sluice/proxy/journal"
)

// send makes one request through the proxy and reads the answer to the end.
func (e *env) send(body string, header map[string]string) {
	e.t.Helper()
	resp := e.do("POST", "/v1/messages", body, header)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// logsN waits until the journal lists n requests and returns them.
func (e *env) logsN(n int) []api.LogEntry {
	e.t.Helper()
	var p api.LogPage
	testkit.WaitFor(e.t, "requests journaled", func() bool {
		var err error
		p, err = e.svc.Logs(context.Background(), api.LogFilter{Limit: 1000})
		if err != nil {
			e.t.Fatal(err)
		}
		return len(p.Entries) >= n
	})
	if len(p.Entries) != n {
		e.t.Fatalf("%d requests journaled, want %d", len(p.Entries), n)
	}
	return p.Entries
}

func TestRecordKeepsClientDetailsAndProjectStaysLocal(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	e.send(`{"model":"claude-sonnet-4","stream":true,"max_tokens":10}`, map[string]string{
		"X-Claude-Code-Session-Id": "sess-42", "User-Agent": "claude-cli/9.9 (external, cli)",
		"X-Sluice-Project": "web-shop",
	})
	e.send(`{"model":"claude-haiku-4","max_tokens":10}`, nil)
	for _, r := range e.fake.Received() {
		if v := r.Header.Get("X-Sluice-Project"); v != "" {
			t.Fatalf("X-Sluice-Project forwarded upstream: %q", v)
		}
	}
	got := e.logsN(2)
	st := got[1] // oldest: the stream
	if st.Session != "sess-42" || st.UserAgent != "claude-cli/9.9 (external, cli)" || st.Project != "web-shop" ||
		st.RequestID != "req_fake" || st.EndReason != journal.EndComplete || !st.Stream || st.AccountName != "work" ||
		st.Failovers != 0 || st.InputTokens == 0 {
		t.Fatalf("stream record %+v", st)
	}
	web, err := e.svc.Logs(ctx, api.LogFilter{Project: "web-shop"})
	if err != nil || len(web.Entries) != 1 || web.Entries[0].ID != st.ID {
		t.Fatalf("project filter: %+v, %v", web, err)
	}
	byAcct, err := e.svc.Logs(ctx, api.LogFilter{Account: "work", Status: "2xx", Limit: 1})
	if err != nil || len(byAcct.Entries) != 1 || byAcct.Next == "" {
		t.Fatalf("first page: %+v, %v", byAcct, err)
	}
	next, err := e.svc.Logs(ctx, api.LogFilter{Account: "work", Cursor: byAcct.Next, Limit: 1})
	if err != nil || len(next.Entries) != 1 || next.Entries[0].ID != st.ID {
		t.Fatalf("second page: %+v, %v", next, err)
	}
	all, err := e.svc.Logs(ctx, api.LogFilter{})
	if err != nil || all.LastSeq != got[0].Seq {
		t.Fatalf("LastSeq %d, %v; want %d", all.LastSeq, err, got[0].Seq)
	}
	e.send(`{"model":"claude-haiku-4","max_tokens":10}`, map[string]string{"X-Sluice-Project": "third"})
	var follow api.LogPage
	testkit.WaitFor(t, "followed request", func() bool {
		follow, err = e.svc.Logs(ctx, api.LogFilter{WrittenAfter: all.LastSeq})
		return err == nil && len(follow.Entries) > 0
	})
	if len(follow.Entries) != 1 || follow.Entries[0].Project != "third" {
		t.Fatalf("follow: %+v", follow)
	}
	if _, err := e.svc.Logs(ctx, api.LogFilter{Status: "6xx"}); err == nil {
		t.Error("status 6xx accepted")
	}
	rep, err := e.svc.Usage(ctx, api.UsageQuery{By: []string{"project", "account"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 3 || rep.Total.Requests != 3 || rep.Rows[2].Project != "web-shop" || rep.Rows[2].AccountName != "work" {
		t.Fatalf("usage by project: %+v", rep)
	}
	d, err := e.svc.Request(ctx, st.ID)
	if err != nil || d.ID != st.ID || d.Payload != nil {
		t.Fatalf("Request = %+v, %v; want the record without a payload (capture is off)", d, err)
	}
	if _, err := e.svc.Request(ctx, "nope"); !errors.Is(err, api.ErrNoSuchRequest) {
		t.Errorf("Request(nope) = %v, want ErrNoSuchRequest", err)
	}
}

func TestFailoversCounted(t *testing.T) {
	e := newEnv(t)
	e.addKey("a", "sk-ant-api03-AAAA-0000000000")
	e.addKey("b", "sk-ant-api03-BBBB-0000000000")
	e.fake.Script("sk-ant-api03-AAAA-0000000000", fakeBehaviorStatuses(401))
	e.fake.Script("sk-ant-api03-BBBB-0000000000", fakeBehaviorStatuses(401))
	e.send(`{"model":"m"}`, nil)
	got := e.logsN(1)
	if got[0].Failovers != 2 || got[0].Status != 503 {
		t.Fatalf("record %+v; want 2 failovers and 503", got[0])
	}
}

// TestCaptureIsRedactedAndEncrypted turns capture on and checks that the
// payload reads back (redacted) through the Service, while the database
// file and its WAL, as copied off disk, hold neither the prompt, nor the
// answer, nor a secret.
func TestCaptureIsRedactedAndEncrypted(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	st := e.svc.Settings()
	if st.Capture {
		t.Fatal("capture on by default")
	}
	st.Capture = true
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	const prompt = "PROMPT-zebra-marmalade-4242"
	const secret = "sk-ant-api03-PASTEDSECRET-987654321"
	e.send(`{"model":"claude-sonnet-4","stream":true,"messages":[{"role":"user","content":"`+prompt+` key `+secret+`"}]}`,
		nil) // carries the env's client key, which must not reach the disk either
	e.send(`{"model":"claude-sonnet-4","messages":[{"role":"user","content":"`+prompt+`"}]}`, nil)
	got := e.logsN(2)
	for _, r := range got {
		if !r.HasPayload {
			t.Fatalf("no payload for %s", r.ID)
		}
	}
	d, err := e.svc.Request(ctx, got[1].ID)
	if err != nil || d.Payload == nil {
		t.Fatalf("Request: %+v, %v", d, err)
	}
	if !strings.Contains(d.Payload.Request, prompt) || strings.Contains(d.Payload.Request, "PASTEDSECRET") ||
		!strings.Contains(d.Payload.Request, "[REDACTED]") {
		t.Fatalf("captured request %q: want the prompt, the secret redacted", d.Payload.Request)
	}
	if !strings.Contains(d.Payload.Response, "text_delta") || d.Payload.ResponseTruncated {
		t.Fatalf("captured response %q", d.Payload.Response)
	}
	// Copy the files while the engine runs, as someone walking off with
	// the data directory would.
	copyDir := t.TempDir()
	for _, name := range []string{"sluice.db", "sluice.db-wal"} {
		data, err := os.ReadFile(filepath.Join(e.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(copyDir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.grepDataDir(prompt, "PASTEDSECRET", strings.TrimPrefix(e.key, "sk-sluice-"), "ACCOUNTSECRET", "text_delta", "chunk chunk")
	e.close()
	// And after a clean shutdown, with the WAL checkpointed into the file.
	e.grepDataDir(prompt, "PASTEDSECRET", strings.TrimPrefix(e.key, "sk-sluice-"), "ACCOUNTSECRET", "text_delta", "chunk chunk")

	// Without the key (a reset keyring) the record still reads; the
	// payload does not, and says why.
	if err := e.store.Delete("sluice.payload-key"); err != nil {
		t.Fatal(err)
	}
	e2 := newEnvAt(t, e.dir, e.fake)
	d, err = e2.svc.Request(ctx, got[1].ID)
	if err != nil || d.Payload != nil || d.PayloadError == "" || d.ID != got[1].ID {
		t.Fatalf("Request without the key: %+v, %v", d, err)
	}
}

func TestCaptureCapTruncates(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	st := e.svc.Settings()
	st.Capture, st.CaptureMaxBytes = true, 64
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	e.send(`{"model":"claude-sonnet-4","stream":true,"messages":[{"role":"user","content":"`+strings.Repeat("x", 500)+`"}]}`, nil)
	got := e.logsN(1)
	d, err := e.svc.Request(ctx, got[0].ID)
	if err != nil || d.Payload == nil {
		t.Fatalf("Request: %+v, %v", d, err)
	}
	if len(d.Payload.Request) != 64 || !d.Payload.RequestTruncated || len(d.Payload.Response) != 64 || !d.Payload.ResponseTruncated {
		t.Fatalf("payload %d/%v, %d/%v; want both cut at 64 and marked", len(d.Payload.Request),
			d.Payload.RequestTruncated, len(d.Payload.Response), d.Payload.ResponseTruncated)
	}
}

func TestSettingsPersistAndValidate(t *testing.T) {
	dir := t.TempDir()
	e := newEnvAt(t, dir, fakeapi.New(t))
	ctx := context.Background()
	def := e.svc.Settings()
	if def.RequestMaxAge != 30*24*time.Hour || def.PayloadMaxAge != 7*24*time.Hour || def.MaxDBBytes != 500<<20 ||
		def.CaptureMaxBytes != 256<<10 || def.Capture {
		t.Fatalf("defaults %+v", def)
	}
	want := api.Settings{RequestMaxAge: 48 * time.Hour, PayloadMaxAge: -1, MaxDBBytes: 10 << 20, Capture: true, CaptureMaxBytes: 1000}
	if _, err := e.svc.UpdateSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	bad := want
	bad.RequestMaxAge = 0
	if _, err := e.svc.UpdateSettings(ctx, bad); err == nil {
		t.Error("zero max age accepted")
	}
	e.close()
	e2 := newEnvAt(t, dir, e.fake)
	if got := e2.svc.Settings(); got != want {
		t.Fatalf("after restart %+v, want %+v", got, want)
	}
	a, err := e2.svc.Audit(ctx, api.AuditFilter{Kind: proxy.AuditSettingsChanged})
	if err != nil || len(a.Entries) != 1 || !strings.Contains(a.Entries[0].Detail, "capture off -> on") {
		t.Fatalf("audit %+v, %v", a, err)
	}
}

func TestCleanupKeepsUsageAndShrinks(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	st := e.svc.Settings()
	st.Capture = true
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("lorem ipsum ", 20000) // a 240 KB prompt, captured
	for range 20 {
		e.send(`{"model":"claude-sonnet-4","messages":[{"role":"user","content":"`+big+`"}]}`, nil)
	}
	e.logsN(20)
	res, err := e.svc.Cleanup(ctx, api.CleanupOptions{OlderThan: 0, PayloadsOnly: true})
	if err != nil || res.Payloads != 20 || res.Records != 0 {
		t.Fatalf("payloads-only cleanup: %+v, %v", res, err)
	}
	if res.Freed < 1<<20 || res.BytesAfter >= res.BytesBefore {
		t.Fatalf("cleanup freed %d bytes (%d -> %d); want the payloads' megabytes back", res.Freed, res.BytesBefore, res.BytesAfter)
	}
	e.logsN(20)
	res, err = e.svc.Cleanup(ctx, api.CleanupOptions{OlderThan: 0})
	if err != nil || res.Records != 20 {
		t.Fatalf("cleanup: %+v, %v", res, err)
	}
	if p, _ := e.svc.Logs(ctx, api.LogFilter{}); len(p.Entries) != 0 {
		t.Fatalf("%d records left", len(p.Entries))
	}
	u, err := e.svc.Usage(ctx, api.UsageQuery{By: []string{"model"}})
	if err != nil || u.Total.Requests != 20 || len(u.Rows) != 1 || u.Rows[0].Model == "" {
		t.Fatalf("usage after cleanup %+v, %v; want the 20 requests kept in the rollups", u, err)
	}
}

func TestAuditAndDoctor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addKey("work", accountKey)
	e.addKey("spare", "sk-ant-api03-SPARESECRET-000")
	for _, step := range []func() error{
		func() error { return e.svc.PauseAccount(ctx, "work") },
		func() error { return e.svc.ResumeAccount(ctx, "work") },
		func() error { return e.svc.RenameAccount(ctx, "work", "main") },
		func() error { return e.svc.SetPriority(ctx, "main", 5) },
		func() error { return e.svc.RemoveAccount(ctx, "spare") },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.svc.Audit(ctx, api.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range p.Entries {
		kinds = append(kinds, a.Kind+":"+a.Subject)
	}
	want := "account.removed:spare account.priority:main account.renamed:main account.resumed:work account.paused:work account.added:spare account.added:work clientkey.created:default"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("audit\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}

	rep, err := e.svc.Doctor(ctx, false)
	if err != nil || !rep.OK || rep.Health.Integrity != "ok" || len(rep.Keyring) != 1 || !rep.Keyring[0].OK ||
		rep.Files.DBBytes == 0 || rep.Health.Rows["audit"] != 8 { // the seven above and the first key
		t.Fatalf("doctor %+v, %v", rep, err)
	}
	accts, _ := e.svc.Accounts(ctx)
	if err := e.store.Delete(accts[0].ID); err != nil {
		t.Fatal(err)
	}
	rep, err = e.svc.Doctor(ctx, true)
	if err != nil || rep.OK || rep.Keyring[0].OK || rep.Keyring[0].Error == "" || rep.Compact == nil {
		t.Fatalf("doctor with a missing credential: %+v, %v", rep, err)
	}
	out, _ := json.Marshal(rep)
	if strings.Contains(string(out), "ACCOUNTSECRET") {
		t.Fatal("doctor report holds a secret")
	}
}

// TestRetentionAppliedAtStart: records older than the setting are gone
// soon after the engine starts, without anyone calling Prune.
func TestRetentionAppliedAtStart(t *testing.T) {
	dir := t.TempDir()
	fake := fakeapi.New(t)
	e := newEnvAt(t, dir, fake)
	e.addKey("work", accountKey)
	e.send(`{"model":"m"}`, nil)
	e.logsN(1)
	e.close()
	later := func(_ *proxy.Config, d *proxy.Deps) {
		d.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	}
	e2 := newEnvAt(t, dir, fake, later)
	testkit.WaitFor(t, "old record pruned at start", func() bool {
		p, err := e2.svc.Logs(context.Background(), api.LogFilter{})
		return err == nil && len(p.Entries) == 0
	})
	if u, err := e2.svc.Usage(context.Background(), api.UsageQuery{}); err != nil || u.Total.Requests != 1 {
		t.Fatalf("usage %+v, %v; want the pruned request still counted", u, err)
	}
}

// TestSizeCapThroughService: with a 1 MB cap, captured payloads beyond it
// go, oldest first, and the file shrinks to about the cap.
func TestSizeCapThroughService(t *testing.T) {
	e := newEnv(t)
	e.addKey("work", accountKey)
	ctx := context.Background()
	st := e.svc.Settings()
	st.Capture = true
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("lorem ipsum ", 20000) // 240 KB, sealed so incompressible
	for range 12 {
		e.send(`{"model":"claude-sonnet-4","messages":[{"role":"user","content":"`+big+`"}]}`, nil)
	}
	entries := e.logsN(12)
	st.MaxDBBytes = 1 << 20
	if _, err := e.svc.UpdateSettings(ctx, st); err != nil {
		t.Fatal(err)
	}
	// The tighter cap applies at once, in the background.
	testkit.WaitFor(t, "payloads trimmed after the settings change", func() bool {
		d, err := e.svc.Request(ctx, entries[len(entries)-1].ID)
		return err == nil && d.Payload == nil
	})
	res, err := e.svc.Cleanup(ctx, api.CleanupOptions{OlderThan: -1})
	if err != nil || res.Records != 0 {
		t.Fatalf("cleanup %+v, %v; want every record kept", res, err)
	}
	if res.BytesAfter > 3<<19 {
		t.Fatalf("%d bytes on disk after trimming to 1 MB", res.BytesAfter)
	}
	// The newest payloads are the ones kept.
	kept := 0
	for i, le := range entries { // newest first
		d, err := e.svc.Request(ctx, le.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Payload != nil {
			if i != kept {
				t.Fatalf("payload of entry %d kept but a newer one went", i)
			}
			kept++
		}
	}
	if kept > 4 {
		t.Fatalf("%d payloads of 240 KB kept under a 1 MB cap", kept)
	}
}

func TestEndReasons(t *testing.T) {
	tests := []struct {
		name string
		b    fakeapi.Behavior
		body string
		want string
	}{
		{"complete", fakeapi.Behavior{}, `{"model":"m","stream":true}`, journal.EndComplete},
		{"stream error event", fakeapi.Behavior{StreamError: "overloaded_error"}, `{"model":"m","stream":true}`, journal.EndUpstreamError},
		{"cut mid-stream", fakeapi.Behavior{CutAfterFirstEvent: true}, `{"model":"m","stream":true}`, journal.EndTruncated},
		{"error status", fakeapi.Behavior{Statuses: []int{400}}, `{"model":"m"}`, journal.EndUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.addKey("work", accountKey)
			e.fake.Script(accountKey, tt.b)
			e.send(tt.body, nil)
			if got := e.logsN(1)[0]; got.EndReason != tt.want {
				t.Fatalf("end reason %q, want %q (record %+v)", got.EndReason, tt.want, got)
			}
		})
	}
}

// TestJSONShapes pins the keys `sluice logs --json`, `logs show --json`
// and `usage --json` will print: embedded structs must flatten without
// two fields claiming one name (encoding/json would drop both).
func TestJSONShapes(t *testing.T) {
	keys := func(v any) map[string]any {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	d := keys(api.RequestDetail{LogEntry: api.LogEntry{Record: journal.Record{ID: "r", AccountID: "id1",
		Session: "s", Project: "p", EndReason: "complete"}, AccountName: "work"},
		Payload: &api.PayloadView{Request: "q"}})
	for _, k := range []string{"id", "seq", "time", "account_id", "account", "session", "project", "end_reason",
		"failovers", "input_tokens", "cost_micros", "payload", "has_payload"} {
		if _, ok := d[k]; !ok {
			t.Errorf("request JSON lacks %q: %v", k, d)
		}
	}
	u := keys(api.UsageRow{UsageRow: journal.UsageRow{Model: "m", AccountID: "id1",
		Totals: journal.Totals{Requests: 1}}, AccountName: "work"})
	for _, k := range []string{"model", "account_id", "account", "requests", "errors", "cost_micros"} {
		if _, ok := u[k]; !ok {
			t.Errorf("usage JSON lacks %q: %v", k, u)
		}
	}
}

// The log and usage views re-read the journal when the engine says a
// request finished: by then its record must be readable, not still waiting
// for the writer's batch.
func TestRequestEventFollowsTheRecordIntoTheJournal(t *testing.T) {
	e := newEnv(t)
	threeAccounts(e)
	events, stop := e.svc.Subscribe()
	defer stop()
	for i := range 3 {
		resp := post(e)
		resp.Body.Close()
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case ev := <-events:
				if ev.Kind == api.EventRequest {
					break wait
				}
			case <-deadline:
				t.Fatalf("request %d: no request event", i+1)
			}
		}
		p, err := e.svc.Logs(context.Background(), api.LogFilter{Limit: 10})
		if err != nil || len(p.Entries) < i+1 {
			t.Fatalf("request %d: the event came with %d records journaled (%v)", i+1, len(p.Entries), err)
		}
	}
}
