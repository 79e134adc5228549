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
// engine never imports a face. It reads the graph with `go list -deps` for
// each platform we ship, so a file built only on one of them counts too,
// and checks both what a package imports and what it reaches through
// everything it imports, ours or not.
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
		{pkg: "app", allowed: append([]string{"app/autostart", "app/locale", "tray", "claudecode", "owner", "programs"}, faces...)},
		// The login entry, written by the window's checkbox and by `sluice
		// settings set start-at-login`: no GUI library; it names the sluice
		// program found beside the running one.
		{pkg: "app/autostart", allowed: []string{"programs"}},
		// Where the programs are installed (beside each other), for all.
		{pkg: "programs", allowed: []string{}},
		// The owner's desktop face: tray, window launcher, notifications.
		{pkg: "owner", allowed: append([]string{"tray", "app/autostart"}, faces...)},
		// The window program: the window as a client of the engine.
		{pkg: "cmd/sluice-window", allowed: []string{"app", "app/locale", "cli", "proxy/control"}},
		// The owner program links no Fyne window (TestOwnerLinksNoFyneDriver).
		{pkg: "main", denied: []string{"app"}},
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
		// The shared fake engine speaks the engine's API, so it lives
		// apart from testkit (which the engine's packages use).
		{pkg: "internal/testkit/fakeengine", allowed: []string{"proxy/api"}},
		{pkg: "...", denied: []string{"internal/testkit/..."}},
		{pkg: "proxy/api", allowed: []string{"proxy/journal", "proxy/pool"}},
		// Claude Code runs sluice-statusline on every redraw: no GUI, no
		// engine, only the views it decodes (docs/BENCHMARKS.md).
		{pkg: "cli/statusline", allowed: []string{"proxy/api"}},
		{pkg: "cmd/sluice-statusline", allowed: []string{"cli/statusline"}},
		{pkg: "proxy/...", denied: []string{"app", "tray", "cli", "main"}},
	}
	// What a package may not reach at all, through any chain of imports.
	// A face sees the engine's types through proxy/api only: it reaches
	// the pool's and the journal's packages through it (the views embed
	// their rows) but never the engine (proxy), the keyring (vault), or
	// an engine package by another way (reachVia). The statusline's
	// binary reaches no GUI and no cgo: it must build with CGO_ENABLED=0
	// and start fast.
	faceDenied := []string{"main", "proxy", "vault/...", "cli/..."}
	statuslineDenied := []string{"main", "proxy", "vault/...", "cli", "app/...", "tray", "fyne.io/...", "github.com/go-gl/..."}
	reach := []struct {
		pkg    string
		denied []string
		// via, when set, is the only package through which pkg may reach
		// viaOnly.
		via     string
		viaOnly []string
		noCgo   bool
	}{
		{pkg: "app/...", denied: faceDenied, via: "proxy/api", viaOnly: []string{"proxy/..."}},
		{pkg: "tray", denied: faceDenied, via: "proxy/api", viaOnly: []string{"proxy/..."}},
		{pkg: "cli/statusline", denied: statuslineDenied, noCgo: true},
		{pkg: "cmd/sluice-statusline", denied: statuslineDenied, noCgo: true},
		{pkg: "proxy/...", denied: []string{"app", "app/...", "tray", "cli", "cli/...", "main"}},
		{pkg: "vault/...", denied: []string{"proxy", "proxy/...", "app", "tray", "cli", "main"}},
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		graph := importGraph(t, goos)
		if len(graph) < 100 {
			t.Fatalf("GOOS=%s: go list found %d packages; the graph cannot be checked", goos, len(graph))
		}
		for _, r := range rules {
			for pkg, p := range graph {
				if !p.ours || !matches(r.pkg, pkg) {
					continue
				}
				for _, imp := range p.imports {
					if !graph[imp].ours {
						continue
					}
					bad := (r.allowed != nil && !slices.Contains(r.allowed, imp)) ||
						slices.ContainsFunc(r.denied, func(d string) bool { return matches(d, imp) })
					if bad {
						t.Errorf("GOOS=%s: %s imports %s, which the import rules forbid (docs/ARCHITECTURE.md)", goos, pkg, imp)
					}
				}
			}
		}
		for _, r := range reach {
			for pkg, p := range graph {
				if !p.ours || !matches(r.pkg, pkg) {
					continue
				}
				denied := func(dep string) bool {
					return slices.ContainsFunc(r.denied, func(d string) bool { return matches(d, dep) })
				}
				cgo := func(dep string) bool { return r.noCgo && graph[dep].cgo && !graph[dep].std }
				for dep, path := range graph.reach(pkg, "") {
					// One error per way in: not for what a forbidden
					// package brings along.
					chain := strings.Split(path, " -> ")
					if slices.ContainsFunc(chain[:len(chain)-1], func(p string) bool { return denied(p) || cgo(p) }) {
						continue
					}
					if denied(dep) {
						t.Errorf("GOOS=%s: %s reaches %s (%s), which the import rules forbid", goos, pkg, dep, path)
					} else if cgo(dep) {
						t.Errorf("GOOS=%s: %s reaches %s (%s), which needs cgo", goos, pkg, dep, path)
					}
				}
				if r.via == "" {
					continue
				}
				for dep, path := range graph.reach(pkg, r.via) {
					if dep != r.via && graph[dep].ours && slices.ContainsFunc(r.viaOnly, func(d string) bool { return matches(d, dep) }) &&
						!slices.Contains(faces, dep) {
						t.Errorf("GOOS=%s: %s reaches %s (%s) other than through %s", goos, pkg, dep, path, r.via)
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

// pkgInfo is one package of the build graph.
type pkgInfo struct {
	ours, std, cgo bool
	imports        []string
}

// graph maps each package our packages build with (ours by path relative
// to the module, the root as "main"; others by import path) to what it is
// and imports, tests left out.
type graph map[string]pkgInfo

// reach returns every package pkg reaches through its imports, each with
// one chain of imports that leads there ("app -> proxy/api -> proxy/pool"),
// not passing through skip.
func (g graph) reach(pkg, skip string) map[string]string {
	seen := map[string]string{}
	queue := []string{pkg}
	seen[pkg] = pkg
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range g[p].imports {
			if _, ok := seen[imp]; ok || imp == skip {
				continue
			}
			seen[imp] = seen[p] + " -> " + imp
			queue = append(queue, imp)
		}
	}
	delete(seen, pkg)
	return seen
}

// importGraph lists the build graph of our packages with `go list -deps`.
func importGraph(t *testing.T, goos string) graph {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "migrated_fynedo",
		"-f", `{{.ImportPath}} {{.Standard}} {{len .CgoFiles}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=%s go list: %v", goos, err)
	}
	rel := func(p string) string {
		if p == module {
			return "main"
		}
		if r, ok := strings.CutPrefix(p, module+"/"); ok {
			return r
		}
		return p
	}
	g := graph{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		p := pkgInfo{std: f[1] == "true", cgo: f[2] != "0"}
		p.ours = f[0] == module || strings.HasPrefix(f[0], module+"/")
		for _, imp := range f[3:] {
			p.imports = append(p.imports, rel(imp))
		}
		g[rel(f[0])] = p
	}
	return g
}

// TestOwnerLinksNoFyneDriver: the sluice program (engine, tray, CLI), which
// runs all day, links no Fyne driver, GL or window code: those live in
// sluice-window alone (docs/BENCHMARKS.md, "Desktop app at rest"). The
// tray's menu is built from the types of Fyne's root package, which is
// pure Go and loads nothing; any other Fyne package is refused.
func TestOwnerLinksNoFyneDriver(t *testing.T) {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-tags", "migrated_fynedo", "-deps", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOOS=%s go list -deps: %v", goos, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, "fyne.io/systray") {
			t.Fatalf("GOOS=%s: fyne.io/systray missing from the deps; the list cannot be checked", goos)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "fyne.io/fyne/v2/") || strings.HasPrefix(d, "github.com/go-gl/") || d == module+"/app" {
				t.Errorf("GOOS=%s: sluice links %s; the window's code belongs in cmd/sluice-window", goos, d)
			}
		}
	}
}
