# Sluice: `make run` builds and starts the tray app, `make test` runs every
# test. Both install what is missing first (Debian/Ubuntu, see scripts/).

export PATH := $(HOME)/.local/bin:$(PATH):/usr/local/go/bin
# Fyne cannot parse the C locale and logs an error at start-up; keep the
# user's own LANG when set.
export LANG ?= en_US.UTF-8
# migrated_fynedo drops Fyne's thread-check compatibility layer: Sluice
# makes every UI change through fyne.Do. no_animations is Fyne's switch for
# its animations: a focused text field's fading cursor alone kept the window
# process at 6 % of a core at rest, 1.3 % without (docs/BENCHMARKS.md).
TAGS := migrated_fynedo,no_animations
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

# The real Claude Code CLI, for the end-to-end test against Sluice.
CLAUDE_CODE_VERSION := 2.1.330
CLAUDE_BIN := .cache/claude-code/node_modules/.bin/claude

.PHONY: deps build run serve test vet bench claude-code install fuzz bench-load soak screenshots \
	windows-deps windows test-windows vet-cross dist test-deb

# Where `make install` puts the programs, the launcher entry and the icon
# (the XDG user directories; ~/.local/bin is on PATH in most desktops).
PREFIX ?= $(HOME)/.local
APP_ID := io.github.sluiceproxy.sluice

# Two programs: sluice (engine, tray on bare systray, CLI), which runs all
# day, and sluice-window (the Fyne window, cgo + GL), started on demand
# and found beside sluice. On Linux systray speaks D-Bus in pure Go, so
# sluice links no C at all (static); on macOS systray needs cgo.
OWNER_CGO := $(if $(filter Linux,$(shell uname -s)),0,1)

deps:
	@scripts/install-deps.sh

build: deps
	CGO_ENABLED=$(OWNER_CGO) go build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o sluice .
	go build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o sluice-window ./cmd/sluice-window
	# The status line for Claude Code without the GUI libraries (static:
	# no dynamic loader either); see README "Claude Code status line".
	CGO_ENABLED=0 go build -o sluice-statusline ./cmd/sluice-statusline

run: build
	./sluice

serve: build
	./sluice serve

# The paths come from the environment, quoted, so a PREFIX with spaces,
# quotes or $ stays one path; the Exec line is quoted as the Desktop Entry
# spec asks (see desktop_exec), and a PREFIX with a line break is refused.
install: export PREFIX := $(PREFIX)
install: build
	@if [ "$$(printf '%s' "$$PREFIX" | tr -d '\n\r')" != "$$PREFIX" ]; then echo "PREFIX holds a line break, which a .desktop file cannot hold" >&2; exit 1; fi
	install -Dm755 sluice "$$PREFIX/bin/sluice"
	install -Dm755 sluice-window "$$PREFIX/bin/sluice-window"
	install -Dm755 sluice-statusline "$$PREFIX/bin/sluice-statusline"
	install -Dm644 assets/icon.png "$$PREFIX/share/icons/hicolor/512x512/apps/$(APP_ID).png"
	install -d "$$PREFIX/share/applications"
	exec_line=$$(printf '%s' "$$PREFIX/bin/sluice" | sed -e 's/[\\"`$$]/\\&/g' -e 's/%/%%/g' -e 's/\\/\\\\/g'); \
	printf '%s\n' '[Desktop Entry]' 'Type=Application' 'Name=Sluice' \
	  'GenericName=Claude account pool' 'Comment=Pool your Claude accounts behind one local endpoint' \
	  "Exec=\"$$exec_line\"" 'Icon=$(APP_ID)' 'Terminal=false' \
	  'Categories=Development;Network;' 'Keywords=claude;anthropic;proxy;api;' \
	  > "$$PREFIX/share/applications/$(APP_ID).desktop"
	-update-desktop-database "$$PREFIX/share/applications" 2>/dev/null

# staticcheck at a pinned version through `go run pkg@version`: the Go
# command fetches it (checked against sum.golang.org) into the module cache
# and caches the built binary, and go.mod/go.sum stay the app's own (a tool
# directive would add its x/tools, x/mod and toml requirements to the app's
# module graph). The loadharness tag makes it see loadratios_test.go, the
# only user of the harness flags.
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet -tags $(TAGS) ./...
	go vet -tags "$(TAGS),screenshots" .
	$(STATICCHECK) -tags "$(TAGS),loadharness" ./...
	$(STATICCHECK) -tags "$(TAGS),screenshots" .

# The desktop tests start their own Xvfb, D-Bus session and gnome-keyring;
# with SLUICE_REQUIRE_DESKTOP=1 (as in CI) they fail instead of skipping
# when those are missing.
#
# DBUS_SESSION_BUS_ADDRESS points nowhere for the test processes: the keyring
# library otherwise runs dbus-launch at start-up when no session bus is set
# and leaves a daemon behind per test binary. Tests that need a bus start
# their own and hand its address to the processes they run.
test: deps claude-code vet
	DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus \
	SLUICE_CLAUDE_BIN=$$(test -x $(CLAUDE_BIN) && echo $(CURDIR)/$(CLAUDE_BIN)) \
	go test -race -tags $(TAGS) -count=1 -timeout 15m ./...
	$(MAKE) fuzz

# docs/screenshots/*.png from the real program under Xvfb (needs xdotool and
# ImageMagick besides the test packages; see scripts/screenshots.sh).
screenshots: deps
	scripts/screenshots.sh

claude-code:
	@if command -v npm >/dev/null 2>&1; then \
	  test -x $(CLAUDE_BIN) || npm install --silent --no-audit --no-fund --prefix .cache/claude-code @anthropic-ai/claude-code@$(CLAUDE_CODE_VERSION); \
	else echo "npm not found: the Claude Code end-to-end test will be skipped" >&2; fi

bench:
	go test -run '^$$' -bench . -benchmem ./proxy/...

# Each fuzz target runs a fixed number of executions (about 15 s here) from
# its corpus in testdata/fuzz; a crasher is saved there as a new seed, so the
# unit tests keep replaying it. Counts, not durations: with a duration Go
# 1.26's coordinator can report its own deadline as a failure
# ("context deadline exceeded", go.dev/issue/75804, fixed in Go 1.27) when a
# busy machine starves a worker at the end of the window. FUZZTIME=60s (or
# 1000000x) overrides every target's budget for a longer local run.
# Minimising a new corpus entry is bounded by a count too: by default each
# may take 60 s, which under a count budget stalls the run (seen in CI: a
# target at 0 execs/s for a minute while it minimised new inputs).
FUZZTIME ?=
# Budgets cut on 2026-12-07: the first CI run after this round's changes
# to usage and the body scan found ~120 new corpus entries per target and
# minimised each (FuzzMeter took 223 s at 800000x, fuzzing 17 minutes in
# all); at these counts each target stays within about a minute.
FUZZ_TARGETS := FuzzMeter:./proxy/usage:200000x FuzzFromJSON:./proxy/usage:200000x \
	FuzzParseHeaders:./proxy/pool:400000x FuzzObserveHeaders:./proxy/pool:400000x \
	FuzzParseUsage:./proxy/pool:400000x FuzzRead:./proxy/ccflare:3000x \
	FuzzStream:./proxy/openai:150000x FuzzRequestModel:./proxy:150000x

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  name=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; budget=$${rest#*:}; \
	  test -z "$(FUZZTIME)" || budget=$(FUZZTIME); \
	  echo "fuzz $$name ($$budget)"; \
	  go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$budget -fuzzminimizetime 500x $$pkg; \
	done

# The load harness: a real engine in its own process against the fake API
# over plain HTTP and over TLS + HTTP/2, direct, through Sluice and through
# nginx (when installed) in interleaved rounds (docs/BENCHMARKS.md). It
# fails on any error, empty case, non-finite ratio or dropped journal
# record; a short case of it (TestLoadHarnessShort) runs in `make test`.
bench-load:
	go test -tags loadharness -run '^TestLoadRatios$$' -count=1 -v -timeout 30m ./proxy/

# Mixed traffic with faults for SOAKTIME, RSS/goroutines/fds every minute.
SOAKTIME ?= 30m
soak:
	go test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 2h ./proxy/ -soak.duration $(SOAKTIME)

# --- Other platforms and packages (README "Install") ---

# Windows: sluice.exe needs no cgo (systray calls the Win32 API directly);
# sluice-window.exe is a cgo cross-build with Debian's mingw-w64 (GLFW).
# Both are GUI programs (no console window for the tray or the window;
# sluice's subcommands attach to the console they were started from, see
# console_windows.go).
WINDOWS_CC ?= x86_64-w64-mingw32-gcc
WINDOWS_ENV := CC=$(WINDOWS_CC) CGO_ENABLED=1 GOOS=windows GOARCH=amd64
# Wine 8.0 (Debian 12) lacks bcryptprimitives.dll, which Go >= 1.22 needs at
# start-up; the smoke test puts a stand-in into its own Wine prefix only.
WINE_SHIM := .cache/wine/bcryptprimitives.dll
WINEPREFIX_DIR := $(CURDIR)/.cache/wine/prefix

windows-deps:
	@scripts/install-windows-deps.sh

windows: windows-deps
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -tags $(TAGS) -trimpath -ldflags "$(LDFLAGS) -H=windowsgui" -o dist/windows/sluice.exe .
	$(WINDOWS_ENV) go build -tags $(TAGS) -trimpath -ldflags "$(LDFLAGS) -H=windowsgui" -o dist/windows/sluice-window.exe ./cmd/sluice-window

$(WINE_SHIM): scripts/winetest/bcryptprimitives.c
	@mkdir -p $(dir $@)
	$(WINDOWS_CC) -O2 -shared -s -o $@ $< -ladvapi32

# sluice.exe serve under Wine against the fake API: an account and a client
# key added through the control pipe, one request from Linux, the journal.
# Then the control package's tests (the named pipe, the lock) under Wine.
test-windows: windows $(WINE_SHIM)
	DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/sluice-no-bus \
	go test -tags smoke -count=1 -v -timeout 15m ./scripts/smoke \
	  -exe $(CURDIR)/dist/windows/sluice.exe -wine auto -prefix $(WINEPREFIX_DIR) -shim $(CURDIR)/$(WINE_SHIM)
	CGO_ENABLED=0 GOOS=windows go test -c -tags $(TAGS) -o .cache/wine/control.test.exe ./proxy/control
	WINEPREFIX=$(WINEPREFIX_DIR) WINEDEBUG=-all /usr/lib/wine/wine64 .cache/wine/control.test.exe -test.count=1 -test.v

# go vet for macOS and Windows of every package that builds without cgo
# (not app/, tray/ or main: Fyne's GLFW driver and, on macOS, the systray
# need cgo, and on macOS Xcode). The sluice program itself builds for
# Windows without cgo.
CROSS_VET_PKGS := ./proxy/... ./vault/... ./cli/... ./app/locale/ ./app/autostart/
vet-cross:
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 go vet -tags $(TAGS) $(CROSS_VET_PKGS)
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go vet -tags $(TAGS) $(CROSS_VET_PKGS)
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -tags $(TAGS) -o /dev/null .

# dist/: the Linux tarball, the .deb and the Windows zip (scripts/dist.sh).
dist: deps windows
	CGO_ENABLED=0 go build -tags $(TAGS) -trimpath -ldflags "$(LDFLAGS) -s -w" -o dist/linux/sluice .
	go build -tags $(TAGS) -trimpath -ldflags "$(LDFLAGS) -s -w" -o dist/linux/sluice-window ./cmd/sluice-window
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o dist/linux/sluice-statusline ./cmd/sluice-statusline
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "-s -w" -o dist/windows/sluice-statusline.exe ./cmd/sluice-statusline
	VERSION=$(VERSION) scripts/dist.sh

# The .deb installs a sluice that starts and serves (scripts/test-deb.sh).
test-deb: dist
	scripts/test-deb.sh
