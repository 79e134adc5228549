#!/usr/bin/env bash
# Installs what building, running and testing Sluice needs on Debian/Ubuntu:
# the C toolchain and X11/GL headers for Fyne, Xvfb + D-Bus + gnome-keyring
# (and xclip, with which a test reads the clipboard) for the headless
# desktop tests, tmux (the terminal in which a test runs Claude Code's
# interactive screen), and a Go toolchain new enough for go.mod.
# Only what is missing is installed; safe to run again.
set -euo pipefail

want_go=$(awk '/^go /{print $2; exit}' "$(dirname "$0")/../go.mod")
pkgs=(gcc libc6-dev pkg-config libgl1-mesa-dev xorg-dev xvfb xauth libgl1-mesa-dri
      dbus dbus-x11 gnome-keyring xclip tmux ca-certificates git)

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1 && ! [ -x /usr/local/go/bin/go ]; then
  missing+=(golang-go)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}" >&2
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Go: a toolchain >= 1.21 fetches the one go.mod asks for by itself
# (GOTOOLCHAIN=auto). Older ones (Debian 12 ships 1.19) get it here, as a
# module from the Go module proxy.
export PATH="$PATH:/usr/local/go/bin"
have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
older() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$1" ] && [ "$1" != "$2" ]; }
if older "$have" "1.21"; then
  arch=$(go env GOARCH)
  mod="golang.org/toolchain@v0.0.1-go${want_go}.linux-${arch}"
  echo "Go $have is too old; fetching go${want_go} from the module proxy" >&2
  dir=$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod GO111MODULE=on go mod download -json "$mod" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  mkdir -p "$HOME/.local/bin"
  ln -sf "$dir/bin/go" "$HOME/.local/bin/go"
  ln -sf "$dir/bin/gofmt" "$HOME/.local/bin/gofmt"
  echo "Installed $("$HOME/.local/bin/go" version) as ~/.local/bin/go (put it first on PATH)" >&2
fi
