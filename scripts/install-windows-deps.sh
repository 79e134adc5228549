#!/usr/bin/env bash
# Installs what `make windows` and `make test-windows` need on Debian/Ubuntu,
# on top of scripts/install-deps.sh: the mingw-w64 C cross-compiler (cgo for
# Fyne's GLFW and the Windows systray) and Wine, which runs sluice.exe and
# the Windows test binaries; zip for the release archive. Kept apart so `make test` stays lean.
# Only what is missing is installed; safe to run again.
set -euo pipefail

pkgs=(gcc-mingw-w64-x86-64 wine64 zip)

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}" >&2
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
