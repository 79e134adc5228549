package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this module's path; imports under it are "ours".
const module = "github.com/sluice-proxy/sluice"

// TestDeps pins the direction of imports between our packages (tailscale's
// TestDeps): the faces reach the engine only through its API types and
// the control client, the keyring code depends on nothing of ours, and the
// engine never imports a face. It reads the graph with `go list` for each
// platform we ship, so a file built only on one of them counts too.
func TestDeps(t *testing.T) {
	faces := []string{"proxy/api", "proxy/control", "assets"}
	rules := []struct {
		pkg string
		// allowed lists the packages of ours pkg may import; nil with
		// denied set means "anything but denied".
		allowed []string
		denied  []string
	}{
		// The window also hosts the tray in the owner process.
		{pkg: "app", allowed: append([]string{"app/locale", "tray", "claudecode"}, faces...)},
		// Claude Code's settings file, edited by the window and the CLI.
		{pkg: "claudecode", allowed: []string{}},
		{pkg: "tray", allowed: faces},
		// vault/nobus keeps the keyring library from launching a D-Bus
		// daemon; it is part of vault and imports nothing of ours.
		{pkg: "vault", allowed: []string{"vault/nobus"}},
		{pkg: "vault/nobus", allowed: []string{}},
		// Test support imports nothing of ours, so that any package's
		// internal tests can use it without a cycle; and only tests import
		// it (the graph leaves tests out), so no binary we ship links it.
		{pkg: "internal/testkit", allowed: []string{}},
		{pkg: "...", denied: []string{"internal/testkit"}},
		{pkg: "proxy/api", allowed: []string{"proxy/journal", "proxy/pool"}},
		// Claude Code runs sluice-statusline on every redraw: no GUI, no
		// engine, only the views it decodes (docs/BENCHMARKS.md).
		{pkg: "cli/statusline", allowed: []string{"proxy/api"}},
		{pkg: "cmd/sluice-statusline", allowed: []string{"cli/statusline"}},
		{pkg: "proxy/...", denied: []string{"app", "tray", "cli", "main"}},
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		graph := importGraph(t, goos)
		if len(graph) < 10 {
			t.Fatalf("GOOS=%s: go list found %d packages; the graph cannot be checked", goos, len(graph))
		}
		for _, r := range rules {
			for pkg, imports := range graph {
				if !matches(r.pkg, pkg) {
					continue
				}
				for _, imp := range imports {
					bad := (r.allowed != nil && !slices.Contains(r.allowed, imp)) ||
						slices.ContainsFunc(r.denied, func(d string) bool { return matches(d, imp) })
					if bad {
						t.Errorf("GOOS=%s: %s imports %s, which the import rules forbid (docs/ARCHITECTURE.md)", goos, pkg, imp)
					}
				}
			}
		}
	}
}

// matches reports whether pkg is pattern, or under it when the pattern
// ends in "/...", or any package when the pattern is "...".
func matches(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if p, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == p || strings.HasPrefix(pkg, p+"/")
	}
	return pkg == pattern
}

// importGraph maps each of our packages (path relative to the module, the
// root as "main") to the packages of ours it imports, tests left out.
func importGraph(t *testing.T, goos string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "migrated_fynedo", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s go list: %v", goos, err)
	}
	rel := func(p string) (string, bool) {
		if p == module {
			return "main", true
		}
		r, ok := strings.CutPrefix(p, module+"/")
		return r, ok
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, ok := rel(f[0])
		if !ok {
			continue
		}
		graph[pkg] = []string{}
		for _, imp := range f[1:] {
			if r, ok := rel(imp); ok {
				graph[pkg] = append(graph[pkg], r)
			}
		}
	}
	return graph
}
