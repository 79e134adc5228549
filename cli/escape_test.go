package cli_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/api"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The attack: a key holder puts a terminal escape (retitle the window) in a
// request path. The journal keeps it; what `sluice logs` and `logs show`
// print to the owner's terminal must not carry a raw ESC or BEL.
func TestLogsEscapeTerminalControlsFromRequestPaths(t *testing.T) {
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	mustRun(t, env, keyA+"\n", "accounts", "add-key", "a")
	addr := owner(t, env)
	key := createKey(t, env, "evil")
	req, _ := http.NewRequest("GET", "http://"+addr+"/v1/models/%1b]0;evil%07", nil)
	req.Header.Set("x-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var entries []api.LogEntry
	testkit.WaitFor(t, "the request to be journaled", func() bool {
		jsonOf(t, env, &entries, "logs")
		return len(entries) == 1
	})
	for _, args := range [][]string{{"logs"}, {"logs", "show", entries[0].ID}, {"audit"}, {"sessions"}, {"usage"}} {
		out := mustRun(t, env, "", args...).out
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("sluice %v printed a raw terminal control: %q", args, out)
		}
		if args[0] == "logs" && len(args) == 3 && !strings.Contains(out, `/v1/models/\x1b]0;evil\a`) {
			t.Errorf("sluice %v does not show the escaped path: %q", args, out)
		}
	}
}
