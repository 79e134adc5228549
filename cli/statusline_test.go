package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-proxy/sluice/cli/statusline"
	"github.com/sluice-proxy/sluice/internal/testkit"
	"github.com/sluice-proxy/sluice/proxy/control"
	"github.com/sluice-proxy/sluice/proxy/fakeapi"
)

// The small binary finds the socket where the owner serves it.
func TestStatuslineSocketPathMatchesControl(t *testing.T) {
	dir := "/home/u/.config/sluice"
	if got, want := statusline.SocketPath(dir), control.SocketPath(dir); got != want {
		t.Fatalf("statusline dials %s, the owner serves %s", got, want)
	}
}

// sluice-statusline, built and run as Claude Code runs it, prints the
// same line as `sluice statusline` for a session the owner knows.
//
// With SLUICE_STATUSLINE_RUNS=N it also times N whole-process runs of it
// (and of SLUICE_BIN statusline when set) and logs the medians
// (docs/BENCHMARKS.md).
func TestStatuslineBinaryMatchesCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "sluice-statusline")
	build := exec.Command("go", "build", "-o", bin, "../cmd/sluice-statusline")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fake := fakeapi.New(t)
	env := baseEnv(t)
	env["SLUICE_UPSTREAM"] = fake.URL
	if r := sluice(t, env, keyA, "accounts", "add-key", "work"); r.code != 0 {
		t.Fatal(r.err)
	}
	addr := owner(t, env)
	key := createKey(t, env, "cli-test")
	const session = "9f1c2d3e-0000-4000-8000-00000000beef"
	if send(t, addr, key, session) != 200 {
		t.Fatal("request failed")
	}
	ccJSON := `{"hook_event_name":"Status","session_id":"` + session + `","model":{"id":"claude-opus-4-1"}}`
	var want string
	testkit.WaitFor(t, "the session's line", func() bool {
		want = sluice(t, env, ccJSON, "statusline").out
		return strings.HasPrefix(want, "work")
	})
	runBin := func(path string, args ...string) (string, time.Duration, time.Duration) {
		cmd := exec.Command(path, args...)
		cmd.Env = append(os.Environ(), "SLUICE_DATA_DIR="+env["SLUICE_DATA_DIR"])
		cmd.Stdin = strings.NewReader(ccJSON)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		start := time.Now()
		if err := cmd.Run(); err != nil || errb.Len() != 0 {
			t.Fatalf("%s: %v %q", path, err, errb.String())
		}
		wall := time.Since(start)
		return out.String(), wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if got, _, _ := runBin(bin); got != want {
		t.Fatalf("sluice-statusline printed %q, sluice statusline %q", got, want)
	}
	// Nothing for a session the owner does not know, nor without an owner.
	other := exec.Command(bin, "--data-dir", t.TempDir())
	other.Stdin = strings.NewReader(ccJSON)
	if out, err := other.CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("without an owner: %v %q", err, out)
	}

	n, _ := strconv.Atoi(os.Getenv("SLUICE_STATUSLINE_RUNS"))
	if n == 0 {
		return
	}
	type cmdline struct{ name, path, arg string }
	cmds := []cmdline{{"sluice-statusline", bin, ""}}
	if full := os.Getenv("SLUICE_BIN"); full != "" {
		cmds = append(cmds, cmdline{"sluice statusline", full, "statusline"})
	}
	walls := make([][]time.Duration, len(cmds))
	cpus := make([][]time.Duration, len(cmds))
	// Interleaved, one run of each in turn, so that load swings hit both.
	for range n {
		for i, c := range cmds {
			var args []string
			if c.arg != "" {
				args = []string{c.arg}
			}
			out, w, cpu := runBin(c.path, args...)
			if out != want {
				t.Fatalf("%s printed %q", c.name, out)
			}
			walls[i], cpus[i] = append(walls[i], w), append(cpus[i], cpu)
		}
	}
	for i, c := range cmds {
		slices.Sort(walls[i])
		slices.Sort(cpus[i])
		t.Logf("%s: %d runs, wall median %v (min %v, max %v), CPU median %v",
			c.name, n, walls[i][n/2], walls[i][0], walls[i][n-1], cpus[i][n/2])
	}
}
